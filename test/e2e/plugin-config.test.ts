/**
 * Import with a user's own Pulumi CLI, whose bundled dynamic-provider plugin is Pulumi's stock one: it
 * cannot import; the README's `plugins:` entry pointing at this package's `bin/`
 * makes it work. The "own CLI" is the same binary linked into a directory beside the stock plugin.
 */
import { copyFileSync, linkSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { PulumiProject, ROOT } from "../helpers/pulumi-project";

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

// One scenario: each step builds on the last, so the order holds under --sequence.shuffle.
describe("import with a Pulumi CLI that bundles the stock dynamic-provider plugin", { shuffle: false }, () => {
  let em: TestEmulator;
  let project: PulumiProject;
  let stockBin: string;

  beforeAll(async () => {
    em = await startTestEmulator();
    const res = await em.api("POST", "/dispatch/namespaces", { json: { name: "adopt-me" } });
    expect(res.status).toBe(200);

    project = await PulumiProject.create("plugin-config", {
      program: "dist/test/e2e/stacks/smoke",
      env: em.env,
    });
    // The CLI looks for bundled plugins beside its own (symlink-resolved) path: give it a directory of its own.
    const cliDir = path.dirname(execFileSync("which", ["pulumi"], { env: project.env }).toString().trim());
    stockBin = path.join(project.dir, "own-cli");
    mkdirSync(stockBin);
    for (const name of ["pulumi", "pulumi-language-nodejs"]) linkOrCopy(path.join(cliDir, name), path.join(stockBin, name));
    copyFileSync(
      path.join(ROOT, "node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"),
      path.join(stockBin, "pulumi-resource-pulumi-nodejs"),
    );
    execFileSync("chmod", ["+x", path.join(stockBin, "pulumi-resource-pulumi-nodejs")]);
  });

  afterAll(async () => em?.close());

  const importNamespace = () =>
    project.run(
      ["import", "pulumi-nodejs:dynamic/wfp:DispatchNamespace", "ns", "adopt-me", "--yes", "--generate-code=false", "--protect=false"],
      { PATH: `${stockBin}:${project.env.PATH}` },
    );

  it("fails with the stock plugin alone", async () => {
    const result = await importNamespace();
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/DispatchNamespace ns import.*error/);
  });

  it("works once Pulumi.yaml points `plugins` at this package's bin/, as the README says", async () => {
    const file = path.join(project.dir, "Pulumi.yaml");
    writeFileSync(
      file,
      `${readFileSync(file, "utf8")}plugins:\n  providers:\n    - name: pulumi-nodejs\n      path: ${path.join(ROOT, "bin")}\n`,
    );
    const result = await importNamespace();
    expect(result.code, result.output).toBe(0);
    const resources = (await project.exportStack()).deployment.resources ?? [];
    const ns = resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/wfp:DispatchNamespace");
    expect(ns.outputs.name).toBe("adopt-me");
    expect(ns.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
