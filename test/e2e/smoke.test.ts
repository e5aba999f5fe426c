import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
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

describe("real Pulumi engine smoke test", () => {
  it("runs up, a no-change preview, an update and destroy through the language host", async () => {
    const project = await PulumiProject.create("smoke", {
      program: "dist/test/e2e/stacks/smoke",
      config: { "smoke:value": "hello" },
    });

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
});
