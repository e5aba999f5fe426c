/**
 * The Workers' KV bindings and the KV API share one store: what the API writes a Worker reads (an account-level
 * Worker and a user Worker through a dispatcher), what a Worker puts the API lists, with metadata and expiry.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { ACCOUNT, type Harness, start } from "../helpers/emulator-api";
import { deployOk, get } from "../helpers/runtime";

const WORKER = `export default { async fetch(req, env) {
  const url = new URL(req.url);
  const key = url.searchParams.get("k");
  if (url.pathname === "/put") {
    await env.KV.put(key, url.searchParams.get("v"), { metadata: { by: "worker" }, expirationTtl: 3600 });
    return new Response("stored");
  }
  if (url.pathname === "/list") return Response.json(await env.KV.list({ prefix: url.searchParams.get("prefix") ?? undefined }));
  if (url.pathname === "/meta") return Response.json(await env.KV.getWithMetadata(key, "json"));
  if (url.pathname === "/delete") { await env.KV.delete(key); return new Response("deleted"); }
  if (url.pathname === "/long") { try { await env.KV.put("k".repeat(513), "v"); return new Response("no error"); } catch (e) { return new Response(String(e.message)); } }
  return new Response(String(await env.KV.get(key)));
} };`;

const DISPATCHER = `export default { async fetch(req, env) {
  const url = new URL(req.url);
  if (url.pathname === "/write-through-tenant") {
    // The tenant, in another process, writes; this Worker then reads at once, from a cache it filled before.
    const k = url.searchParams.get("k");
    await env.KV.get(k);
    await env.DISPATCH.get("reader").fetch(new Request("http://x/put?k=" + k + "&v=" + url.searchParams.get("v")));
    return new Response(String(await env.KV.get(k)));
  }
  return env.DISPATCH.get("reader").fetch(req);
} };`;

let h: Harness;
let id: string;
const kvApi = (path: string) => `${h.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces/${id}${path}`;

beforeAll(async () => {
  h = await start({ workersPort: 0, validateUploads: false });
  id = (await h.cf.kv.namespaces.create({ account_id: ACCOUNT, title: "routes" })).id;
  const binding = { type: "kv_namespace", name: "KV", namespace_id: id };
  await deployOk(h, null, "kvreader", { "w.mjs": { content: WORKER } }, { bindings: [binding] });
  expect((await h.api("POST", "/scripts/kvreader/subdomain", { json: { enabled: true } })).status).toBe(200);
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: "kvns" } })).status).toBe(200);
  await deployOk(h, "kvns", "reader", { "w.mjs": { content: WORKER } }, { bindings: [binding] });
  await deployOk(
    h,
    null,
    "dispatcher",
    { "d.mjs": { content: DISPATCHER } },
    {
      bindings: [{ type: "dispatch_namespace", name: "DISPATCH", namespace: "kvns" }, binding],
    },
  );
  expect((await h.api("POST", "/scripts/dispatcher/subdomain", { json: { enabled: true } })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

test("a value the API writes is what Workers read, account-level and user Workers alike, at once", { timeout: 60_000 }, async () => {
  const base = h.emu.workersUrl!;
  expect((await get(base, "kvreader.localhost", "/?k=acme.example.com")).text).toBe("null");
  await h.cf.kv.namespaces.values.update("acme.example.com", {
    account_id: ACCOUNT,
    namespace_id: id,
    value: "acme",
    metadata: JSON.stringify({ plan: "pro" }),
  });
  expect((await get(base, "kvreader.localhost", "/?k=acme.example.com")).text).toBe("acme");
  expect((await get(base, "dispatcher.localhost", "/?k=acme.example.com")).text).toBe("acme");
  await h.cf.kv.namespaces.bulkUpdate(id, { account_id: ACCOUNT, body: [{ key: "j", value: '{"n":1}', metadata: { m: 1 } }] });
  expect(JSON.parse((await get(base, "dispatcher.localhost", "/meta?k=j")).text)).toMatchObject({ value: { n: 1 }, metadata: { m: 1 } });
  await h.cf.kv.namespaces.values.delete("acme.example.com", { account_id: ACCOUNT, namespace_id: id });
  expect((await get(base, "dispatcher.localhost", "/?k=acme.example.com")).text).toBe("null");
});

test("a user Worker's write is what an account-level Worker reads right after it, its cached read dropped first", {
  timeout: 60_000,
}, async () => {
  const base = h.emu.workersUrl!;
  for (let i = 0; i < 20; i++)
    expect((await get(base, "dispatcher.localhost", `/write-through-tenant?k=counter&v=${i}`)).text, `write ${i}`).toBe(String(i));
});

test("what a Worker puts the API lists and reads, with its metadata and expiry; a Worker's list sees API writes", {
  timeout: 60_000,
}, async () => {
  const base = h.emu.workersUrl!;
  expect((await get(base, "dispatcher.localhost", "/put?k=from-worker&v=hello")).text).toBe("stored");
  const keys = await h.api("GET", kvApi("/keys?prefix=from-"));
  expect(keys.body.result).toEqual([{ name: "from-worker", metadata: { by: "worker" }, expiration: expect.any(Number) }]);
  expect((await h.api("GET", kvApi("/values/from-worker"))).text).toBe("hello");
  await h.api("PUT", kvApi("/values/from-api"), { body: "x" });
  const listed = JSON.parse((await get(base, "kvreader.localhost", "/list?prefix=from-")).text);
  expect(listed).toMatchObject({ keys: [{ name: "from-api" }, { name: "from-worker" }], list_complete: true });
  expect((await get(base, "kvreader.localhost", "/delete?k=from-worker")).text).toBe("deleted");
  expect((await h.api("GET", kvApi("/values/from-worker"))).status).toBe(404);
  expect((await get(base, "kvreader.localhost", "/long")).text).toMatch(/KV PUT failed: 414 .*exceeds key length limit of 512/);
});
