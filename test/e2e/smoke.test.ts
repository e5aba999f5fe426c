/**
 * The smoke stack through the real engine: the CLI's version, then up, a no-change preview, an update and destroy
 * through the language host; then, on the same stack, import with a user's own Pulumi CLI, whose bundled
 * dynamic-provider plugin is Pulumi's stock one: it cannot import; the README's `plugins:` entry pointing at this
 * package's `bin/` makes it work. The "own CLI" is the same binary linked into a directory beside the stock plugin.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { PulumiProject, ROOT, runCommand } from "../helpers/pulumi-project";

/** A version pinned in scripts/toolchain.sh, the set-up's one place for them. */
function toolchainSetting(name: string): string {
  const match = new RegExp(`^${name}="([^"]+)"`, "m").exec(readFileSync(path.join(ROOT, "scripts/toolchain.sh"), "utf8"));
  if (!match) throw new Error(`scripts/toolchain.sh sets no ${name}`);
  return match[1];
}

const atLeast = (version: string, minimum: string) => {
  const [a, b] = [version, minimum].map((v) => v.split(".").map(Number));
  const first = a.findIndex((n, i) => n !== b[i]);
  return first === -1 || a[first] > b[first];
};

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

// One scenario on one stack: each step builds on the last, so the order holds under --sequence.shuffle.
describe("the smoke stack through the real engine", { shuffle: false }, () => {
  let em: TestEmulator;
  let project: PulumiProject;

  beforeAll(async () => {
    em = await startTestEmulator();
    project = await PulumiProject.create("smoke", {
      program: "dist/test/e2e/stacks/smoke",
      env: em.env,
      config: { "smoke:value": "hello" },
    });
  });

  afterAll(async () => em?.close());

  it("runs up, a no-change preview, an update and destroy through the language host", async () => {
    // The Automation API needs a semver of at least the set-up's minimum; the CLI the set-up builds (the one
    // in its cache) reports the pinned version it was built from.
    const version = (await project.must(["version"])).stdout.trim();
    expect(version).toMatch(/^v3\.\d+\.\d+$/);
    expect(atLeast(version.slice(1), toolchainSetting("PULUMI_MIN_VERSION")), version).toBe(true);
    const cli = realpathSync((await runCommand("bash", ["-c", "command -v pulumi"], { cwd: project.dir, env: project.env })).stdout.trim());
    const pinned = toolchainSetting("PULUMI_VERSION");
    const builtBySetUp = cli.endsWith(`/pulumi-v${pinned}/bin/pulumi`);
    if (builtBySetUp) expect(version).toBe(`v${pinned}`);

    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(await project.stackOutputs()).toEqual({ length: 5 });

    const noChange = await project.preview(["--expect-no-changes"]);
    expect(noChange.code, noChange.output).toBe(0);

    await project.must(["config", "set", "smoke:value", "goodbye"]);
    const changed = await project.preview(["--expect-no-changes"]);
    expect(changed.code).not.toBe(0);
    const update = await project.up();
    expect(update.code, update.output).toBe(0);
    expect(await project.stackOutputs()).toEqual({ length: 7 });

    const destroy = await project.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    const exported = await project.exportStack();
    expect(exported.deployment.resources ?? []).toHaveLength(0);
  });

  describe("import with a Pulumi CLI that bundles the stock dynamic-provider plugin", () => {
    let stockBin: string;

    beforeAll(async () => {
      const res = await em.api("POST", "/dispatch/namespaces", { json: { name: "adopt-me" } });
      expect(res.status).toBe(200);
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
});
