import { describe, expect, it } from "vitest";
import { PulumiProject } from "../helpers/pulumi-project";

describe("real Pulumi engine smoke test", () => {
  it("runs up, a no-change preview, an update and destroy through the language host", async () => {
    const project = await PulumiProject.create("smoke", {
      program: "dist/test/e2e/stacks/smoke",
      config: { "smoke:value": "hello" },
    });

    const version = await project.must(["version"]);
    expect(version.stdout.trim()).toMatch(/^v3\.\d+\.\d+/);
    // The CLI our set-up builds must report the pinned version (the Automation API needs a semver).
    if (process.env.WFP_PULUMI_PINNED) expect(version.stdout.trim()).toBe(`v${process.env.WFP_PULUMI_PINNED}`);

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
