/**
 * What a user reads from the real engine: `pulumi import` as the README shows it exits 0 and prints code that is
 * the program (nothing to change), an import of a missing script says which id does not exist, a refused namespace delete is printed once (not again, twice
 * and with its stack, from the host's stderr), and a nested bad input shows the value given with a suggestion
 * instead of `{<nil>}`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { PulumiProject } from "../helpers/pulumi-project";

const WORKER = "export default { fetch() { return new Response('outside'); } };\n";

let em: TestEmulator;
beforeAll(async () => {
  em = await startTestEmulator();
});
afterAll(async () => {
  await em?.close();
});

/** A script deployed by something else than the stack. */
async function deployOutside(ns: string, script: string): Promise<void> {
  const form = new FormData();
  const metadata = { main_module: "worker.js", compatibility_date: "2025-06-01" };
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }), "metadata.json");
  form.append("worker.js", new Blob([WORKER], { type: "application/javascript+module" }), "worker.js");
  const put = await em.api("PUT", `/dispatch/namespaces/${ns}/scripts/${script}`, { body: form });
  expect(put.ok, put.text).toBe(true);
}

const project = (name: string, config: Record<string, string>) =>
  PulumiProject.create(name, { program: "dist/test/e2e/stacks/answers", env: em.env, config });

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe("what the engine prints", () => {
  it("imports with the README's command (exit 0) and prints code that, run as the program, only claims the script", async () => {
    const p = await project("answers-import", { "answers:namespace": "ans-imp" });
    expect((await em.api("POST", "/dispatch/namespaces", { json: { name: "ans-imp" } })).ok).toBe(true);
    await deployOutside("ans-imp", "outside");

    const imported = await p.run(["import", "pulumi-nodejs:dynamic/wfp:UserScript", "outside", "ans-imp/outside", "--yes"]);
    expect(imported.code, imported.output).toBe(0);
    const script = (await p.exportStack()).deployment.resources.find(
      (r: { type: string }) => r.type === "pulumi-nodejs:dynamic/wfp:UserScript",
    );
    expect(script?.id).toBe("ans-imp/outside");
    expect(script?.protect, "pulumi import protects by default, as the README says").toBe(true);

    // The code it prints, as the README shows it, then run as the whole program.
    const code = imported.stdout.slice(imported.stdout.indexOf("import * as pulumi "));
    expect(code).toContain('import * as pulumi_nodejs from "pulumi-cloudflare-wfp";');
    expect(code).toMatch(
      /const outside = new pulumi_nodejs\.UserScript\("outside", \{\n[\s\S]*namespace: "ans-imp",[\s\S]*\}, \{\n {4}protect: true,\n\}\);/,
    );
    mkdirSync(path.join(p.dir, "generated"));
    writeFileSync(
      path.join(p.dir, "generated", "index.js"),
      code.replace(/^import \* as (\w+) from ("[^"]+");$/gm, "const $1 = require($2);"),
    );
    const yaml = path.join(p.dir, "Pulumi.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace(/^main: .*$/m, "main: generated/index.js"));
    // The one change: the script gets this stack's owner tag (it had none), then nothing is left to do.
    const preview = await p.preview(["--diff"]);
    expect(preview.code, `${code}\n${preview.output}`).toBe(0);
    expect(preview.output).toContain("~ 1 to update");
    expect(preview.output).toMatch(/\+ owner\s*: "wfp-owner=answers-import\/dev"/);
    expect((await p.up()).code).toBe(0);
    expect((await em.state()).accounts[ACCOUNT_ID].namespaces["ans-imp"].scripts.outside.tags).toEqual(["wfp-owner=answers-import/dev"]);
    const again = await p.preview(["--expect-no-changes"]);
    expect(again.code, again.output).toBe(0);
  });

  it("an import of a missing script says which id does not exist", async () => {
    const p = await project("answers-missing", { "answers:namespace": "ans-missing" });
    const missing = await p.run(["import", "pulumi-nodejs:dynamic/wfp:UserScript", "nope", "ans-missing/nope", "--yes"]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("resource 'ans-missing/nope' does not exist");
    expect(missing.output).not.toMatch(/does not support importing|GetSchema/);
  });

  it("a refused namespace delete is printed once", async () => {
    const p = await project("answers-delete", { "answers:namespace": "ans-del" });
    const up = await p.up();
    expect(up.code, up.output).toBe(0);
    await deployOutside("ans-del", "stray");
    const destroy = await p.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code).not.toBe(0);
    // The summary, where a user reads errors (the rows above it repeat the resource's latest message at each
    // status change in a non-interactive run, as for any error).
    const diagnostics = destroy.output.slice(destroy.output.indexOf("Diagnostics:"));
    expect(occurrences(diagnostics, "delete refused: the namespace still holds 1 script(s)"), destroy.output).toBe(1);
    expect(destroy.output).not.toMatch(/^\s*at .*dispatch-namespace/m);
  });

  it("a nested bad input shows the value given and the near miss, not {<nil>}, with no API call", async () => {
    const p = await project("answers-bad", { "answers:namespace": "ans-bad", "answers:bindingType": "kv" });
    await em.clearJournal();
    const preview = await p.preview();
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/UserScript resource 'app' has a problem: bindings\[0\]\.type = "kv": must be one of plain_text, /);
    expect(preview.output).toContain("did you mean kv_namespace?");
    expect(preview.output).not.toContain("<nil>");
    expect(await em.journal()).toEqual([]);
  });
});
