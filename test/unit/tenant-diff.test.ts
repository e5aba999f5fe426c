/** Tenant's diff (pure): the script's diff plus its secrets, compared by hash only. */
import { describe, expect, it } from "vitest";
import type { TenantInputs } from "../../provider/resources/tenant/check";
import { diffTenant, secretHashesOf, type TenantOutputs } from "../../provider/resources/tenant/provider";
import { UNKNOWN } from "../../provider/validation";
import { scriptInputs } from "../helpers/script-inputs";

const inputs = (over: Partial<TenantInputs> = {}): TenantInputs => ({
  ...scriptInputs({
    namespace: "ns",
    name: "acme",
    modules: [{ name: "index.js", type: "esm", content: "x", sha256: "aa" }] as never,
    tags: ["tenant-acme"],
  }),
  tenantId: "acme",
  secrets: { A: "1", B: "2" },
  assetFiles: 0,
  ...over,
});

const outputs = (i: TenantInputs): TenantOutputs => ({
  namespace: i.namespace,
  name: i.name,
  modules: i.modules.map(({ name, type, sha256 }) => ({ name, type, sha256 })),
  mainModule: i.mainModule,
  compatibilityDate: i.compatibilityDate,
  compatibilityFlags: i.compatibilityFlags,
  bindings: i.bindings,
  tags: i.tags,
  usageModel: i.usageModel,
  limits: i.limits,
  logpush: i.logpush,
  observability: i.observability,
  placement: i.placement,
  tailConsumers: i.tailConsumers,
  etag: "e1",
  deployedEtag: "e1",
  scriptName: i.name,
  secretNames: Object.keys(i.secrets).sort(),
  secretHashes: secretHashesOf(i.secrets),
  assetFiles: 0,
});

describe("diffTenant", () => {
  it("no change when nothing changed", () => {
    expect(diffTenant(outputs(inputs()), inputs())).toMatchObject({ changes: false, replaces: [] });
  });

  it("a rotated secret is a `secrets` change, an added or removed one a `secretNames` change, in place", () => {
    const olds = outputs(inputs());
    const named = (secrets: Record<string, string>) => inputs({ secrets, secretNames: Object.keys(secrets).sort() });
    expect(diffTenant(olds, named({ A: "1", B: "3" }))).toMatchObject({ changes: true, replaces: [], changedKeys: ["secrets"] });
    expect(diffTenant(olds, named({ A: "1" }))).toMatchObject({ changes: true, replaces: [], changedKeys: ["secretNames"] });
    expect(diffTenant(olds, named({ A: "1", B: "2", C: "3" })).changedKeys).toEqual(["secretNames"]);
    expect(diffTenant(olds, named({ A: "1", B: "2" })).changes).toBe(false);
  });

  it("names each secret added, rotated or gone, and nothing else", () => {
    const olds = outputs(inputs());
    const named = (secrets: Record<string, string>) => inputs({ secrets, secretNames: Object.keys(secrets).sort() });
    expect(diffTenant(olds, named({ A: "1", B: "3" })).fields).toEqual([{ path: "secrets.B", kind: "update" }]);
    expect(diffTenant(olds, named({ A: "1", C: "3" })).fields).toEqual([
      { path: "secrets.C", kind: "add" },
      { path: "secrets.B", kind: "delete" },
    ]);
    // Deleted out of band: the refreshed outputs lack it, the program still has it.
    const { B: _b, ...hashes } = olds.secretHashes!;
    const refreshed = { ...olds, secretNames: ["A"], secretHashes: hashes };
    expect(diffTenant(refreshed, named({ A: "1", B: "2" })).fields).toEqual([{ path: "secrets.B", kind: "add" }]);
    expect(diffTenant(olds, named({ A: "1", B: "2" })).fields).toEqual([]);
  });

  it("a tenant without secrets whose script was deployed by something else names `etag` alone", () => {
    const none = inputs({ secrets: {}, secretNames: [] });
    expect(diffTenant({ ...outputs(none), etag: "theirs" }, none)).toMatchObject({
      changedKeys: ["etag"],
      fields: [{ path: "etag", kind: "update" }],
    });
  });

  it("without the names (inputs whose values are masked) any difference is a `secrets` change", () => {
    const olds = outputs(inputs());
    for (const secrets of [{ A: "1", B: "3" }, { A: "1" }, { A: "1", B: "2", C: "3" }]) {
      expect(diffTenant(olds, inputs({ secrets }))).toMatchObject({ changes: true, replaces: [], changedKeys: ["secrets"] });
    }
  });

  it("a secret value unknown at preview is a change", () => {
    const d = diffTenant(outputs(inputs()), inputs({ secrets: { A: UNKNOWN, B: "2" } }));
    expect(d.changedKeys).toEqual(["secrets"]);
    expect(d.fields).toEqual([{ path: "secrets", kind: "update" }]);
  });

  it("a state without secret hashes (taken over from a UserScript) always updates", () => {
    const { secretHashes: _h, ...legacy } = outputs(inputs({ secrets: {} }));
    expect(diffTenant(legacy, inputs({ secrets: {} })).changedKeys).toEqual(["secrets"]);
  });

  it("the script's own changes and replacements come from the script's diff", () => {
    const olds = outputs(inputs());
    expect(diffTenant(olds, inputs({ tags: ["tenant-acme", "plan-pro"] })).changedKeys).toEqual(["tags"]);
    expect(diffTenant(olds, inputs({ name: "other" })).replaces).toEqual(["name"]);
    expect(diffTenant({ ...olds, etag: "e2" }, inputs()).changedKeys).toEqual(["etag"]);
  });

  it("outputs hold hashes only, never a value", () => {
    expect(JSON.stringify(outputs(inputs({ secrets: { A: "hunter2-secret" } })))).not.toContain("hunter2-secret");
  });
});
