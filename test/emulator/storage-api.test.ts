/** D1 databases and R2 buckets over the API, through the official SDK, raw requests where it has none. */
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { ACCOUNT, envelopeCodes, scriptForm, start, uniq, type Harness } from "../helpers/emulator-api";

let h: Harness;
beforeAll(async () => {
  h = await start({ validateUploads: false });
});
afterAll(async () => {
  await h.emu.close();
});

const p = { account_id: ACCOUNT };
const OTHER = "f".repeat(32);
type ApiError = InstanceType<typeof Cloudflare.APIError>;
const failure = (x: Promise<unknown>) =>
  x.then(
    () => undefined as unknown as ApiError,
    (e: ApiError) => e,
  );
const rows = async <T>(page: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of page) out.push(x);
  return out;
};

describe("D1 databases", () => {
  test("create, get, list (name filter, pages) and delete through the SDK", async () => {
    const name = uniq("tenant-db");
    const created = await h.cf.d1.database.create({ ...p, name, primary_location_hint: "weur" });
    expect(created).toMatchObject({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name,
      version: "production",
      jurisdiction: null,
      file_size: 0,
      num_tables: 0,
    });
    expect(new Date(created.created_at!).getTime()).not.toBeNaN();
    const got = await h.cf.d1.database.get(created.uuid!, p);
    expect(got).toMatchObject({ uuid: created.uuid, name, num_tables: 0 });

    const others = await Promise.all([1, 2, 3].map((i) => h.cf.d1.database.create({ ...p, name: `${name}-${i}` })));
    const filtered = await rows(h.cf.d1.database.list({ ...p, name, per_page: 2 }));
    expect(filtered.map((d) => d.name).sort()).toEqual([name, ...others.map((o) => o.name)].sort());
    // List items carry no size or table count.
    expect(Object.keys(filtered[0]!).sort()).toEqual(["created_at", "jurisdiction", "name", "uuid", "version"]);
    const first = await h.api("GET", `${h.apiBase}/accounts/${ACCOUNT}/d1/database?name=${name}&per_page=2&page=2`);
    expect(first.body.result).toHaveLength(2);
    expect(first.body.result_info).toEqual({ page: 2, per_page: 2, count: 2, total_count: 4 });

    await h.cf.d1.database.delete(created.uuid!, p);
    const gone = await failure(h.cf.d1.database.get(created.uuid!, p));
    expect(gone).toBeInstanceOf(Cloudflare.NotFoundError);
    expect(gone.errors[0]).toEqual({ code: 7404, message: `The database ${created.uuid} could not be found` });
    expect((await failure(h.cf.d1.database.delete(created.uuid!, p))).errors[0]!.code).toBe(7404);
  });

  test("a name is unique per account (7502) and must match D1's pattern", async () => {
    const name = uniq("dup");
    await h.cf.d1.database.create({ ...p, name });
    const again = await failure(h.cf.d1.database.create({ ...p, name }));
    expect(again.errors[0]!.code).toBe(7502);
    const bad = await failure(h.cf.d1.database.create({ ...p, name: "-nope" }));
    expect(bad).toBeInstanceOf(Cloudflare.BadRequestError);
    // Another account has its own names, and cannot see this one's databases.
    const mine = await h.cf.d1.database.create({ ...p, name: uniq("mine") });
    const theirs = await h.cf.d1.database.create({ account_id: OTHER, name });
    expect(theirs.name).toBe(name);
    expect((await failure(h.cf.d1.database.get(mine.uuid!, { account_id: OTHER }))).errors[0]!.code).toBe(7404);
    const q = await failure(h.cf.d1.database.query(mine.uuid!, { account_id: OTHER, sql: "SELECT 1" }) as unknown as Promise<unknown>);
    expect(q.errors[0]!.code).toBe(7404);
  });

  test("query and raw: params, several statements in one sql, a batch, Cloudflare's result shape", async () => {
    const db = await h.cf.d1.database.create({ ...p, name: uniq("q") });
    const id = db.uuid!;
    const made = await h.cf.d1.database.query(id, {
      ...p,
      sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('a;b'); INSERT INTO notes (body) VALUES ('c')",
    });
    const results = made.result;
    expect(results).toHaveLength(3);
    expect(results[2]).toMatchObject({ success: true, results: [], meta: { changes: 1, last_row_id: 2, changed_db: true } });
    expect(results[2]!.meta).toEqual(
      expect.objectContaining({
        duration: expect.any(Number),
        rows_read: expect.any(Number),
        rows_written: 1,
        size_after: expect.any(Number),
      }),
    );

    const one = await h.cf.d1.database.query(id, { ...p, sql: "SELECT id, body FROM notes WHERE body = ?", params: ["a;b"] });
    expect(one.result.map((r) => r.results)).toEqual([[{ id: 1, body: "a;b" }]]);
    const raw = await h.cf.d1.database.raw(id, { ...p, sql: "SELECT id, body FROM notes ORDER BY id" });
    expect(raw.result[0]!.results).toEqual({
      columns: ["id", "body"],
      rows: [
        [1, "a;b"],
        [2, "c"],
      ],
    });

    const batch = await h.api("POST", `${h.apiBase}/accounts/${ACCOUNT}/d1/database/${id}/query`, {
      json: { batch: [{ sql: "INSERT INTO notes (body) VALUES (?)", params: ["d"] }, { sql: "SELECT count(*) AS n FROM notes" }] },
    });
    expect(batch.body.result.map((r: { results: unknown }) => r.results)).toEqual([[], [{ n: 3 }]]);
    expect((await h.cf.d1.database.get(id, p)).num_tables).toBe(1);
  });

  test("a failing statement answers 400 with the database's message, and the whole request is rolled back", async () => {
    const db = await h.cf.d1.database.create({ ...p, name: uniq("fail") });
    const id = db.uuid!;
    await h.cf.d1.database.query(id, { ...p, sql: "CREATE TABLE t (x)" });
    const bad = await failure(
      h.cf.d1.database.query(id, { ...p, sql: "INSERT INTO t VALUES (1); INSERT INTO missing VALUES (2)" }) as unknown as Promise<unknown>,
    );
    expect(bad).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(bad.errors[0]).toMatchObject({ code: 7500, message: expect.stringMatching(/no such table: missing/) });
    const count = await h.cf.d1.database.query(id, { ...p, sql: "SELECT count(*) AS n FROM t" });
    expect(count.result[0]!.results).toEqual([{ n: 0 }]);
    const empty = await h.api("POST", `${h.apiBase}/accounts/${ACCOUNT}/d1/database/${id}/query`, { json: { sql: " -- nothing\n" } });
    expect(empty.status).toBe(400);
  });

  test("deleting a database drops its tables first: no data outlives it", async () => {
    const storage = h.emu.emulator.storage;
    const db = (await h.cf.d1.database.create({ ...p, name: uniq("drop") })).uuid!;
    await h.cf.d1.database.query(db, { ...p, sql: "CREATE TABLE a (x); CREATE VIEW v AS SELECT x FROM a; INSERT INTO a VALUES ('kept?')" });
    await storage.d1Drop(db);
    expect((await h.cf.d1.database.get(db, p)).num_tables).toBe(0);
    const drop = vi.spyOn(storage, "d1Drop");
    await h.cf.d1.database.delete(db, p);
    expect(drop).toHaveBeenCalledWith(db);
    drop.mockRestore();
  });
});

describe("R2 buckets", () => {
  test("create, get, list and delete through the SDK; a name is unique per account and jurisdiction", async () => {
    const name = uniq("assets");
    const created = await h.cf.r2.buckets.create({ ...p, name, locationHint: "weur" });
    expect(created).toEqual({
      name,
      creation_date: expect.any(String),
      location: "weur",
      jurisdiction: "default",
      storage_class: "Standard",
    });
    expect(await h.cf.r2.buckets.get(name, p)).toEqual(created);
    const dup = await failure(h.cf.r2.buckets.create({ ...p, name }));
    expect(dup.status).toBe(409);
    expect(dup.errors[0]!.code).toBe(10073);
    // The same name in another jurisdiction is another bucket.
    const eu = await h.cf.r2.buckets.create({ ...p, name, "cf-r2-jurisdiction": "eu" });
    expect(eu.jurisdiction).toBe("eu");
    const listed = await h.cf.r2.buckets.list({ ...p, name_contains: name });
    expect(listed.buckets?.map((b) => b.name)).toEqual([name]);
    await h.cf.r2.buckets.delete(name, p);
    const gone = await failure(h.cf.r2.buckets.get(name, p));
    expect(gone.status).toBe(404);
    expect(gone.errors[0]!.code).toBe(10006);
    expect((await h.cf.r2.buckets.get(name, { ...p, "cf-r2-jurisdiction": "eu" })).name).toBe(name);
  });

  test("bucket names follow R2's rules (10005); lists page with a cursor", async () => {
    for (const name of ["ab", "Upper-case", "-dash-first", "a".repeat(64)]) {
      const bad = await failure(h.cf.r2.buckets.create({ ...p, name }));
      expect(bad.errors[0]!.code).toBe(10005);
    }
    const prefix = uniq("page");
    for (const i of [1, 2, 3]) await h.cf.r2.buckets.create({ ...p, name: `${prefix}-${i}` });
    const first = await h.api("GET", `${h.apiBase}/accounts/${ACCOUNT}/r2/buckets?name_contains=${prefix}&per_page=2`);
    expect(first.body.result.buckets.map((b: { name: string }) => b.name)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    const cursor = first.body.result_info.cursor;
    expect(cursor).toEqual(expect.any(String));
    const second = await h.api("GET", `${h.apiBase}/accounts/${ACCOUNT}/r2/buckets?name_contains=${prefix}&per_page=2&cursor=${cursor}`);
    expect(second.body.result.buckets.map((b: { name: string }) => b.name)).toEqual([`${prefix}-3`]);
    expect(second.body.result_info.cursor).toBeUndefined();
  });
});

describe("R2 objects over REST", () => {
  test("upload, list (prefix, delimiter, pages), get and delete through the SDK; a bucket is deleted once empty", async () => {
    const bucket = (await h.cf.r2.buckets.create({ ...p, name: uniq("objects") })).name!;
    const q = { ...p, bucket_name: bucket };
    const up = await h.cf.r2.buckets.objects.upload("docs/a b.txt", "hello", q);
    expect(up).toEqual({
      key: "docs/a b.txt",
      etag: expect.stringMatching(/^[0-9a-f]{32}$/),
      size: "5",
      storage_class: "Standard",
      uploaded: expect.any(String),
      version: expect.any(String),
    });
    await h.cf.r2.buckets.objects.upload("docs/b.txt", "bb", q);
    await h.cf.r2.buckets.objects.upload("top.txt", "t", q);
    const all = await rows(h.cf.r2.buckets.objects.list(bucket, { ...p, per_page: 2 }));
    expect(all.map((o) => o.key)).toEqual(["docs/a b.txt", "docs/b.txt", "top.txt"]);
    expect(all[0]).toMatchObject({ size: 5, etag: up.etag, last_modified: expect.any(String), storage_class: "Standard" });
    const base = `${h.apiBase}/accounts/${ACCOUNT}/r2/buckets/${bucket}/objects`;
    const delimited = await h.api("GET", `${base}?delimiter=/`);
    expect(delimited.body.result.map((o: { key: string }) => o.key)).toEqual(["top.txt"]);
    expect(delimited.body.result_info.delimited_prefixes).toEqual(["docs/"]);
    const got = await h.cf.r2.buckets.objects.get("docs/a b.txt", q);
    expect(await got.text()).toBe("hello");
    expect(got.headers.get("etag")).toBe(`"${up.etag}"`);
    const missing = await failure(h.cf.r2.buckets.objects.get("nope", q));
    expect(missing.status).toBe(404);
    expect(missing.errors[0]!.code).toBe(10007);

    const full = await failure(h.cf.r2.buckets.delete(bucket, p));
    expect(full.status).toBe(409);
    expect(full.errors[0]!.code).toBe(10008);
    for (const o of all) expect(await h.cf.r2.buckets.objects.delete(o.key!, q)).toEqual({ key: o.key });
    await h.cf.r2.buckets.delete(bucket, p);
    expect((await failure(h.cf.r2.buckets.objects.list(bucket, p) as unknown as Promise<unknown>)).errors[0]!.code).toBe(10006);
  });
});

describe("uploads binding storage", () => {
  test("a D1 binding (id or database_id) or R2 binding to what the account lacks is refused: 10181, 10085", async () => {
    const db = await h.cf.d1.database.create({ ...p, name: uniq("bound") });
    const bucket = (await h.cf.r2.buckets.create({ ...p, name: uniq("bound") })).name!;
    const ghost = "00000000-0000-4000-8000-000000000000";
    const upload = (bindings: unknown[]) =>
      h.api("PUT", "/scripts/storage-user", { body: scriptForm({ main_module: "worker.mjs", bindings }) });
    const refused = await upload([
      { name: "DB", type: "d1", id: ghost },
      { name: "FILES", type: "r2_bucket", bucket_name: "no-such-bucket" },
    ]);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      {
        code: 10181,
        message: `D1 binding 'DB' references database '${ghost}' which was not found. Verify the database exists in your account and that the database_id in your configuration is correct.`,
      },
      { code: 10085, message: "R2 bucket 'no-such-bucket' not found. Please use a different name and try again." },
    ]);
    // The bucket exists, but not in the eu jurisdiction.
    expect(envelopeCodes((await upload([{ name: "F", type: "r2_bucket", bucket_name: bucket, jurisdiction: "eu" }])).body)).toEqual([
      10085,
    ]);
    expect(
      (
        await upload([
          { name: "DB", type: "d1", database_id: db.uuid },
          { name: "F", type: "r2_bucket", bucket_name: bucket },
        ])
      ).status,
    ).toBe(200);
    expect((await upload([{ name: "DB", type: "d1", id: db.uuid }])).status).toBe(200);

    // Another account's database, by its id: refused in that account.
    const theirs = await h.cf.d1.database.create({ account_id: OTHER, name: uniq("theirs") });
    expect(envelopeCodes((await upload([{ name: "DB", type: "d1", id: theirs.uuid }])).body)).toEqual([10181]);
  });
});

describe("Durable Object migrations", () => {
  const COUNTER = `export class Counter { constructor(state) { this.state = state; } async fetch() { return new Response("n"); } }
export class Room {}
export default { fetch() { return new Response("ok"); } };
`;
  const form = (metadata: Record<string, unknown>, source = COUNTER) =>
    scriptForm({ main_module: "worker.mjs", ...metadata }, { "worker.mjs": { content: source } });
  const userPut = (ns: string, name: string, metadata: Record<string, unknown>, source?: string) =>
    h.api("PUT", `/dispatch/namespaces/${ns}/scripts/${name}`, { body: form(metadata, source) });

  test("tags are checked, classes must be exported, SQLite-backed classes are listed as DO namespaces", async () => {
    const ns = uniq("do-ns");
    expect((await h.api("POST", "/dispatch/namespaces", { json: { name: ns } })).status).toBe(200);
    const first = await userPut(ns, "counter", {
      migrations: { new_tag: "v1", new_sqlite_classes: ["Counter"] },
      bindings: [{ type: "durable_object_namespace", name: "COUNTER", class_name: "Counter" }],
    });
    expect(first.status).toBe(200);
    expect((await h.api("GET", `/dispatch/namespaces/${ns}/scripts/counter`)).body.result.script.migration_tag).toBe("v1");

    // Wrong or missing old_tag: 10079, nothing changed.
    for (const migrations of [
      { old_tag: "v0", new_tag: "v2", new_classes: ["Room"] },
      { new_tag: "v2", new_classes: ["Room"] },
    ]) {
      const r = await userPut(ns, "counter", { migrations });
      expect(r.body.errors).toEqual([{ code: 10079, message: "Migration tag precondition failed; current tag is v1" }]);
    }
    // A class the module does not export: 10070.
    const unexported = await userPut(ns, "counter", { migrations: { old_tag: "v1", new_tag: "v2", new_sqlite_classes: ["Ghost"] } });
    expect(envelopeCodes(unexported.body)).toEqual([10070]);
    // A binding to a class no migration created: 10061.
    const unmigrated = await userPut(ns, "counter", { bindings: [{ type: "durable_object_namespace", name: "R", class_name: "Room" }] });
    expect(envelopeCodes(unmigrated.body)).toEqual([10061]);
    // An existing class cannot be created again (nor become SQLite-backed).
    const again = await userPut(ns, "counter", { migrations: { old_tag: "v1", new_tag: "v2", new_sqlite_classes: ["Counter"] } });
    expect(again.status).toBe(400);

    // Steps: a rename and a new KV-backed class; the namespace id follows the renamed class.
    const before = (await h.cf.durableObjects.namespaces.list(p)).result;
    const counterId = before.find((n) => n.script === "counter" && n.class === "Counter")!.id;
    const stepped = await userPut(ns, "counter", {
      migrations: {
        old_tag: "v1",
        new_tag: "v3",
        steps: [{ renamed_classes: [{ from: "Counter", to: "Room" }] }, { new_classes: ["Counter"] }],
      },
    });
    expect(stepped.status).toBe(200);
    const listed = (await rows(h.cf.durableObjects.namespaces.list(p))).filter((n) => n.script === "counter");
    expect(listed).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        name: "counter_Counter",
        class: "Counter",
        script: "counter",
        use_sqlite: false,
        dispatch_namespace: ns,
      },
      { id: counterId, name: "counter_Room", class: "Room", script: "counter", use_sqlite: true, dispatch_namespace: ns },
    ]);
    // An account-level Worker of the same name has its own namespaces.
    expect(
      (await h.api("PUT", "/scripts/counter", { body: form({ migrations: { new_tag: "a1", new_classes: ["Counter"] } }) })).status,
    ).toBe(200);
    const both = (await rows(h.cf.durableObjects.namespaces.list(p))).filter((n) => n.script === "counter" && n.class === "Counter");
    expect(both).toHaveLength(2);
    expect(new Set(both.map((n) => n.id)).size).toBe(2);
  });

  test("a script with Durable Objects is deleted only with force=true, its objects with it", async () => {
    const ns = uniq("do-del");
    expect((await h.api("POST", "/dispatch/namespaces", { json: { name: ns } })).status).toBe(200);
    expect((await userPut(ns, "counter", { migrations: { new_tag: "v1", new_sqlite_classes: ["Counter"] } })).status).toBe(200);
    const refused = await h.api("DELETE", `/dispatch/namespaces/${ns}/scripts/counter`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ code: 10082, message: expect.stringMatching(/has Durable Objects \(Counter\).*force=true/) }]);
    expect((await h.api("GET", `/dispatch/namespaces/${ns}/scripts/counter`)).status).toBe(200);
    expect((await h.api("DELETE", `/dispatch/namespaces/${ns}/scripts/counter?force=true`)).status).toBe(200);
    const left = (await rows(h.cf.durableObjects.namespaces.list(p))).filter((n) => n.dispatch_namespace === ns);
    expect(left).toEqual([]);
  });
});
