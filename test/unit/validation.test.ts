import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bindingNameProblem,
  compatibilityDateProblem,
  compatibilityFlagsFailures,
  namespaceNameProblem,
  scriptNameProblem,
  tagsFailures,
  isImportCheck,
  UNKNOWN,
} from "../../provider/validation";
import { checkUserScript } from "../../provider/resources/user-script";
import { checkDispatchNamespace, dispatchNamespaceProvider } from "../../provider/resources/dispatch-namespace";
import { checkScriptSecret } from "../../provider/resources/script-secret";
import { ProviderRun } from "../../provider/run";
import { tempDir } from "../helpers/files";

const tmp = tempDir("validation");

const NOW = new Date("2025-06-15T12:00:00Z");
const props = (fs: Array<{ property: string }>) => fs.map((f) => f.property);

describe("names", () => {
  it.each([
    [undefined, /string/],
    [42, /string/],
    ["", /empty/],
    ["a".repeat(64), /63/],
    ["Upper", /lowercase/],
    ["-lead", /start/],
    ["sp ace", /lowercase/],
    ["under_score", /lowercase/],
  ])("namespace %j is rejected", (v, re) => expect(namespaceNameProblem(v)).toMatch(re));
  it("accepts a good namespace", () => expect(namespaceNameProblem("tenants-eu-1")).toBeUndefined());
  it.each([[""], ["a".repeat(64)], ["Tenant"], ["-x"], ["a.b"], [null]])("script %j is rejected", (v) =>
    expect(scriptNameProblem(v)).toBeDefined(),
  );
  it("accepts a good script name", () => expect(scriptNameProblem("tenant_a-1")).toBeUndefined());
  it.each([[""], ["1ABC"], ["A-B"], ["a b"], ["x".repeat(256)], [7]])("binding/secret name %j is rejected", (v) =>
    expect(bindingNameProblem(v)).toBeDefined(),
  );
  it("accepts identifiers", () => expect(bindingNameProblem("_API_KEY2")).toBeUndefined());
});

describe("tags", () => {
  it("accepts up to 7 good tags", () => expect(tagsFailures("tags", ["a", "b:c", "x".repeat(1024), "d", "e", "f", "g"])).toEqual([]));
  it("keeps the 8th tag for the owner: 8 are refused, and so is a tag with the owner prefix", () => {
    expect(
      tagsFailures(
        "tags",
        Array.from({ length: 8 }, (_, i) => `t${i}`),
      ),
    ).toEqual([
      {
        property: "tags",
        reason: "must hold at most 7 tags (got 8): Cloudflare allows 8 per script, and one names the stack that owns it",
      },
    ]);
    expect(tagsFailures("tags", ["a", "wfp-owner=p/s"])).toEqual([
      { property: "tags[1]", reason: "must not start with wfp-owner=: the provider's owner tag uses that prefix" },
    ]);
  });
  it("rejects too many, too long, bad characters, empty, duplicates, non-strings", () => {
    expect(
      tagsFailures(
        "tags",
        Array.from({ length: 9 }, (_, i) => `t${i}`),
      )[0]!.reason,
    ).toMatch(/at most 7/);
    expect(tagsFailures("tags", ["x".repeat(1025)])[0]!.reason).toMatch(/1024/);
    expect(tagsFailures("tags", ["a,b"])[0]!.reason).toMatch(/','/);
    expect(tagsFailures("tags", ["a&b"])[0]!.reason).toMatch(/&/);
    expect(tagsFailures("tags", [""])[0]!.reason).toMatch(/empty/);
    expect(tagsFailures("tags", ["a", "a"])).toEqual([{ property: "tags[1]", reason: 'duplicates the tag "a"' }]);
    expect(tagsFailures("tags", [1])[0]!.reason).toMatch(/string/);
    expect(tagsFailures("tags", "a")[0]!.reason).toMatch(/list/);
  });
  it("skips unknowns", () => expect(tagsFailures("tags", UNKNOWN)).toEqual([]));
});

describe("compatibility date and flags", () => {
  it.each([
    ["2025-02-30", /real/],
    ["2025-13-01", /real/],
    ["2025-1-1", /YYYY-MM-DD/],
    ["2030-01-01", /future/],
    ["2001-01-01", /2009/],
    [20250101, /string/],
  ])("%j is rejected", (v, re) => expect(compatibilityDateProblem(v, NOW)).toMatch(re));
  it("accepts today and the past", () => {
    expect(compatibilityDateProblem("2025-06-15", NOW)).toBeUndefined();
    expect(compatibilityDateProblem("2024-02-29", NOW)).toBeUndefined();
  });
  it("flags must be unique identifiers", () => {
    expect(compatibilityFlagsFailures("f", ["nodejs_compat"])).toEqual([]);
    expect(props(compatibilityFlagsFailures("f", ["Bad-Flag", "a", "a"]))).toEqual(["f[0]", "f[2]"]);
    expect(compatibilityFlagsFailures("f", "nodejs_compat")).toHaveLength(1);
  });
});

describe("UserScript check", () => {
  const base = {
    namespace: "ns",
    name: "s",
    modules: [{ name: "index.js", content: "export default {}" }],
    compatibilityDate: "2025-01-01",
  };
  const fail = (over: Record<string, unknown>) => checkUserScript({ ...base, ...over }, NOW).failures;

  it("leaves a binding's id that preview does not know yet (another resource's output) to the update", () => {
    expect(fail({ bindings: [{ type: "kv_namespace", name: "KV", namespaceId: UNKNOWN }] })).toEqual([]);
    expect(fail({ bindings: [{ type: "kv_namespace", name: "KV", namespaceId: "x".repeat(33) }] })).toEqual([
      { property: "bindings[0].namespaceId", reason: "must be at most 32 characters (a KV namespace id)" },
    ]);
  });

  it("normalizes a minimal script", () => {
    const { inputs, failures } = checkUserScript(base, NOW);
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({
      mainModule: "index.js",
      compatibilityFlags: [],
      bindings: [],
      tags: [],
      usageModel: "standard",
      limits: {},
      logpush: false,
      observability: { enabled: false },
      placement: {},
      tailConsumers: [],
    });
    expect(inputs.modules[0]).toMatchObject({ type: "application/javascript+module", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("requires namespace, name, modules and compatibilityDate", () => {
    expect(props(checkUserScript({}, NOW).failures)).toEqual(expect.arrayContaining(["namespace", "name", "modules", "compatibilityDate"]));
  });

  it("infers types from extensions and validates stated types", () => {
    const dir = tmp;
    writeFileSync(join(dir, "m.wasm"), Buffer.from([0, 97, 115, 109]));
    const { inputs, failures } = checkUserScript(
      {
        ...base,
        modules: [
          { name: "index.mjs", content: "x" },
          { name: "c.cjs", content: "x" },
          { name: "p.py", content: "x" },
          { name: "m.wasm", path: join(dir, "m.wasm") },
          { name: "x.map", content: "{}" },
          { name: "t.txt", content: "x" },
          { name: "d.bin", path: join(dir, "m.wasm") },
          { name: "noext", content: "x", type: "text/plain" },
        ],
      },
      NOW,
    );
    expect(failures).toEqual([]);
    expect(inputs.modules.map((m) => m.type)).toEqual([
      "application/javascript+module",
      "application/javascript",
      "text/x-python",
      "application/wasm",
      "application/source-map",
      "text/plain",
      "application/octet-stream",
      "text/plain",
    ]);
  });

  /** A module given as content. */
  const mod = (name: string, content: unknown = "x", extra: Record<string, unknown> = {}) => ({ name, content, ...extra });
  it.each<[string, unknown[], string]>([
    ["an empty list", [], "modules"],
    ["neither content nor path", [{ name: "index.js" }], "modules[0]"],
    ["both content and path", [mod("index.js", "x", { path: "y.js" })], "modules[0]"],
    ["a duplicate name", [mod("a.js"), mod("a.js", "y")], "modules[1].name"],
    ["an unknown extension", [mod("index.js"), mod("a.xyz", "y")], "modules[1].type"],
    ["a type modules cannot have", [mod("index.js", "x", { type: "application/json" })], "modules[0].type"],
    ["a name leaving the bundle", [mod("../up.js")], "modules[0].name"],
    ["wasm as content", [mod("index.js"), mod("w.wasm")], "modules[1].content"],
    ["content that is not a string", [mod("index.js", 5)], "modules[0].content"],
  ])("rejects modules with %s", (_what, modules, property) => {
    expect(props(fail({ modules }))).toContain(property);
  });

  it("names an unreadable module path and why", () => {
    expect(fail({ modules: [{ name: "index.js", path: "/nonexistent/file.js" }] })[0]!.reason).toMatch(/cannot be read \(ENOENT\)/);
  });

  it("checks the main module", () => {
    expect(fail({ mainModule: "missing.js" })[0]!.reason).toMatch(/must name one of the modules \(index\.js\)/);
    expect(props(fail({ modules: [{ name: "t.txt", content: "x" }] }))).toEqual(["mainModule"]);
  });

  it("validates bindings and rejects secrets", () => {
    expect(fail({ bindings: [{ name: "S", type: "secret_text", text: "x" }] })[0]!.reason).toMatch(/ScriptSecret/);
    expect(
      props(
        fail({
          bindings: [
            { name: "A", type: "plain_text", text: "x" },
            { name: "A", type: "ai" },
          ],
        }),
      ),
    ).toEqual(["bindings[1].name"]);
    expect(props(fail({ bindings: [{ name: "bad-name", type: "ai" }] }))).toEqual(["bindings[0].name"]);
    expect(props(fail({ bindings: [{ name: "K", type: "kv_namespace" }] }))).toEqual(["bindings[0].namespaceId"]);
    expect(props(fail({ bindings: [{ name: "K", type: "kv_namespace", namespaceId: "x".repeat(33) }] }))).toEqual([
      "bindings[0].namespaceId",
    ]);
    expect(props(fail({ bindings: [{ name: "K", type: "nope" }] }))).toEqual(["bindings[0].type"]);
    expect(props(fail({ bindings: [{ name: "K", type: "ai", extra: 1 }] }))).toEqual(["bindings[0].extra"]);
    expect(props(fail({ bindings: [{ name: "R", type: "r2_bucket", bucketName: "b", jurisdiction: "mars" }] }))).toEqual([
      "bindings[0].jurisdiction",
    ]);
    expect(props(fail({ bindings: [{ name: "A", type: "assets" }] }))).toEqual(["bindings[0].type"]);
    expect(
      fail({
        bindings: [
          { name: "T", type: "plain_text", text: "x" },
          { name: "J", type: "json", json: [1] },
          { name: "S", type: "service", service: "other" },
          { name: "Q", type: "queue", queueName: "q" },
          { name: "D", type: "d1", databaseId: "d" },
          { name: "V", type: "version_metadata" },
          { name: "N", type: "dispatch_namespace", namespace: "ns" },
          { name: "H", type: "hyperdrive", id: "h" },
        ],
      }),
    ).toEqual([]);
  });

  it("validates settings and tags", () => {
    expect(props(fail({ usageModel: "free" }))).toEqual(["usageModel"]);
    expect(props(fail({ limits: { cpuMs: 0 } }))).toEqual(["limits.cpuMs"]);
    expect(props(fail({ limits: { cpuMs: 300_001 } }))).toEqual(["limits.cpuMs"]);
    expect(props(fail({ limits: { memory: 1 } }))).toEqual(["limits.memory"]);
    expect(props(fail({ logpush: "yes" }))).toEqual(["logpush"]);
    expect(props(fail({ observability: { enabled: "yes" } }))).toEqual(["observability"]);
    expect(props(fail({ observability: { enabled: true, headSamplingRate: 2 } }))).toEqual(["observability.headSamplingRate"]);
    expect(props(fail({ placement: { mode: "fast" } }))).toEqual(["placement.mode"]);
    expect(props(fail({ tailConsumers: [{ service: "Bad Name" }] }))).toEqual(["tailConsumers[0]"]);
    expect(props(fail({ tags: ["a,b"] }))).toEqual(["tags[0]"]);
    expect(props(fail({ compatibilityDate: "2025-02-30" }))).toEqual(["compatibilityDate"]);
    expect(props(fail({ accountId: "xyz" }))).toEqual(["accountId"]);
    expect(props(fail({ bogus: 1 }))).toEqual(["bogus"]);
  });

  it("skips validation of unknowns during preview", () => {
    expect(
      checkUserScript({ namespace: UNKNOWN, name: UNKNOWN, modules: UNKNOWN, compatibilityDate: UNKNOWN, tags: UNKNOWN }, NOW).failures,
    ).toEqual([]);
    expect(fail({ modules: [{ name: "index.js", content: UNKNOWN }] })).toEqual([]);
  });
});

describe("DispatchNamespace and ScriptSecret check", () => {
  it("DispatchNamespace", async () => {
    // The engine's internal keys are removed where the provider meets the engine, before check.
    expect(await dispatchNamespaceProvider(new ProviderRun()).check!({}, { name: "ok", __provider: "x" })).toEqual({
      inputs: { name: "ok", trustedWorkers: false, forceDestroy: false },
      failures: [],
    });
    expect(props(checkDispatchNamespace({}).failures)).toEqual(["name"]);
    expect(props(checkDispatchNamespace({ name: "Bad", trustedWorkers: "no", forceDestroy: 1, accountId: "nope" }).failures)).toEqual([
      "name",
      "trustedWorkers",
      "forceDestroy",
      "accountId",
    ]);
  });
  it("ScriptSecret", () => {
    expect(checkScriptSecret({ namespace: "ns", scriptName: "s", name: "KEY", text: "v" }).failures).toEqual([]);
    // No namespace: a secret of an account-level Worker.
    expect(props(checkScriptSecret({}).failures)).toEqual(["scriptName", "name", "text"]);
    expect(props(checkScriptSecret({ namespace: "ns", scriptName: "s", name: "KEY", text: 5 }).failures)).toEqual(["text"]);
    expect(checkScriptSecret({ namespace: UNKNOWN, scriptName: UNKNOWN, name: "K", text: UNKNOWN }).failures).toEqual([]);
  });
});

describe("isImportCheck", () => {
  it("is true only when the inputs are compared with themselves and the field is absent", () => {
    const read = { namespace: "ns", scriptName: "s", name: "KEY", __provider: "x" };
    expect(isImportCheck(read, { ...read, __provider: "y" }, "text")).toBe(true);
    expect(isImportCheck(read, { ...read, text: "v" }, "text")).toBe(false);
    expect(isImportCheck(read, { ...read, name: "OTHER" }, "text")).toBe(false);
    expect(isImportCheck(undefined, {}, "text")).toBe(false);
  });
});
