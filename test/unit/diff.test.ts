import { describe, expect, it } from "vitest";
import {
  bindingFromWire,
  bindingToWire,
  buildMetadata,
  checkUserScript,
  diffUserScript,
  settingsFromWire,
  type UserScriptInputs,
  type UserScriptOutputs,
} from "../../provider/resources/user-script";
import { diffDispatchNamespace } from "../../provider/resources/dispatch-namespace";
import { diffScriptSecret, secretValueHash } from "../../provider/resources/script-secret";
import { rootOf } from "../../provider/resources/field-changes";
import { UNKNOWN } from "../../provider/validation";

const NOW = new Date("2025-06-15T00:00:00Z");
function inputs(over: Record<string, unknown> = {}): UserScriptInputs {
  const r = checkUserScript(
    {
      namespace: "ns",
      name: "s",
      modules: [{ name: "index.js", content: "export default {}" }],
      compatibilityDate: "2025-01-01",
      bindings: [
        { name: "KV", type: "kv_namespace", namespaceId: "abc" },
        { name: "T", type: "plain_text", text: "x" },
      ],
      tags: ["b", "a"],
      observability: { enabled: true, headSamplingRate: 0.1 },
      placement: { mode: "smart" },
      ...over,
    },
    NOW,
  );
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** What create would store: inputs without content, plus etags. */
function outputsOf(i: UserScriptInputs, extra: Partial<UserScriptOutputs> = {}): UserScriptOutputs {
  const { assets, ...rest } = i;
  return {
    ...rest,
    modules: i.modules.map(({ name, type, sha256 }) => ({ name, type, sha256 })),
    etag: "e1",
    deployedEtag: "e1",
    ...(assets ? { assetsDigest: assets.digest } : {}),
    ...extra,
  };
}

describe("UserScript diff", () => {
  it("no changes for clean state, in both directions", () => {
    const i = inputs();
    expect(diffUserScript(outputsOf(i), i)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
      changedKeys: [],
      fields: [],
    });
  });

  it("refresh direction: outputs read from the API (other order, snake→camel) compare clean", () => {
    const i = inputs();
    const wire = {
      bindings: [
        { name: "T", type: "plain_text", text: "x" },
        { name: "KV", type: "kv_namespace", namespace_id: "abc" },
        { name: "SECRET", type: "secret_text" },
      ],
      compatibility_date: "2025-01-01",
      compatibility_flags: [],
      limits: {},
      logpush: false,
      observability: { enabled: true, head_sampling_rate: 0.1 },
      placement: { mode: "smart" },
      tags: ["a", "b"],
      tail_consumers: null,
      usage_model: "standard",
    };
    const refreshed: UserScriptOutputs = { ...outputsOf(i), ...settingsFromWire(wire, undefined) };
    expect(refreshed.bindings.map((b) => b.name)).toEqual(["T", "KV"]); // secret dropped
    expect(diffUserScript(refreshed, i).changes).toBe(false);
  });

  it("reports content drift by etag and module hash", () => {
    const i = inputs();
    expect(diffUserScript(outputsOf(i, { etag: "other" }), i)).toMatchObject({
      changes: true,
      replaces: [],
      changedKeys: ["etag"],
      fields: [{ path: "etag", kind: "update" }],
    });
    const changed = inputs({ modules: [{ name: "index.js", content: "export default { x: 1 }" }] });
    expect(diffUserScript(outputsOf(i), changed).changes).toBe(true);
  });

  it.each([
    ["tags", { tags: ["c"] }],
    ["bindings", { bindings: [] }],
    ["compatibilityDate", { compatibilityDate: "2024-01-01" }],
    ["compatibilityFlags", { compatibilityFlags: ["nodejs_compat"] }],
    ["logpush", { logpush: true }],
    ["limits", { limits: { cpuMs: 10 } }],
    ["usageModel", { usageModel: "unbound" }],
    ["placement", { placement: {} }],
    ["observability", { observability: { enabled: false } }],
    ["tailConsumers", { tailConsumers: [{ service: "tail" }] }],
  ])("%s change updates in place, naming that field only", (key, over) => {
    const d = diffUserScript(outputsOf(inputs()), inputs(over));
    expect(d).toMatchObject({ changes: true, replaces: [], changedKeys: [key] });
    expect(new Set(d.fields?.map((f) => rootOf(f.path)))).toEqual(new Set([key]));
  });

  it("names each binding added, changed or gone by its index, whatever the order the API lists them in", () => {
    const i = inputs({
      bindings: [
        { name: "KV", type: "kv_namespace", namespaceId: "abc" },
        { name: "T", type: "plain_text", text: "changed" },
        { name: "NEW", type: "plain_text", text: "n" },
      ],
    });
    const live = outputsOf(inputs(), {
      bindings: [
        { name: "GONE", type: "plain_text", text: "g" },
        { name: "T", type: "plain_text", text: "x" },
        { name: "KV", type: "kv_namespace", namespaceId: "abc" },
      ],
    });
    expect(diffUserScript(live, i).fields).toEqual([
      { path: "bindings[1]", kind: "update" },
      { path: "bindings[2]", kind: "add" },
      { path: "bindings[0]", kind: "delete" },
    ]);
    expect(diffUserScript(live, { ...i, bindings: UNKNOWN as unknown as [] }).fields).toEqual([{ path: "bindings", kind: "update" }]);
    // One index both added (in the program's list) and deleted (in the state's): the list as a whole.
    const swapped = inputs({ bindings: [{ name: "NEW", type: "plain_text", text: "n" }] });
    expect(diffUserScript(outputsOf(inputs()), swapped).fields).toEqual([{ path: "bindings", kind: "update" }]);
  });

  it("namespace, name and account changes replace", () => {
    const o = outputsOf(inputs());
    expect(diffUserScript(o, inputs({ name: "t" })).replaces).toEqual(["name"]);
    expect(diffUserScript(o, inputs({ namespace: "other" })).replaces).toEqual(["namespace"]);
    expect(diffUserScript(o, inputs({ accountId: "0123456789abcdef0123456789abcdef" })).replaces).toEqual(["accountId"]);
  });

  it("assets diff on the digest only, never the token", () => {
    const a = { digest: "d1", completionToken: "tok1", config: {}, source: {} };
    const i = inputs({ assets: a });
    const o = outputsOf(i);
    expect(diffUserScript(o, inputs({ assets: { ...a, completionToken: "tok2" } })).changes).toBe(false);
    expect(diffUserScript(o, inputs({ assets: { ...a, digest: "d2" } })).changes).toBe(true);
    expect(diffUserScript(o, inputs()).changes).toBe(true); // assets removed
    expect(diffUserScript({ ...o, assetsDigest: "" }, i).changes).toBe(true); // assets gone out of band
  });

  it("unknowns during preview show as changes", () => {
    expect(diffUserScript(outputsOf(inputs()), { ...inputs(), tags: UNKNOWN as unknown as string[] }).changes).toBe(true);
  });
});

describe("UserScript wire shapes", () => {
  it("metadata always keeps secrets and states the main module", () => {
    const m = buildMetadata(inputs({ limits: { cpuMs: 20 }, usageModel: "unbound" }));
    expect(m).toMatchObject({
      main_module: "index.js",
      keep_bindings: ["secret_text", "secret_key"],
      tags: ["b", "a"],
      compatibility_date: "2025-01-01",
      limits: { cpu_ms: 20 },
      usage_model: "unbound",
      observability: { enabled: true, head_sampling_rate: 0.1 },
      placement: { mode: "smart" },
    });
    expect(m.bindings).toEqual([
      { name: "KV", type: "kv_namespace", namespace_id: "abc" },
      { name: "T", type: "plain_text", text: "x" },
    ]);
  });
  it("binding conversion leaves json values alone and drops unknown API fields", () => {
    expect(bindingToWire({ name: "J", type: "json", json: { someKey: 1 } })).toEqual({ name: "J", type: "json", json: { someKey: 1 } });
    expect(bindingFromWire({ name: "S", type: "service", service: "x", environment: "production", extra_field: 1 })).toEqual({
      name: "S",
      type: "service",
      service: "x",
      environment: "production",
    });
    expect(bindingFromWire({ name: "K", type: "secret_key" })).toBeUndefined();
  });
});

describe("DispatchNamespace diff", () => {
  const o = { name: "ns", namespaceId: "id", trustedWorkers: false, forceDestroy: false };
  it("clean", () => expect(diffDispatchNamespace(o, { name: "ns", trustedWorkers: false, forceDestroy: false }).changes).toBe(false));
  it("rename is an update, not a replace", () =>
    expect(diffDispatchNamespace(o, { name: "ns2", trustedWorkers: false, forceDestroy: false })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      changedKeys: ["name"],
    }));
  it("account change replaces", () =>
    expect(
      diffDispatchNamespace(o, { name: "ns", trustedWorkers: false, forceDestroy: false, accountId: "0123456789abcdef0123456789abcdef" })
        .replaces,
    ).toEqual(["accountId"]));
});

describe("ScriptSecret diff", () => {
  const o = { namespace: "ns", scriptName: "s", name: "K", valueHash: secretValueHash("K", "v") };
  const n = { namespace: "ns", scriptName: "s", name: "K", text: "v" };
  it("clean (also the refresh direction)", () => expect(diffScriptSecret(o, n).changes).toBe(false));
  it("rotation updates", () =>
    expect(diffScriptSecret(o, { ...n, text: "w" })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
      changedKeys: ["text"],
    }));
  it("identity changes replace", () => expect(diffScriptSecret(o, { ...n, scriptName: "t" }).replaces).toEqual(["scriptName"]));
  it("an imported secret (no hash) is rewritten", () => expect(diffScriptSecret({ ...o, valueHash: "" }, n).changes).toBe(true));
  it("the hash binds the name", () => expect(secretValueHash("A", "v")).not.toBe(secretValueHash("B", "v")));
});
