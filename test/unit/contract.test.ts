/**
 * Each half held to the Cloudflare model (cloudflare/): the emulator refuses, through its API, exactly what the
 * model says Cloudflare refuses, with Cloudflare's code, and the provider's check refuses the same inputs before any
 * request. test/unit/cloudflare-model.test.ts holds the model itself to the SDK and Miniflare.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { HTML_HANDLING, NOT_FOUND_HANDLING } from "../../cloudflare/assets";
import { parseCron } from "../../cloudflare/cron";
import { ERROR_CODES, GONE_CODES } from "../../cloudflare/errors";
import { kvKeyFault } from "../../cloudflare/kv";
import { MAX_CRONS, MAX_TAGS_PER_SCRIPT } from "../../cloudflare/limits";
import { NAMESPACE_NAME_RE, SCRIPT_NAME_RE, tagFault } from "../../cloudflare/names";
import { isModuleType, MODULE_TYPES, USAGE_MODELS } from "../../cloudflare/scripts";
import { Codes, createApp } from "../../emulator";
import { CODES } from "../../provider/api/errors";
import { assetConfigFailures } from "../../provider/assets/serving-config";
import { cronsFailures } from "../../provider/cron";
import { entriesFailures } from "../../provider/resources/kv/entries";
import { checkUserScript } from "../../provider/resources/user-script";
import { isUnknown, namespaceNameProblem, scriptNameProblem, tagsFailures } from "../../provider/validation";

const TOKEN = "contract-token";
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const WORKERS = `/client/v4/accounts/${ACCOUNT}/workers`;
const NOW = new Date("2025-06-15T12:00:00Z");
const app = createApp({ tokens: [TOKEN], rateLimit: false });

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; codes: number[] }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${TOKEN}` } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, "content-type": "application/json" };
  }
  const res = await app.request(path, init);
  const json = (await res.json()) as { errors?: Array<{ code: number }> };
  return { status: res.status, codes: (json.errors ?? []).map((e) => e.code) };
}

/** An upload of one ES module (and `extra` modules), with the metadata given. */
function upload(metadata: Record<string, unknown>, extra: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify({ main_module: "w.mjs", ...metadata })], { type: "application/json" }), "metadata");
  form.append(
    "w.mjs",
    new Blob(["export default { fetch() { return new Response('x'); } };"], { type: "application/javascript+module" }),
    "w.mjs",
  );
  for (const [name, type] of Object.entries(extra)) form.append(name, new Blob(["x"], { type }), name);
  return form;
}

const NS = "contract";
const script = (name: string) => `${WORKERS}/dispatch/namespaces/${NS}/scripts/${name}`;
/** The provider's check of a UserScript with these inputs over a valid one: the failing properties. */
const checkFails = (over: Record<string, unknown>) =>
  checkUserScript(
    { namespace: NS, name: "s", modules: [{ name: "w.mjs", content: "export default {}" }], compatibilityDate: "2025-01-01", ...over },
    NOW,
  ).failures.map((f) => f.property);

beforeAll(async () => {
  expect((await api("POST", `${WORKERS}/dispatch/namespaces`, { name: NS })).status).toBe(200);
});

describe("names", () => {
  const names = ["a", "tenant-1", "a".repeat(63), "a".repeat(64), "Upper", "-lead", "under_score", "_x", "has space", "constructor"];

  test.each(names)("namespace %j: the emulator creates it, and check passes it, exactly when the model allows it", async (name) => {
    const allowed = NAMESPACE_NAME_RE.test(name);
    const created = await api("POST", `${WORKERS}/dispatch/namespaces`, { name: `${name}` });
    expect(created.status === 200, "emulator").toBe(allowed);
    expect(namespaceNameProblem(name) === undefined, "provider").toBe(allowed);
    if (allowed) await api("DELETE", `${WORKERS}/dispatch/namespaces/${name}`);
  });

  test.each(names)("script %j: the emulator takes the upload, and check passes it, exactly when the model allows it", async (name) => {
    const allowed = SCRIPT_NAME_RE.test(name);
    const put = await api("PUT", script(encodeURIComponent(name)), upload({}));
    expect(put.status === 200, "emulator").toBe(allowed);
    if (!allowed) expect(put.codes).toEqual([ERROR_CODES.INVALID_SCRIPT_NAME]);
    expect(scriptNameProblem(name) === undefined, "provider").toBe(allowed);
  });
});

describe("tags", () => {
  const tags = ["prod", "x".repeat(1024), "x".repeat(1025), "", "a,b", "a&b", "a:b", "customer 1"];
  const FAULT_CODES = {
    "too long": ERROR_CODES.TAG_TOO_LONG,
    empty: ERROR_CODES.TAG_INVALID,
    "forbidden character": ERROR_CODES.TAG_INVALID,
  };

  test.each(tags.map((t) => [t.length > 20 ? `${t.length} characters` : JSON.stringify(t), t]))(
    "tag %s: refused by both exactly when the model finds a fault, with its code",
    async (_shown, tag) => {
      const fault = tagFault(tag);
      const put = await api("PUT", script("tagged"), upload({ tags: [tag] }));
      expect(put.codes, "emulator").toEqual(fault ? [FAULT_CODES[fault]] : []);
      expect(tagsFailures("tags", [tag]).length > 0, "provider").toBe(fault !== undefined);
    },
  );

  test("tags per script: the emulator takes the model's number and refuses one more; check keeps one for the owner tag", async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    expect((await api("PUT", script("tagged"), upload({ tags: many(MAX_TAGS_PER_SCRIPT) }))).status).toBe(200);
    expect((await api("PUT", script("tagged"), upload({ tags: many(MAX_TAGS_PER_SCRIPT + 1) }))).codes).toEqual([
      ERROR_CODES.TOO_MANY_TAGS,
    ]);
    expect(tagsFailures("tags", many(MAX_TAGS_PER_SCRIPT - 1))).toEqual([]);
    expect(tagsFailures("tags", many(MAX_TAGS_PER_SCRIPT))).not.toEqual([]);
  });
});

describe("module types", () => {
  test.each([...MODULE_TYPES, "application/json", "text/html", "application/x-python"])(
    "%s: uploaded by the emulator, and passed by check, exactly when it is one of the model's",
    async (type) => {
      const allowed = isModuleType(type);
      const put = await api("PUT", script("typed"), upload({}, { "extra.bin": type }));
      expect(put.codes, "emulator").toEqual(allowed ? [] : [ERROR_CODES.SCRIPT_INVALID]);
      const modules = [
        { name: "w.mjs", content: "export default {}" },
        { name: "extra.txt", content: "x", type },
      ];
      expect(checkFails({ modules }).includes("modules[1].type"), "provider").toBe(!allowed);
    },
  );
});

describe("script settings", () => {
  test.each([...USAGE_MODELS, "Standard", "premium"])("usage model %j: taken by both exactly when the model lists it", async (usage) => {
    const allowed = (USAGE_MODELS as readonly string[]).includes(usage);
    const put = await api("PUT", script("usage"), upload({ usage_model: usage }));
    expect(put.status === 200, "emulator").toBe(allowed);
    expect(checkFails({ usageModel: usage }).includes("usageModel"), "provider").toBe(!allowed);
  });

  test.each([
    ["html_handling", "htmlHandling", [...HTML_HANDLING, "auto", "trailing-slash"]],
    ["not_found_handling", "notFoundHandling", [...NOT_FOUND_HANDLING, "404", "spa"]],
  ] as const)("assets config %s: taken by both exactly when the model lists the value", async (wire, input, values) => {
    const allowed: readonly string[] = wire === "html_handling" ? HTML_HANDLING : NOT_FOUND_HANDLING;
    for (const value of values) {
      const put = await api("PUT", script("served"), upload({ assets: { config: { [wire]: value } } }));
      expect(put.status === 200, `emulator: ${value}`).toBe(allowed.includes(value));
      expect(assetConfigFailures({ [input]: value }).length === 0, `provider: ${value}`).toBe(allowed.includes(value));
    }
  });
});

describe("cron triggers", () => {
  const expressions = [
    "* * * * *",
    "*/30 1-5 * jan-mar sun",
    "0 18 * * 6L",
    "59 23 LW * *",
    "0 9 * * 2#1",
    "0 12 15W * *",
    "* * * *",
    "60 * * * *",
    "* * * * 0",
    "* * 0 * *",
    "*/0 * * * *",
    "5-1 * * * *",
    "* * * * 2#6",
    "x * * * *",
  ];

  test.each(expressions)("%j: refused by both exactly when the model's parser refuses it", async (cron) => {
    const valid = !(parseCron(cron) instanceof Error);
    await api("PUT", script("cron"), upload({}));
    const put = await api("PUT", `${script("cron")}/schedules`, [{ cron }]);
    expect(put.status === 200, "emulator").toBe(valid);
    expect(cronsFailures("crons", [cron], isUnknown).length === 0, "provider").toBe(valid);
  });

  test("how many: the model's limit is taken by both, one more refused", async () => {
    const crons = (n: number) => Array.from({ length: n }, (_, i) => `${i % 60} ${Math.floor(i / 60)} * * *`);
    await api("PUT", script("cron"), upload({}));
    expect(
      (
        await api(
          "PUT",
          `${script("cron")}/schedules`,
          crons(MAX_CRONS).map((cron) => ({ cron })),
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await api(
          "PUT",
          `${script("cron")}/schedules`,
          crons(MAX_CRONS + 1).map((cron) => ({ cron })),
        )
      ).status,
    ).toBe(400);
    expect(cronsFailures("crons", crons(MAX_CRONS), isUnknown)).toEqual([]);
    expect(cronsFailures("crons", crons(MAX_CRONS + 1), isUnknown)).not.toEqual([]);
  });
});

describe("Workers KV keys", () => {
  let kv: string;
  beforeAll(async () => {
    const res = await app.request(`/client/v4/accounts/${ACCOUNT}/storage/kv/namespaces`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "contract" }),
    });
    kv = ((await res.json()) as { result: { id: string } }).result.id;
  });

  test.each(["k", "a/b", "é".repeat(256), "é".repeat(257), "x".repeat(512), "x".repeat(513), ".", "..", "..."])(
    "key of %#: written by the emulator, and passed by check, exactly when the model finds no fault",
    async (key) => {
      const fault = kvKeyFault(key);
      const put = await api("PUT", `/client/v4/accounts/${ACCOUNT}/storage/kv/namespaces/${kv}/values/${encodeURIComponent(key)}`, "v");
      expect(put.status === 200, "emulator").toBe(fault === undefined);
      expect(entriesFailures({ [key]: "v" }).length === 0, "provider").toBe(fault === undefined);
    },
  );
});

describe("error codes", () => {
  test("the emulator sends each of Cloudflare's codes under its own name: none of its invented ones shadows one", () => {
    for (const [name, code] of Object.entries(ERROR_CODES)) expect(Codes[name as keyof typeof Codes], name).toBe(code);
  });

  test("the emulator says 'gone' with the codes the model names, and those are the codes the provider reads as gone", async () => {
    const missingNamespace = await api("GET", `${WORKERS}/dispatch/namespaces/absent-ns`);
    expect(missingNamespace.status).toBe(404);
    expect(GONE_CODES.namespace).toEqual(expect.arrayContaining(missingNamespace.codes));
    expect(missingNamespace.codes).toContain(CODES.namespaceNotFound);

    const missingScript = await api("GET", `${script("absent")}`);
    expect(missingScript.status).toBe(404);
    expect(GONE_CODES.script).toEqual(expect.arrayContaining(missingScript.codes));
    expect(CODES.scriptNotFound).toEqual(expect.arrayContaining(missingScript.codes));

    await api("PUT", script("no-secrets"), upload({}));
    const missingSecret = await api("GET", `${script("no-secrets")}/secrets/ABSENT`);
    expect(missingSecret.status).toBe(404);
    expect(missingSecret.codes).toEqual([...GONE_CODES.secret]);
    expect(missingSecret.codes).toEqual([CODES.secretNotFound]);

    const missingKv = await api("GET", `/client/v4/accounts/${ACCOUNT}/storage/kv/namespaces/${"0".repeat(32)}`);
    expect(missingKv.status).toBe(404);
    expect(missingKv.codes).toEqual([...GONE_CODES.kvNamespace]);
    expect(missingKv.codes).toEqual([CODES.kvNamespaceNotFound]);
  });
});
