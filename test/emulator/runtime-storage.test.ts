/**
 * The Workers' D1 and R2 bindings and the D1 and R2 APIs share Miniflare's own data: what a Worker writes the API
 * reads and the reverse, for account-level Workers and user Workers behind a dispatcher; a tenant reaches only the
 * database and bucket its upload names; and the data survives an emulator restart with a data dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACCOUNT, type Harness, start, uniq } from "../helpers/emulator-api";
import { deployOk, get } from "../helpers/runtime";

const WORKER = `export default { async fetch(req, env) {
  const url = new URL(req.url);
  const q = (n) => url.searchParams.get(n);
  try {
    switch (url.pathname) {
      case "/add": return Response.json((await env.DB.prepare("INSERT INTO notes (body) VALUES (?)").bind(q("body")).run()).meta.changes);
      case "/notes": return Response.json((await env.DB.prepare("SELECT body FROM notes ORDER BY id").all()).results);
      case "/first": return Response.json(await env.DB.prepare("SELECT body FROM notes ORDER BY id").first("body"));
      case "/raw": return Response.json(await env.DB.prepare("SELECT id, body FROM notes ORDER BY id LIMIT 1").raw({ columnNames: true }));
      case "/batch": return Response.json((await env.DB.batch([env.DB.prepare("INSERT INTO notes (body) VALUES (?)").bind("b1"), env.DB.prepare("SELECT count(*) AS n FROM notes")]))[1].results);
      case "/missing": return Response.json(await env.DB.prepare("SELECT * FROM nowhere").all());
      case "/forge": {
        // The binding's own service binding, with another database named: the target is the binding's.
        const f = Object.values(env.DB)[0];
        const r = await f.fetch("http://storage/all", { method: "POST", headers: { "x-wfp-internal-storage-target": "d1:" + q("db") },
          body: JSON.stringify({ stmts: [{ sql: "SELECT body FROM notes", params: [] }] }) });
        return new Response(await r.text());
      }
      case "/put": {
        const o = await env.FILES.put(q("k"), q("v"), { httpMetadata: { contentType: "text/x-note" }, customMetadata: { by: "worker" } });
        return Response.json({ key: o.key, size: o.size, etag: o.etag });
      }
      case "/get": {
        const o = await env.FILES.get(q("k"));
        if (!o) return new Response("none", { status: 404 });
        const headers = new Headers();
        o.writeHttpMetadata(headers);
        headers.set("x-by", o.customMetadata.by);
        return new Response(await o.text(), { headers });
      }
      case "/blob": {
        await env.DB.prepare("INSERT INTO notes (body) VALUES (?)").bind(new Uint8Array([1, 2, 255])).run();
        const row = await env.DB.prepare("SELECT body FROM notes WHERE typeof(body) = 'blob'").first();
        const range = await env.FILES.get(q("k"), { range: { offset: 2, length: 3 } });
        const bytes = await env.FILES.put("bytes.bin", new Uint8Array([7, 8, 9]).buffer);
        return Response.json({ blob: row.body, range: await range.text(), bytes: bytes.size });
      }
      case "/list": return Response.json((await env.FILES.list()).objects.map((o) => o.key));
      case "/del": await env.FILES.delete(q("k")); return new Response("deleted");
    }
    return new Response("?", { status: 404 });
  } catch (e) { return new Response("error: " + e.message, { status: 500 }); }
} };`;

const COUNTER = (label: string) => `import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async increment(by) {
    const n = (this.ctx.storage.kv.get("n") ?? 0) + by;
    this.ctx.storage.kv.put("n", n);
    return n;
  }
  async fetch(req) { return new Response("${label} " + (await this.increment(1))); }
}
export default { async fetch(req, env) {
  const url = new URL(req.url);
  const stub = env.COUNTER.getByName(url.searchParams.get("name") ?? "main");
  if (url.pathname === "/rpc") return new Response(String(await stub.increment(10)));
  return stub.fetch(req);
} };`;
const counterMeta = {
  migrations: { new_tag: "v1", new_sqlite_classes: ["Counter"] },
  bindings: [{ type: "durable_object_namespace", name: "COUNTER", class_name: "Counter" }],
};

const DISPATCHER = `export default { fetch(req, env) { return env.DISPATCH.get(new URL(req.url).searchParams.get("t")).fetch(req); } };`;
const NS = "tenants";

let h: Harness;
let dir: string;
let alphaDb: string;
let betaDb: string;
let bucket: string;
const p = { account_id: ACCOUNT };
const bindings = (db: string, files: string) => [
  { type: "d1", name: "DB", id: db },
  { type: "r2_bucket", name: "FILES", bucket_name: files },
];
const tenant = (t: string, path: string) =>
  get(h.emu.workersUrl!, "dispatcher.localhost", `${path}${path.includes("?") ? "&" : "?"}t=${t}`);
const sql = async (db: string, text: string) => (await h.cf.d1.database.query(db, { ...p, sql: text })).result.map((r) => r.results);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "wfp-storage-"));
  h = await start({ workersPort: 0, validateUploads: false, dataDir: dir });
  alphaDb = (await h.cf.d1.database.create({ ...p, name: "alpha-db" })).uuid!;
  betaDb = (await h.cf.d1.database.create({ ...p, name: "beta-db" })).uuid!;
  bucket = (await h.cf.r2.buckets.create({ ...p, name: uniq("alpha-files") })).name!;
  const betaBucket = (await h.cf.r2.buckets.create({ ...p, name: uniq("beta-files") })).name!;
  for (const db of [alphaDb, betaDb]) await sql(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
  await deployOk(h, NS, "alpha", { "w.mjs": { content: WORKER } }, { bindings: bindings(alphaDb, bucket) });
  await deployOk(h, NS, "beta", { "w.mjs": { content: WORKER } }, { bindings: bindings(betaDb, betaBucket) });
  await deployOk(h, null, "admin", { "w.mjs": { content: WORKER } }, { bindings: bindings(alphaDb, bucket) });
  await deployOk(h, NS, "gamma", { "c.mjs": { content: COUNTER("v1") } }, counterMeta);
  await deployOk(h, null, "counter", { "c.mjs": { content: COUNTER("acct") } }, counterMeta);
  await deployOk(
    h,
    null,
    "dispatcher",
    { "d.mjs": { content: DISPATCHER } },
    { bindings: [{ type: "dispatch_namespace", name: "DISPATCH", namespace: NS }] },
  );
  for (const s of ["admin", "dispatcher", "counter"])
    expect((await h.api("POST", `/scripts/${s}/subdomain`, { json: { enabled: true } })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

// One scenario: the restart reads what the tests before it wrote, so the order holds under --sequence.shuffle.
describe("one account's storage through its life", { shuffle: false }, () => {
  test("D1: a user Worker's writes are what the API and an account-level Worker read, and the reverse", { timeout: 60_000 }, async () => {
    expect((await tenant("alpha", "/add?body=hello")).text).toBe("1");
    expect(await sql(alphaDb, "SELECT body FROM notes")).toEqual([[{ body: "hello" }]]);
    await sql(alphaDb, "INSERT INTO notes (body) VALUES ('from-api')");
    expect(JSON.parse((await tenant("alpha", "/notes")).text)).toEqual([{ body: "hello" }, { body: "from-api" }]);
    expect(JSON.parse((await get(h.emu.workersUrl!, "admin.localhost", "/notes")).text)).toEqual([{ body: "hello" }, { body: "from-api" }]);
    expect(JSON.parse((await tenant("alpha", "/first")).text)).toBe("hello");
    expect(JSON.parse((await tenant("alpha", "/raw")).text)).toEqual([
      ["id", "body"],
      [1, "hello"],
    ]);
    expect(JSON.parse((await tenant("alpha", "/batch")).text)).toEqual([{ n: 3 }]);
    const missing = await tenant("alpha", "/missing");
    expect(missing.status).toBe(500);
    expect(missing.text).toMatch(/^error: D1_ERROR: no such table: nowhere/);
  });

  test("a tenant reaches only its own database: another tenant's data is not seen, not even by naming it", {
    timeout: 60_000,
  }, async () => {
    await tenant("alpha", "/add?body=secret");
    expect(JSON.parse((await tenant("beta", "/notes")).text)).toEqual([]);
    const forged = JSON.parse((await tenant("beta", `/forge?db=${alphaDb}`)).text);
    expect(JSON.stringify(forged)).not.toContain("secret");
    expect(forged.r.results).toEqual([]);
  });

  test("R2: a Worker's objects, with their metadata; a bucket holding objects is not deleted (409 10008)", {
    timeout: 60_000,
  }, async () => {
    expect(JSON.parse((await tenant("alpha", "/put?k=a.txt&v=alpha-data")).text)).toMatchObject({ key: "a.txt", size: 10 });
    const read = await get(h.emu.workersUrl!, "admin.localhost", "/get?k=a.txt");
    expect(read.text).toBe("alpha-data");
    expect(read.headers["content-type"]).toBe("text/x-note");
    expect(read.headers["x-by"]).toBe("worker");
    expect((await tenant("beta", "/get?k=a.txt")).status).toBe(404);
    const refused = await h.api("DELETE", `${h.apiBase}/accounts/${ACCOUNT}/r2/buckets/${bucket}`);
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].code).toBe(10008);
    expect(JSON.parse((await tenant("alpha", "/blob?k=a.txt")).text)).toEqual({ blob: [1, 2, 255], range: "pha", bytes: 3 });
    expect(JSON.parse((await tenant("alpha", "/list")).text)).toEqual(["a.txt", "bytes.bin"]);
    // The API sees the Worker's objects, and the Worker the API's.
    const objects = await h.cf.r2.buckets.objects.list(bucket, p);
    expect(objects.result.map((o) => [o.key, o.http_metadata?.contentType, o.custom_metadata])).toEqual([
      ["a.txt", "text/x-note", { by: "worker" }],
      ["bytes.bin", undefined, {}],
    ]);
    await h.cf.r2.buckets.objects.upload("from-api.txt", "api-data", { ...p, bucket_name: bucket });
    expect((await tenant("alpha", "/get?k=from-api.txt")).text).toBe("api-data");
    await h.cf.r2.buckets.objects.delete("from-api.txt", { ...p, bucket_name: bucket });
    expect((await tenant("alpha", "/del?k=bytes.bin")).text).toBe("deleted");
  });

  test("Durable Objects: a user Worker's class runs with its storage, over fetch and RPC, and keeps it across a code update", {
    timeout: 60_000,
  }, async () => {
    expect((await tenant("gamma", "/?name=a")).text).toBe("v1 1");
    expect((await tenant("gamma", "/?name=a")).text).toBe("v1 2");
    expect((await tenant("gamma", "/rpc?name=a")).text).toBe("12");
    expect((await tenant("gamma", "/?name=b")).text).toBe("v1 1");
    await deployOk(h, NS, "gamma", { "c.mjs": { content: COUNTER("v2") } }, { bindings: counterMeta.bindings, migrations: undefined });
    expect((await tenant("gamma", "/?name=a")).text).toBe("v2 13");
    // An account-level Worker's class is a Durable Object of its own: same class name, other objects.
    expect((await get(h.emu.workersUrl!, "counter.localhost", "/?name=a")).text).toBe("acct 1");
  });

  test("the data survives an emulator restart with the same data dir", { timeout: 120_000 }, async () => {
    await h.close();
    h = await start({ workersPort: 0, validateUploads: false, dataDir: dir });
    expect(await sql(alphaDb, "SELECT count(*) AS n FROM notes WHERE body = 'hello'")).toEqual([[{ n: 1 }]]);
    expect((await get(h.emu.workersUrl!, "admin.localhost", "/get?k=a.txt")).text).toBe("alpha-data");
    expect((await tenant("alpha", "/del?k=a.txt")).text).toBe("deleted");
    expect((await tenant("gamma", "/?name=a")).text).toBe("v2 14");
    expect((await get(h.emu.workersUrl!, "counter.localhost", "/?name=a")).text).toBe("acct 2");
    expect((await h.api("DELETE", `${h.apiBase}/accounts/${ACCOUNT}/r2/buckets/${bucket}`)).status).toBe(200);
  });

  test("an account-level Worker's renamed class keeps its objects' storage", { timeout: 60_000 }, async () => {
    await deployOk(h, null, "renamer", { "c.mjs": { content: COUNTER("before") } }, counterMeta);
    expect((await h.api("POST", "/scripts/renamer/subdomain", { json: { enabled: true } })).status).toBe(200);
    const visit = async () => (await get(h.emu.workersUrl!, "renamer.localhost", "/?name=a")).text;
    expect(await visit()).toBe("before 1");
    expect(await visit()).toBe("before 2");
    await deployOk(
      h,
      null,
      "renamer",
      { "c.mjs": { content: COUNTER("after").replace("class Counter", "class Tally") } },
      {
        migrations: { old_tag: "v1", new_tag: "v2", renamed_classes: [{ from: "Counter", to: "Tally" }] },
        bindings: [{ type: "durable_object_namespace", name: "COUNTER", class_name: "Tally" }],
      },
    );
    expect(await visit()).toBe("after 3");
  });
});
