/**
 * Account-level Workers (the dispatch Worker, an outbound Worker): upload, download, delete, list, search, content,
 * settings and script-settings, secrets, the workers.dev subdomain, the usage model and the assets session, with
 * the same envelopes and codes as user Workers but 10007 for a missing script. Through the official SDK where its
 * methods work; uploads are hand-built multipart (the SDK 7.x shape is refused, as by Cloudflare).
 */
import Cloudflare, { toFile } from "cloudflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACCOUNT, assetHash, envelopeCodes, type Harness, scriptForm, start, uniq, WORKER_JS } from "../helpers/emulator-api";

let h: Harness;
let NS: string;
beforeAll(async () => {
  h = await start();
  NS = uniq("workers");
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
});
afterAll(async () => {
  await h.close();
});

const p = { account_id: ACCOUNT };
const workers = () => h.cf.workers.scripts;
const upload = (name: string, metadata: Record<string, unknown> = {}, modules?: Record<string, { content: string; type?: string }>) =>
  h.api("PUT", `/scripts/${name}`, { body: scriptForm({ main_module: "worker.mjs", ...metadata }, modules) });
const accountState = async () => (await h.state()).accounts[ACCOUNT].workers;

async function expectCode(promise: Promise<unknown>, status: number, code: number): Promise<void> {
  const err = (await promise.catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
  expect(err).toBeInstanceOf(Cloudflare.APIError);
  expect([err.status, (err.errors as Array<{ code: number }>)[0]?.code]).toEqual([status, code]);
}

describe("upload, download, delete", () => {
  test("PUT /scripts/{name}: the ScriptObject, stored apart from a user Worker of the same name", async () => {
    const r = await upload("dispatcher", {
      compatibility_date: "2025-06-01",
      bindings: [{ name: "DISPATCHER", type: "dispatch_namespace", namespace: NS }],
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.result).toMatchObject({
      id: "dispatcher",
      has_modules: true,
      entry_point: "worker.mjs",
      compatibility_date: "2025-06-01",
    });
    expect(r.body.result.etag).toMatch(/^[0-9a-f]{64}$/);
    expect((await accountState()).scripts.dispatcher.bindings).toEqual([{ name: "DISPATCHER", type: "dispatch_namespace" }]);
    expect((await h.namespace(NS)).scripts.dispatcher).toBeUndefined();
  });

  test("the SDK 7.x upload shape is refused with 10021, as on namespace paths", async () => {
    const file = await toFile(Buffer.from(WORKER_JS), "worker.mjs", { type: "application/javascript+module" });
    await expectCode(workers().update("sdk7", { ...p, metadata: { main_module: "worker.mjs" }, files: [file] } as never), 400, 10021);
  });

  test("download (GET /scripts/{name}) is the modules as multipart, through the SDK too", async () => {
    await upload("dl", {}, { "worker.mjs": { content: WORKER_JS }, "data.txt": { content: "hello", type: "text/plain" } });
    const r = await fetch(`${h.workers}/scripts/dl`, { headers: { authorization: `Bearer ${h.credentials.apiToken}` } });
    expect(r.headers.get("cf-entrypoint")).toBe("worker.mjs");
    const form = await r.formData();
    expect([...form.keys()]).toEqual(["worker.mjs", "data.txt"]);
    expect(await (form.get("data.txt") as File).text()).toBe("hello");
    expect(await workers().get("dl", p)).toContain(WORKER_JS.trim());
  });

  test("delete through the SDK; a Worker others name (service binding, tail consumer) needs force", async () => {
    await upload("callee");
    await upload("caller", { bindings: [{ name: "SVC", type: "service", service: "callee" }] });
    await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/user`, {
      body: scriptForm({ main_module: "worker.mjs", tail_consumers: [{ service: "callee" }] }),
    });
    const blocked = await h.api("DELETE", "/scripts/callee");
    expect(blocked.status).toBe(400);
    expect(blocked.body.errors[0]).toMatchObject({ code: 10082, message: expect.stringContaining(`(account)/caller, ${NS}/user`) });
    expect(await workers().delete("callee", { ...p, force: true })).toBeNull();
    await expectCode(workers().delete("callee", p), 404, 10007);
  });

  test("a missing account-level Worker is 404 10007 on every path", async () => {
    for (const [method, path] of [
      ["GET", "/scripts/absent"],
      ["DELETE", "/scripts/absent"],
      ["GET", "/scripts/absent/content/v2"],
      ["PUT", "/scripts/absent/content"],
      ["GET", "/scripts/absent/settings"],
      ["GET", "/scripts/absent/script-settings"],
      ["GET", "/scripts/absent/secrets"],
      ["GET", "/scripts/absent/subdomain"],
      ["GET", "/scripts/absent/usage-model"],
    ] as const) {
      const r = await h.api(method, path, method === "PUT" ? { body: scriptForm({ main_module: "worker.mjs" }) } : {});
      expect([r.status, r.body.errors], `${method} ${path}`).toEqual([
        404,
        [{ code: 10007, message: "workers.api.error.script_not_found" }],
      ]);
    }
  });
});

describe("list and search", () => {
  beforeAll(async () => {
    await upload("alpha-one", { tags: ["team-a"] });
    await upload("alpha-two", { tags: ["team-b"] });
    await upload("beta");
  });

  test("list through the SDK: ScriptObjects by name, with the tag filter", async () => {
    const names: string[] = [];
    for await (const s of workers().list(p)) names.push(s.id!);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(["alpha-one", "alpha-two", "beta"]));
    const tagged: string[] = [];
    for await (const s of workers().list({ ...p, tags: "team-a:yes" })) tagged.push(s.id!);
    expect(tagged).toEqual(["alpha-one"]);
  });

  test("search through the SDK: partial name, exact id (the tag), order and pages", async () => {
    const found = await workers().search({ ...p, name: "ALPHA", order_by: "name" });
    expect(found.map((s) => s.script_name)).toEqual(["alpha-one", "alpha-two"]);
    expect(found[0]).toMatchObject({ service_name: "alpha-one", environment_name: "production", environment_is_default: true });
    const byId = await workers().search({ ...p, id: found[1]!.id });
    expect(byId.map((s) => s.script_name)).toEqual(["alpha-two"]);
    const page2 = await h.api("GET", "/scripts-search?name=alpha&order_by=name&per_page=1&page=2");
    expect(page2.body.result.map((s: { script_name: string }) => s.script_name)).toEqual(["alpha-two"]);
    expect(page2.body.result_info).toEqual({ count: 1, page: 2, per_page: 1, total_count: 2 });
    expect(envelopeCodes((await h.api("GET", "/scripts-search?order_by=size")).body)).toEqual([10001]);
  });
});

describe("content", () => {
  test("PUT /content replaces the code only; GET /content/v2 through the SDK", async () => {
    await upload("code", { bindings: [{ name: "MODE", type: "plain_text", text: "x" }] });
    const fd = new FormData();
    fd.append("metadata", new Blob([JSON.stringify({ main_module: "next.mjs" })], { type: "application/json" }), "metadata.json");
    fd.append(
      "next.mjs",
      new Blob(["export default { fetch() { return new Response('next'); } };"], { type: "application/javascript+module" }),
      "next.mjs",
    );
    const put = await h.api("PUT", "/scripts/code/content", { body: fd });
    expect(put.status, put.text).toBe(200);
    const res = await workers().content.get("code", p);
    expect(res.headers.get("cf-entrypoint")).toBe("next.mjs");
    expect((await res.text()).includes("next")).toBe(true);
    expect((await accountState()).scripts.code.bindings).toEqual([{ name: "MODE", type: "plain_text" }]);
  });
});

describe("settings", () => {
  test("settings GET through the SDK; PATCH with a settings part; script-settings GET and PATCH (JSON) through the SDK", async () => {
    await upload("tuned", { logpush: false, tags: ["t1"] });
    const settings = await workers().scriptAndVersionSettings.get("tuned", p);
    expect(settings).toMatchObject({ logpush: false, tags: ["t1"], usage_model: "standard" });
    const fd = new FormData();
    fd.append("settings", new Blob([JSON.stringify({ compatibility_date: "2025-07-01" })], { type: "application/json" }), "settings");
    const patched = await h.api("PATCH", "/scripts/tuned/settings", { body: fd });
    expect(patched.body.result.compatibility_date).toBe("2025-07-01");
    expect(envelopeCodes((await h.api("PATCH", "/scripts/tuned/settings", { json: {} })).body)).toEqual([10201]);

    const edited = await workers().settings.edit("tuned", { ...p, logpush: true, tags: ["t2"], observability: { enabled: true } });
    expect(edited).toEqual({ logpush: true, observability: { enabled: true }, tags: ["t2"], tail_consumers: null });
    expect(await workers().settings.get("tuned", p)).toEqual(edited);
    expect((await workers().scriptAndVersionSettings.get("tuned", p)).compatibility_date).toBe("2025-07-01");
    await expectCode(workers().settings.edit("tuned", { ...p, tags: ["a,b"] }), 400, 100134);
  });

  test("usage model: GET and PUT", async () => {
    await upload("metered");
    expect((await h.api("GET", "/scripts/metered/usage-model")).body.result).toEqual({ usage_model: "standard", user_limits: {} });
    const put = await h.api("PUT", "/scripts/metered/usage-model", { json: { usage_model: "unbound", user_limits: { cpu_ms: 50 } } });
    expect(put.body.result).toEqual({ usage_model: "unbound", user_limits: { cpu_ms: 50 } });
    expect((await workers().scriptAndVersionSettings.get("metered", p)).limits).toEqual({ cpu_ms: 50 });
    expect(envelopeCodes((await h.api("PUT", "/scripts/metered/usage-model", { json: { usage_model: "infinite" } })).body)).toEqual([
      10021,
    ]);
  });

  test("workers.dev subdomain through the SDK: off until POSTed, kept across uploads, DELETE turns it off", async () => {
    await upload("public");
    expect(await workers().subdomain.get("public", p)).toEqual({ enabled: false, previews_enabled: false });
    expect(await workers().subdomain.create("public", { ...p, enabled: true })).toEqual({ enabled: true, previews_enabled: true });
    expect(await workers().subdomain.create("public", { ...p, enabled: true, previews_enabled: false })).toEqual({
      enabled: true,
      previews_enabled: false,
    });
    await upload("public");
    expect(await workers().subdomain.get("public", p)).toEqual({ enabled: true, previews_enabled: false });
    expect((await accountState()).scripts.public.subdomain).toEqual({ enabled: true, previews_enabled: false });
    expect(await workers().subdomain.delete("public", p)).toEqual({ enabled: false, previews_enabled: false });
    expect(envelopeCodes((await h.api("POST", "/scripts/public/subdomain", { json: {} })).body)).toEqual([10021]);
  });
});

describe("secrets", () => {
  test("PUT, list, GET and DELETE through the SDK; values never returned; 10056 and 10053 as for user Workers", async () => {
    await upload("secretive", { bindings: [{ name: "MODE", type: "plain_text", text: "x" }] });
    expect(await workers().secrets.update("secretive", { ...p, name: "KEY", text: "s3cret", type: "secret_text" })).toEqual({
      name: "KEY",
      type: "secret_text",
    });
    const listed: unknown[] = [];
    for await (const s of workers().secrets.list("secretive", p)) listed.push(s);
    expect(listed).toEqual([{ name: "KEY", type: "secret_text" }]);
    expect(await workers().secrets.get("KEY", { ...p, script_name: "secretive" })).toEqual({ name: "KEY", type: "secret_text" });
    await expectCode(workers().secrets.update("secretive", { ...p, name: "MODE", text: "s", type: "secret_text" }), 400, 10053);
    await workers().secrets.delete("KEY", { ...p, script_name: "secretive" });
    await expectCode(workers().secrets.get("KEY", { ...p, script_name: "secretive" }), 404, 10056);
    expect(JSON.stringify(await h.state())).not.toContain("s3cret");
  });
});

describe("assets", () => {
  test("the account-level session through the SDK, the upload, and the script PUT with the completion token", async () => {
    const content = "<h1>dispatcher page</h1>";
    const hash = assetHash(content);
    const session = await workers().assets.upload.create("site", { ...p, manifest: { "/index.html": { hash, size: content.length } } });
    expect(session.buckets).toEqual([[hash]]);
    const done = await h.cf.workers.assets.upload.create(
      { ...p, base64: true, body: { [hash]: Buffer.from(content).toString("base64") } },
      { headers: { Authorization: `Bearer ${session.jwt}` } },
    );
    const put = await upload("site", { bindings: [{ name: "ASSETS", type: "assets" }], assets: { jwt: done?.jwt } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.result.has_assets).toBe(true);
    const state = await accountState();
    expect(state.blobs).toEqual([hash]);
    expect(state.scripts.site.assets.manifest).toEqual({ "/index.html": hash });
    // Blobs are per container: a user Worker's session still lists the file.
    const userSession = await h.api("POST", `/dispatch/namespaces/${NS}/scripts/site/assets-upload-session`, {
      json: { manifest: { "/index.html": { hash, size: content.length } } },
    });
    expect(userSession.body.result.buckets).toEqual([[hash]]);
    // A completion token for the account-level Worker does not attach to the user Worker of the same name.
    const wrong = await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/site`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt: done?.jwt } }),
    });
    expect(envelopeCodes(wrong.body)).toEqual([10021]);
  });
});

describe("references to account-level Workers", () => {
  test("a service binding or tail consumer naming a missing Worker → 400 10144, one error each, from either scope", async () => {
    const refs = {
      bindings: [{ name: "AUTH", type: "service", service: "auth" }],
      tail_consumers: [{ service: "logs" }],
    };
    const account = await upload("gateway", refs);
    expect(account.status).toBe(400);
    expect(account.body.errors).toEqual([
      { code: 10144, message: "binding 'AUTH' references Worker 'auth', which does not exist" },
      { code: 10144, message: "tail consumer 'logs' references Worker 'logs', which does not exist" },
    ]);
    const user = await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/tenant`, {
      body: scriptForm({ main_module: "worker.mjs", ...refs }),
    });
    expect(envelopeCodes(user.body)).toEqual([10144, 10144]);
    await upload("auth");
    await upload("logs");
    expect((await upload("gateway", refs)).status).toBe(200);
    // A Worker may name itself; a tail consumer with a namespace names a user Worker there.
    expect((await upload("selfish", { bindings: [{ name: "SELF", type: "service", service: "selfish" }] })).status).toBe(200);
    const nsTail = await upload("watcher", { tail_consumers: [{ service: "nobody", namespace: NS }] });
    expect(nsTail.body.errors).toEqual([
      { code: 10144, message: `tail consumer 'nobody' references Worker 'nobody' in dispatch namespace '${NS}', which does not exist` },
    ]);
  });

  test("a KV binding to a namespace the account lacks → 400 10041, from either scope and in a settings PATCH", async () => {
    const ghost = "0123456789abcdef0123456789abcdef";
    const kv = { bindings: [{ name: "CACHE", type: "kv_namespace", namespace_id: ghost }] };
    const account = await upload("cached", kv);
    expect(account.status).toBe(400);
    expect(account.body.errors).toEqual([{ code: 10041, message: `KV namespace '${ghost}' not found` }]);
    const user = await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/cached`, {
      body: scriptForm({ main_module: "worker.mjs", ...kv }),
    });
    expect(envelopeCodes(user.body)).toEqual([10041]);
    await upload("cached");
    const fd = new FormData();
    fd.append("settings", new Blob([JSON.stringify(kv)], { type: "application/json" }), "settings");
    expect(envelopeCodes((await h.api("PATCH", "/scripts/cached/settings", { body: fd })).body)).toEqual([10041]);

    const made = await h.cf.kv.namespaces.create({ ...p, title: uniq("cache") });
    const real = { bindings: [{ name: "CACHE", type: "kv_namespace", namespace_id: made.id }] };
    expect((await upload("cached", real)).status).toBe(200);
  });

  test("script-settings and settings PATCHes check tail consumers and bindings too", async () => {
    await upload("patched");
    await expectCode(workers().settings.edit("patched", { ...p, tail_consumers: [{ service: "ghost" }] }), 400, 10144);
    const fd = new FormData();
    fd.append(
      "settings",
      new Blob([JSON.stringify({ bindings: [{ name: "S", type: "service", service: "ghost" }] })], { type: "application/json" }),
      "settings",
    );
    expect(envelopeCodes((await h.api("PATCH", "/scripts/patched/settings", { body: fd })).body)).toEqual([10144]);
  });
});

describe("routing", () => {
  test("a wrong method on an account-level path → 405 with Allow", async () => {
    const r = await h.api("POST", "/scripts/dispatcher/usage-model");
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, PUT");
  });
});
