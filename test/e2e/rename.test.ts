/**
 * Renaming the dispatch namespace through the real engine: the namespace is renamed in place (same id),
 * its scripts, secrets and assets move with it, the UserScripts and ScriptSecrets that name it are
 * replaced onto the new name without losing anything, and the stack then shows no changes.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { writeFiles } from "../helpers/files";
import { PulumiProject } from "../helpers/pulumi-project";

// One scenario: each step builds on the last, so the order holds under --sequence.shuffle.
describe("renaming the namespace through the real engine", { shuffle: false }, () => {
  let em: TestEmulator;
  let project: PulumiProject;
  const key = `sk_${randomBytes(8).toString("hex")}`;
  const namespaces = async () => (await em.state()).accounts[ACCOUNT_ID]?.namespaces ?? {};

  beforeAll(async () => {
    em = await startTestEmulator();
    project = PulumiProject.prepare("rename", { program: "dist/examples/platform", env: em.env });
    const dir = path.join(project.dir, "tenants");
    const worker = { dir: "w", modules: ["worker.js"], compatibilityDate: "2025-06-01" };
    const tenants = [
      {
        id: "alpha",
        worker: { ...worker, bindings: [{ type: "assets", name: "ASSETS" }] },
        assets: { directory: "w/public" },
        secrets: { KEY: "key" },
      },
      { id: "beta", worker },
    ];
    writeFiles(dir, {
      "w/worker.js": "export default { fetch: () => new Response('hi') };\n",
      "w/public/index.html": "<h1>hi</h1>\n",
      "tenants.yaml": stringify({ tenants }),
    });
    await project.init({
      config: { "platform:namespace": "before", "platform:tenantsFile": path.join(dir, "tenants.yaml") },
      secretConfig: { "platform:key": key },
    });
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
  });

  afterAll(async () => em?.close());

  it("renames in place and replaces the scripts and secrets onto the new name, losing nothing", async () => {
    const before = (await namespaces()).before;
    expect(Object.keys(before.scripts).sort()).toEqual(["alpha", "beta"]);

    await project.must(["config", "set", "platform:namespace", "after"]);
    const up = await project.up();
    expect(up.code, up.output).toBe(0);

    const all = await namespaces();
    expect(Object.keys(all)).toEqual(["after"]);
    expect(all.after.id, "renamed in place, not recreated").toBe(before.id);
    expect(Object.keys(all.after.scripts).sort()).toEqual(["alpha", "beta"]);
    expect(all.after.scripts.alpha.secrets).toEqual(["KEY"]);
    expect(Object.keys(all.after.scripts.alpha.assets.manifest)).toEqual(["/index.html"]);

    const clean = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);
    expect(JSON.stringify(await project.exportStack())).not.toContain(key);
  });

  it("destroys cleanly after the rename", async () => {
    const destroy = await project.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    expect(await namespaces()).toEqual({});
  });
});
