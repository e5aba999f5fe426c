import { describe, expect, it } from "vitest";
import { driftFromPreview, formatDrift } from "../../provider/drift";

const urn = (type: string, name: string) => `urn:pulumi:dev::wfp-platform::${type}::${name}`;

describe("drift report from pulumi preview --json", () => {
  it("lists repairs with the properties that differ and ignores providers and unchanged resources", () => {
    const report = driftFromPreview({
      changeSummary: { same: 3, update: 1, create: 1 },
      steps: [
        { op: "same", urn: urn("pulumi-nodejs:dynamic/wfp:DispatchNamespace", "ns") },
        { op: "update", urn: urn("pulumi:providers:pulumi-nodejs", "default"), newState: { type: "pulumi:providers:pulumi-nodejs" } },
        {
          op: "update",
          urn: urn("pulumi-nodejs:dynamic/wfp:UserScript", "acme"),
          oldState: { type: "pulumi-nodejs:dynamic/wfp:UserScript", outputs: { tags: ["x"], name: "acme", __provider: "a" } },
          newState: { type: "pulumi-nodejs:dynamic/wfp:UserScript", inputs: { tags: ["tenant-acme"], name: "acme", __provider: "b" } },
        },
        { op: "create", urn: urn("pulumi-nodejs:dynamic/wfp:ScriptSecret", "globex-STRIPE_KEY"), newState: { type: "pulumi-nodejs:dynamic/wfp:ScriptSecret" } },
      ],
    });
    expect(report.drifted).toEqual([
      { urn: urn("pulumi-nodejs:dynamic/wfp:UserScript", "acme"), op: "update", type: "pulumi-nodejs:dynamic/wfp:UserScript", name: "acme", properties: ["tags"] },
      { urn: urn("pulumi-nodejs:dynamic/wfp:ScriptSecret", "globex-STRIPE_KEY"), op: "create", type: "pulumi-nodejs:dynamic/wfp:ScriptSecret", name: "globex-STRIPE_KEY", properties: [] },
    ]);
    const text = formatDrift(report);
    expect(text).toContain('UserScript "acme" update: tags');
    expect(text).toContain('ScriptSecret "globex-STRIPE_KEY" missing (deleted out of band)');
  });

  it("reports a clean stack as no drift", () => {
    const report = driftFromPreview({ steps: [{ op: "same", urn: urn("pulumi-nodejs:dynamic/wfp:UserScript", "a") }] });
    expect(report.drifted).toEqual([]);
    expect(formatDrift(report)).toMatch(/^No drift/);
  });
});
