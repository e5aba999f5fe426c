import { describe, expect, it } from "vitest";
import { type DriftReport, driftFromPreview, driftJson, formatDrift, hasDrift } from "../../provider/drift";
import { parsePath } from "../../provider/drift-fields";
import { entryChanges, propertyPath } from "../../provider/resources/field-changes";
import { classifyStrays, scopeFromPreview } from "../../provider/drift-strays";
import { bindingDigest } from "../../provider/resources/script/digests";

const urn = (type: string, name: string) => `urn:pulumi:dev::wfp-platform::${type}::${name}`;

describe("drift report from pulumi preview --json", () => {
  const TENANT = "pulumi-nodejs:dynamic/wfp:Tenant";
  /** A Tenant's step as the JSON preview shows it: secret values (and the hashes output) masked. */
  const tenantStep = (
    name: string,
    detailedDiff: Record<string, { kind: string }>,
    over: { stored?: Record<string, unknown>; program?: Record<string, unknown>; live?: Record<string, unknown> } = {},
  ) => {
    const inputs = { namespace: "ns", name, tags: [`tenant-${name}`], secrets: "[secret]", secretNames: ["STRIPE_KEY", "WEBHOOK_SECRET"] };
    return {
      op: "update",
      urn: urn(TENANT, name),
      detailedDiff,
      diffReasons: [...new Set(Object.keys(detailedDiff).map((p) => p.split(/[.[]/)[0]))],
      oldState: {
        type: TENANT,
        inputs: { ...inputs, ...over.stored },
        outputs: { ...inputs, secrets: undefined, secretHashes: "[secret]", etag: "theirs", deployedEtag: "ours", ...over.live },
      },
      newState: { type: TENANT, inputs: { ...inputs, ...over.program } },
    };
  };
  const fieldsOf = (report: DriftReport, name: string) =>
    report.drifted.find((r) => r.name === name)?.fields.map((f) => `${f.path}: ${f.message}`);

  it("names each field of every drift kind the platform stack meets, and nothing that did not change", () => {
    const report = driftFromPreview({
      changeSummary: { same: 1, update: 5, create: 2 },
      steps: [
        { op: "same", urn: urn("pulumi-nodejs:dynamic/wfp:KvNamespace", "routes-ns") },
        { op: "update", urn: urn("pulumi:providers:pulumi-nodejs", "default"), newState: { type: "pulumi:providers:pulumi-nodejs" } },
        // Its code replaced through the API; the same for another deploy with other assets.
        tenantStep("multi", { etag: { kind: "update" } }, { stored: { secretNames: [] }, program: { secretNames: [] } }),
        tenantStep("billing", { "secrets.STRIPE_KEY": { kind: "add" } }),
        tenantStep("tagged", { tags: { kind: "update" } }, { live: { tags: ["tenant-tagged", "plan-free", "team-red"] } }),
        {
          op: "update",
          urn: urn("pulumi-nodejs:dynamic/wfp:KvEntries", "routes"),
          detailedDiff: { 'entries["tenant:multi"]': { kind: "add" } },
          oldState: {
            type: "pulumi-nodejs:dynamic/wfp:KvEntries",
            inputs: { namespaceId: "n", entries: { "tenant:multi": "{}", "tenant:site": "{}" } },
            outputs: { namespaceId: "n", hashes: { "tenant:site": "h" } },
          },
          newState: {
            type: "pulumi-nodejs:dynamic/wfp:KvEntries",
            inputs: { namespaceId: "n", entries: { "tenant:multi": "{}", "tenant:site": "{}" } },
          },
        },
        { op: "create", urn: urn(TENANT, "doomed"), newState: { type: TENANT, inputs: { namespace: "ns", name: "doomed" } } },
        {
          op: "create",
          urn: urn("pulumi-nodejs:dynamic/wfp:DispatchNamespace", "platform"),
          newState: { type: "pulumi-nodejs:dynamic/wfp:DispatchNamespace" },
        },
      ],
    });
    expect(report.drifted.map((r) => `${r.op} ${r.name}`)).toEqual([
      "update multi",
      "update billing",
      "update tagged",
      "update routes",
      "create doomed",
      "create platform",
    ]);
    expect(fieldsOf(report, "multi")).toEqual(["etag: deployed by something else"]);
    expect(fieldsOf(report, "billing")).toEqual(["secrets.STRIPE_KEY: deleted out of band"]);
    expect(fieldsOf(report, "tagged")).toEqual(["tags: changed out of band"]);
    expect(fieldsOf(report, "routes")).toEqual(['entries["tenant:multi"]: deleted out of band']);
    expect(fieldsOf(report, "doomed")).toEqual([]);
    expect(formatDrift(report)).toBe(
      [
        "Drift in 6 resource(s):",
        '  Tenant "multi" update',
        "    etag: deployed by something else",
        '  Tenant "billing" update',
        "    secrets.STRIPE_KEY: deleted out of band",
        '  Tenant "tagged" update',
        "    tags: changed out of band",
        '  KvEntries "routes" update',
        '    entries["tenant:multi"]: deleted out of band',
        '  Tenant "doomed" missing (deleted out of band)',
        '  DispatchNamespace "platform" missing (deleted out of band)',
      ].join("\n"),
    );
  });

  it("names a binding by its name from a compact state's digests too (a Tenant's outputs)", () => {
    const binding = (name: string, text: string) => ({ name, type: "plain_text", text });
    const stored = { bindings: [binding("A", "a"), binding("E", "e")] };
    const step = tenantStep(
      "acme",
      { "bindings[0]": { kind: "delete" }, "bindings[2]": { kind: "delete" } },
      { stored, live: { digests: { bindings: ["C=abc", "A=def", "E=ghi"] } }, program: { bindings: [binding("A", "a")] } },
    );
    expect(fieldsOf(driftFromPreview({ steps: [step] }), "acme")).toEqual([
      "bindings[0]: added out of band (C)",
      "bindings[2]: removed from the program (E)",
    ]);
  });

  it("names each binding of a Tenant whose bindings are stored as one text, from the live digests", () => {
    const binding = (name: string, text: string) => ({ name, type: "plain_text", text });
    const text = (list: unknown[]) => JSON.stringify(list);
    const ours = [binding("A", "a"), binding("B", "b")];
    // Out of band: B's text changed and C was added; the program and the last up still say A and B.
    const live = { digests: JSON.stringify({ bindings: [binding("C", "c"), ours[0], binding("B", "changed")].map(bindingDigest) }) };
    const step = tenantStep(
      "acme",
      { bindings: { kind: "update" } },
      { stored: { bindings: text(ours) }, program: { bindings: text(ours) }, live },
    );
    expect(fieldsOf(driftFromPreview({ steps: [step] }), "acme")).toEqual([
      "bindings[0]: added out of band (C)",
      "bindings[1]: changed out of band (B)",
    ]);
    // Masked (a secret inside), the list is named whole.
    const masked = tenantStep(
      "acme",
      { bindings: { kind: "update" } },
      { stored: { bindings: "[secret]" }, program: { bindings: "[secret]" }, live },
    );
    expect(fieldsOf(driftFromPreview({ steps: [masked] }), "acme")).toEqual(["bindings: differs from the program"]);
  });

  it("tells a change of the program since the last up from one made out of band", () => {
    const binding = (name: string, text: string) => ({ name, type: "plain_text", text });
    const stored = { bindings: [binding("A", "a"), binding("B", "b"), binding("E", "e")], compatibilityDate: "2025-01-01" };
    const step = tenantStep(
      "acme",
      {
        "bindings[0]": { kind: "delete" },
        "bindings[1]": { kind: "update" },
        "bindings[2]": { kind: "add" },
        "bindings[3]": { kind: "delete" },
        compatibilityDate: { kind: "update" },
        "secrets.NEW": { kind: "add" },
        "secrets.STRIPE_KEY": { kind: "update" },
        "secrets.WEBHOOK_SECRET": { kind: "delete" },
        name: { kind: "update-replace" },
      },
      {
        stored,
        // Live, in another order: C added and B changed out of band.
        live: { bindings: [binding("C", "c"), binding("A", "a"), binding("B", "changed"), binding("E", "e")] },
        // The program: E removed, D added.
        program: {
          ...stored,
          name: "acme2",
          bindings: [binding("A", "a"), binding("B", "b"), binding("D", "d")],
          compatibilityDate: "2025-06-01",
          secretNames: ["NEW", "STRIPE_KEY"],
        },
      },
    );
    expect(fieldsOf(driftFromPreview({ steps: [step] }), "acme")).toEqual([
      "bindings[0]: added out of band (C)",
      "bindings[1]: changed out of band (B)",
      "bindings[2]: added in the program (D)",
      "bindings[3]: removed from the program (E)",
      "compatibilityDate: changed in the program",
      "name: changed in the program; replaces the resource",
      "secrets.NEW: added in the program",
      "secrets.STRIPE_KEY: changed in the program",
      "secrets.WEBHOOK_SECRET: removed from the program",
    ]);
  });

  it("a tenant without secrets whose script was redeployed names etag only (masked hashes compare nothing)", () => {
    const step = tenantStep(
      "blog",
      { etag: { kind: "update" } },
      { stored: { secrets: {}, secretNames: [] }, program: { secrets: {}, secretNames: [] } },
    );
    expect(formatDrift(driftFromPreview({ steps: [step] }))).toBe(
      ["Drift in 1 resource(s):", '  Tenant "blog" update', "    etag: deployed by something else"].join("\n"),
    );
  });

  it("words a masked value's change without guessing who made it", () => {
    const step = tenantStep(
      "acme",
      { "limits.cpuMs": { kind: "update" } },
      { stored: { limits: "[secret]" }, program: { limits: "[secret]" } },
    );
    expect(fieldsOf(driftFromPreview({ steps: [step] }), "acme")).toEqual(["limits.cpuMs: differs from the program"]);
  });

  it("as JSON for CI: each resource with its change and fields, and the strays", () => {
    const report = driftFromPreview({ steps: [tenantStep("billing", { "secrets.STRIPE_KEY": { kind: "add" } })] });
    expect(
      JSON.parse(driftJson({ ...report, strays: [{ namespace: "ns", name: "x", owner: "", kind: "unowned", declared: false }] })),
    ).toEqual({
      drift: true,
      resources: [
        {
          urn: urn(TENANT, "billing"),
          type: TENANT,
          name: "billing",
          change: "update",
          fields: [{ path: "secrets.STRIPE_KEY", change: "add", replaces: false, message: "deleted out of band" }],
        },
      ],
      strays: [{ namespace: "ns", name: "x", owner: "", kind: "unowned", declared: false }],
    });
    expect(JSON.parse(driftJson({ drifted: [], summary: {}, strays: [] }))).toEqual({ drift: false, resources: [], strays: [] });
  });

  it("reports a resource the refresh found changed or gone once, as the program's step plans its repair", () => {
    const billing = tenantStep("billing", { "secrets.STRIPE_KEY": { kind: "add" } });
    // The refresh's own steps come first: its diff inverted (live against the last up), or a delete.
    const refreshed = { ...billing, detailedDiff: { "secrets.STRIPE_KEY": { kind: "delete" } } };
    const gone = { op: "delete", urn: urn(TENANT, "doomed"), oldState: { type: TENANT } };
    const doomed = { op: "create", urn: urn(TENANT, "doomed"), newState: { type: TENANT } };
    const renamed = ["create-replacement", "replace", "delete-replaced"].map((op) => ({
      ...tenantStep("acme", { name: { kind: "update-replace" } }),
      op,
    }));
    const report = driftFromPreview({ steps: [refreshed, gone, billing, doomed, ...renamed] });
    expect(report.drifted.map((r) => `${r.op} ${r.name}: ${r.fields.map((f) => `${f.path} ${f.change}`).join(", ")}`)).toEqual([
      "update billing: secrets.STRIPE_KEY add",
      "create doomed: ",
      "replace acme: name update",
    ]);
  });

  it("names the changed keys of a provider that gives no detailed diff", () => {
    const type = "aws:s3/bucket:Bucket";
    const step = {
      op: "replace",
      urn: urn(type, "b"),
      diffReasons: ["tags"],
      replaceReasons: ["bucket"],
      oldState: { type, inputs: { bucket: "a", tags: { x: "1" } }, outputs: { bucket: "a", tags: { x: "2" } } },
      newState: { type, inputs: { bucket: "b", tags: { x: "1" } } },
    };
    expect(driftFromPreview({ steps: [{ ...step, op: "create-replacement" }] }).drifted[0].fields).toEqual([
      { path: "bucket", change: "update", replaces: true, message: "changed in the program; replaces the resource" },
      { path: "tags", change: "update", replaces: false, message: "changed out of band" },
    ]);
  });

  it("reports a clean stack as no drift", () => {
    const report = driftFromPreview({ steps: [{ op: "same", urn: urn("pulumi-nodejs:dynamic/wfp:UserScript", "a") }] });
    expect(report.drifted).toEqual([]);
    expect(formatDrift(report)).toMatch(/^No drift/);
  });

  it("writes and parses property paths as the engine does, and names a map whose key it cannot write as a whole", () => {
    for (const key of ["tenant:a", 'say "hi"', "a.b[0]", "PLAIN"])
      expect(parsePath(propertyPath("entries", key))).toEqual(["entries", key]);
    expect(propertyPath("entries", 'say "hi"')).toBe('entries["say \\"hi\\""]');
    expect(entryChanges("entries", { "a\\b": "1", c: "1" }, { "a\\b": "2", c: "1" })).toEqual([{ path: "entries", kind: "update" }]);
    expect(entryChanges("entries", { "a\\b": "1" }, { "a\\b": "1" })).toEqual([]);
    expect(parsePath('entries["tenant:a"]')).toEqual(["entries", "tenant:a"]);
    expect(parsePath("bindings[2].text")).toEqual(["bindings", 2, "text"]);
    expect(parsePath("secrets.STRIPE_KEY")).toEqual(["secrets", "STRIPE_KEY"]);
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
