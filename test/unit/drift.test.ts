import { describe, expect, it } from "vitest";
import { driftFromPreview, formatDrift } from "../../provider/drift";

const urn = (type: string, name: string) => `urn:pulumi:dev::wfp-platform::${type}::${name}`;

describe("drift report from pulumi preview --json", () => {
  it("lists repairs with the properties that differ and ignores providers and unchanged resources", async () => {
    const report = await driftFromPreview({
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
        {
          op: "create",
          urn: urn("pulumi-nodejs:dynamic/wfp:ScriptSecret", "globex-STRIPE_KEY"),
          newState: { type: "pulumi-nodejs:dynamic/wfp:ScriptSecret" },
        },
      ],
    });
    expect(report.drifted).toEqual([
      {
        urn: urn("pulumi-nodejs:dynamic/wfp:UserScript", "acme"),
        op: "update",
        type: "pulumi-nodejs:dynamic/wfp:UserScript",
        name: "acme",
        properties: ["tags"],
      },
      {
        urn: urn("pulumi-nodejs:dynamic/wfp:ScriptSecret", "globex-STRIPE_KEY"),
        op: "create",
        type: "pulumi-nodejs:dynamic/wfp:ScriptSecret",
        name: "globex-STRIPE_KEY",
        properties: [],
      },
    ]);
    const text = formatDrift(report);
    expect(text).toContain('UserScript "acme" update: tags');
    expect(text).toContain('ScriptSecret "globex-STRIPE_KEY" missing (deleted out of band)');
  });

  it("names only the properties our resources' diff finds, never module content or secrets", async () => {
    const inputs = {
      namespace: "ns",
      name: "s",
      mainModule: "index.js",
      compatibilityDate: "2025-01-01",
      modules: [{ name: "index.js", type: "application/javascript+module", content: "x", sha256: "h1" }],
      tags: ["tenant-s"],
      assets: "[secret]",
    };
    const outputs = {
      ...inputs,
      assets: undefined,
      assetsDigest: "d1",
      modules: [{ name: "index.js", type: "application/javascript+module", sha256: "h1" }],
      tags: ["tenant-s", "hacked"],
      etag: "theirs",
      deployedEtag: "ours",
    };
    const type = "pulumi-nodejs:dynamic/wfp:UserScript";
    const report = await driftFromPreview({
      steps: [{ op: "update", urn: urn(type, "s"), oldState: { type, outputs }, newState: { type, inputs } }],
    });
    expect(report.drifted[0].properties).toEqual(["etag", "tags"]);
    expect(formatDrift(report)).toContain('UserScript "s" update: etag (deployed by something else), tags');
  });

  it("reports a clean stack as no drift", async () => {
    const report = await driftFromPreview({ steps: [{ op: "same", urn: urn("pulumi-nodejs:dynamic/wfp:UserScript", "a") }] });
    expect(report.drifted).toEqual([]);
    expect(formatDrift(report)).toMatch(/^No drift/);
  });
});
