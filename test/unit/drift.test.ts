import { describe, expect, it } from "vitest";
import { driftFromPreview, formatDrift, hasDrift } from "../../provider/drift";
import { classifyStrays, scopeFromPreview } from "../../provider/drift-strays";

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

describe("scripts in the stack's namespaces that its state does not hold", () => {
  const US = "pulumi-nodejs:dynamic/wfp:UserScript";
  const NS = "pulumi-nodejs:dynamic/wfp:DispatchNamespace";
  const OWNER = "wfp-owner=platform/dev";
  const scope = scopeFromPreview([
    { urn: urn(NS, "ns"), oldState: { type: NS, outputs: { name: "customers" } }, newState: { type: NS, inputs: { name: "customers" } } },
    {
      urn: urn(US, "acme"),
      oldState: { type: US, outputs: { namespace: "customers", name: "acme", owner: OWNER } },
      newState: { type: US, inputs: { namespace: "customers", name: "acme", owner: OWNER } },
    },
    // Declared, not in the state (a run that died before saving it).
    { urn: urn(US, "globex"), newState: { type: US, inputs: { namespace: "customers", name: "globex", owner: OWNER } } },
    { urn: urn(US, "other"), newState: { type: US, inputs: { namespace: "legacy", name: "initech", owner: OWNER } } },
  ]);

  it("reads the owner, the namespaces and which scripts are in the state or declared from the preview", () => {
    expect(scope.owner).toBe(OWNER);
    expect(scope.namespaces).toEqual(["customers", "legacy"]);
    expect([...scope.inState]).toEqual(["customers/acme"]);
    expect([...scope.declared].sort()).toEqual(["customers/acme", "customers/globex", "legacy/initech"]);
  });

  it("lists this stack's scripts missing from its state and scripts no stack owns; never another stack's", () => {
    const strays = classifyStrays(
      "customers",
      [
        { name: "acme", tags: ["tenant-acme", OWNER] },
        { name: "globex", tags: ["tenant-globex", OWNER] },
        { name: "crashed-then-removed", tags: [OWNER] },
        { name: "by-hand", tags: ["tenant-x"] },
        { name: "shard-b", tags: ["wfp-owner=platform/shard-b"] },
      ],
      scope,
    );
    expect(strays).toEqual([
      { namespace: "customers", name: "globex", owner: OWNER, kind: "own-not-in-state", declared: true },
      { namespace: "customers", name: "crashed-then-removed", owner: OWNER, kind: "own-not-in-state", declared: false },
      { namespace: "customers", name: "by-hand", owner: "", kind: "unowned", declared: false },
    ]);
    const text = formatDrift({ drifted: [], summary: {}, strays });
    expect(text).toBe(
      [
        "3 script(s) in the stack's namespaces that its state does not hold:",
        `  "customers/globex": this stack's owner tag (${OWNER}) but not in its state (left by a run that died), declared: the next pulumi up adopts it`,
        `  "customers/crashed-then-removed": this stack's owner tag (${OWNER}) but not in its state (left by a run that died), no longer declared: import it, or delete it`,
        `  "customers/by-hand": no owner tag (deployed outside Pulumi)`,
      ].join("\n"),
    );
    expect(hasDrift({ drifted: [], summary: {}, strays })).toBe(true);
    expect(hasDrift({ drifted: [], summary: {}, strays: [] })).toBe(false);
    expect(formatDrift({ drifted: [], summary: {}, strays: [] })).toBe("No drift: every resource matches the program.");
  });
});
