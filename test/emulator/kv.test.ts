/** Workers KV: namespaces, values, keys and bulk calls through the official SDK, raw requests where it has none. */
import Cloudflare from "cloudflare";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TEST_TOKEN } from "../helpers/emulator";
import { ACCOUNT, envelopeCodes, start, uniq, type Harness } from "../helpers/emulator-api";

let h: Harness;
let now = 1_800_000_000_000;
beforeAll(async () => {
  h = await start({ now: () => now });
});
afterAll(async () => {
  await h.emu.close();
});

const kv = () => h.cf.kv.namespaces;
const base = () => `${h.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces`;
const raw = (method: string, path: string, init?: Parameters<Harness["api"]>[2]) => h.api(method, `${base()}${path}`, init);
type ApiError = InstanceType<typeof Cloudflare.APIError>;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined as unknown as ApiError,
    (e: ApiError) => e,
  );

async function namespace(): Promise<string> {
  return (await kv().create({ account_id: ACCOUNT, title: uniq("kv") })).id;
}

describe("KV namespaces", () => {
  test("create, get, rename, list and delete through the SDK", async () => {
    const title = uniq("sessions");
    const created = await kv().create({ account_id: ACCOUNT, title });
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), title, supports_url_encoding: true });
    expect(await kv().get(created.id, { account_id: ACCOUNT })).toEqual(created);
    const renamed = await kv().update(created.id, { account_id: ACCOUNT, title: `${title}-2` });
    expect(renamed).toEqual({ ...created, title: `${title}-2` });
    const titles: string[] = [];
    for await (const n of kv().list({ account_id: ACCOUNT, per_page: 5 })) titles.push(n.title);
    expect(titles).toContain(`${title}-2`);
    await kv().delete(created.id, { account_id: ACCOUNT });
    const gone = await failure(kv().get(created.id, { account_id: ACCOUNT }));
    expect(gone).toBeInstanceOf(Cloudflare.NotFoundError);
    expect(gone.errors[0]!.code).toBe(10013);
  });

  test("a title is unique per account: create and rename onto it answer 400 10014", async () => {
    const title = uniq("dup");
    const first = await kv().create({ account_id: ACCOUNT, title });
    const again = await failure(kv().create({ account_id: ACCOUNT, title }));
    expect(again).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(again.errors[0]).toMatchObject({ code: 10014, message: expect.stringMatching(/title already exists/) });
    const other = await namespace();
    const rename = await failure(kv().update(other, { account_id: ACCOUNT, title }));
    expect(rename.errors[0]!.code).toBe(10014);
    // Renaming a namespace onto its own title is no conflict.
    expect((await kv().update(first.id, { account_id: ACCOUNT, title })).title).toBe(title);
    const otherAccount = await h.api("POST", `${h.apiBase}/accounts/${"f".repeat(32)}/storage/kv/namespaces`, { json: { title } });
    expect(otherAccount.status).toBe(200);
  });

  test("list pages by page and per_page, ordered by title on request", async () => {
    const prefix = uniq("page");
    for (const t of ["c", "a", "b"]) await kv().create({ account_id: ACCOUNT, title: `${prefix}-${t}` });
    const r = await raw("GET", "?order=title&direction=desc&per_page=1000");
    const mine = (r.body.result as Array<{ title: string }>).map((n) => n.title).filter((t) => t.startsWith(prefix));
    expect(mine).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
    const p2 = await raw("GET", "?per_page=2&page=2");
    // Other tests' namespaces may be listed too: page 2 holds what is left after the first 2, at most 2.
    const total: number = p2.body.result_info.total_count;
    expect(total).toBeGreaterThanOrEqual(3);
    expect(p2.body.result_info).toMatchObject({ page: 2, per_page: 2, count: Math.min(2, total - 2) });
    expect((await raw("GET", "?order=size")).status).toBe(400);
  });

  test("an empty or missing title → 400; a missing namespace → 404 10013 on every path", async () => {
    expect((await raw("POST", "", { json: {} })).status).toBe(400);
    expect((await raw("POST", "", { json: { title: "" } })).status).toBe(400);
    const missing = "0".repeat(32);
    for (const [method, path] of [
      ["GET", `/${missing}`],
      ["PUT", `/${missing}`],
      ["DELETE", `/${missing}`],
      ["GET", `/${missing}/keys`],
      ["GET", `/${missing}/values/k`],
      ["PUT", `/${missing}/values/k`],
      ["PUT", `/${missing}/bulk`],
      ["POST", `/${missing}/bulk/delete`],
    ] as const) {
      const body =
        method === "PUT" && path.endsWith("bulk")
          ? { json: [] }
          : method === "PUT" && path.endsWith(missing)
            ? { json: { title: "x" } }
            : method === "POST"
              ? { json: [] }
              : {};
      const r = await raw(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(envelopeCodes(r.body), `${method} ${path}`).toEqual([10013]);
    }
  });
});

describe("KV values", () => {
  test("put with metadata through the SDK, get the raw value and its metadata, delete", async () => {
    const id = await namespace();
    await kv().values.update("acme.example.com", {
      account_id: ACCOUNT,
      namespace_id: id,
      value: '{"tenant":"acme"}',
      metadata: JSON.stringify({ plan: "pro" }),
    });
    const got = await kv().values.get("acme.example.com", { account_id: ACCOUNT, namespace_id: id });
    expect(await got.text()).toBe('{"tenant":"acme"}');
    expect(await kv().metadata.get("acme.example.com", { account_id: ACCOUNT, namespace_id: id })).toEqual({ plan: "pro" });
    await kv().values.delete("acme.example.com", { account_id: ACCOUNT, namespace_id: id });
    const gone = await failure(kv().values.get("acme.example.com", { account_id: ACCOUNT, namespace_id: id }));
    expect(gone).toBeInstanceOf(Cloudflare.NotFoundError);
    expect(gone.errors[0]!.code).toBe(10009);
    // The SDK sends an object as bracket fields (metadata[plan]): refused, not stored half.
    const bracketed = await failure(
      kv().values.update("b", { account_id: ACCOUNT, namespace_id: id, value: "v", metadata: { plan: "pro" } }),
    );
    expect(bracketed).toBeInstanceOf(Cloudflare.BadRequestError);
    // Deleting an absent key succeeds.
    expect((await raw("DELETE", `/${id}/values/never`)).status).toBe(200);
  });

  test("a raw body is stored byte for byte; keys are percent-decoded once, an encoded / stays in the key", async () => {
    const id = await namespace();
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    expect(
      (await raw("PUT", `/${id}/values/a%2Fb%3F%20c`, { body: bytes, headers: { "content-type": "application/octet-stream" } })).status,
    ).toBe(200);
    const r = await fetch(`${base()}/${id}/values/a%2Fb%3F%20c`, { headers: { authorization: `Bearer ${h.credentials.apiToken}` } });
    expect(Buffer.from(await r.arrayBuffer())).toEqual(bytes);
    const keys = await raw("GET", `/${id}/keys`);
    expect(keys.body.result).toEqual([{ name: "a/b? c" }]);
    for (const key of ["constructor", "__proto__"]) {
      await raw("PUT", `/${id}/values/${key}`, { body: key });
      expect((await raw("GET", `/${id}/values/${key}`)).text).toBe(key);
    }
  });

  test("limits: key over 512 bytes → 414, value over 25 MiB → 413, metadata over 1024 bytes → 413, TTL under 60 → 400", async () => {
    const id = await namespace();
    expect((await raw("PUT", `/${id}/values/${"k".repeat(513)}`, { body: "v" })).status).toBe(414);
    expect((await raw("PUT", `/${id}/values/${"k".repeat(512)}`, { body: "v" })).status).toBe(200);
    const big = Buffer.alloc(25 * 1024 * 1024 + 1);
    expect((await raw("PUT", `/${id}/values/big`, { body: big })).status).toBe(413);
    const meta = await raw("PUT", `/${id}/bulk`, { json: [{ key: "m", value: "v", metadata: { x: "y".repeat(1100) } }] });
    expect(meta.status).toBe(413);
    const ttl = await raw("PUT", `/${id}/values/t?expiration_ttl=59`, { body: "v" });
    expect(ttl.status).toBe(400);
    expect(ttl.body.errors[0].message).toMatch(/at least 60/);
    const past = await raw("PUT", `/${id}/values/t?expiration=${Math.floor(now / 1000)}`, { body: "v" });
    expect(past.status).toBe(400);
  });

  test("an entry expires: gone from get and the keys listing after its TTL", async () => {
    const id = await namespace();
    expect((await raw("PUT", `/${id}/values/short?expiration_ttl=60`, { body: "v" })).status).toBe(200);
    const listed = await raw("GET", `/${id}/keys`);
    expect(listed.body.result).toEqual([{ name: "short", expiration: Math.floor(now / 1000) + 60 }]);
    now += 61_000;
    expect((await raw("GET", `/${id}/values/short`)).status).toBe(404);
    expect((await raw("GET", `/${id}/keys`)).body.result).toEqual([]);
  });
});

describe("KV bulk and keys", () => {
  test("bulk write (base64 too) and bulk delete through the SDK; a bad item writes nothing", async () => {
    const id = await namespace();
    const written = await kv().bulkUpdate(id, {
      account_id: ACCOUNT,
      body: [
        { key: "a", value: "1" },
        { key: "b", value: Buffer.from("two").toString("base64"), base64: true, metadata: { n: 2 } },
      ],
    });
    expect(written).toEqual({ successful_key_count: 2, unsuccessful_keys: [] });
    expect((await raw("GET", `/${id}/values/b`)).text).toBe("two");
    const bad = await raw("PUT", `/${id}/bulk`, { json: [{ key: "c", value: "3" }, { key: "d" }] });
    expect(bad.status).toBe(400);
    expect((await raw("GET", `/${id}/values/c`)).status).toBe(404);
    expect(await kv().bulkDelete(id, { account_id: ACCOUNT, body: ["a", "missing"] })).toEqual({
      successful_key_count: 2,
      unsuccessful_keys: [],
    });
    const keys = [];
    for await (const k of kv().keys.list(id, { account_id: ACCOUNT })) keys.push(k);
    expect(keys).toEqual([{ name: "b", metadata: { n: 2 } }]);
  });

  test("bulk takes at most 10,000 pairs", async () => {
    const id = await namespace();
    const pairs = Array.from({ length: 10_001 }, (_, i) => ({ key: `k${i}`, value: "v" }));
    expect((await raw("PUT", `/${id}/bulk`, { json: pairs })).status).toBe(400);
    expect((await raw("PUT", `/${id}/bulk`, { json: pairs.slice(0, 10_000) })).body.result.successful_key_count).toBe(10_000);
    expect((await raw("POST", `/${id}/bulk/delete`, { json: pairs.map((p) => p.key) })).status).toBe(400);
  });

  test("keys: prefix, limit and cursor; the SDK's iterator walks every page", async () => {
    const id = await namespace();
    const names = Array.from({ length: 25 }, (_, i) => `host/${String(i).padStart(2, "0")}`);
    await kv().bulkUpdate(id, { account_id: ACCOUNT, body: [...names.map((key) => ({ key, value: "x" })), { key: "other", value: "y" }] });
    const first = await raw("GET", `/${id}/keys?prefix=host/&limit=10`);
    expect(first.body.result.map((k: { name: string }) => k.name)).toEqual(names.slice(0, 10));
    expect(first.body.result_info).toEqual({ count: 10, cursor: expect.any(String) });
    const second = await raw("GET", `/${id}/keys?prefix=host/&limit=10&cursor=${first.body.result_info.cursor}`);
    expect(second.body.result.map((k: { name: string }) => k.name)).toEqual(names.slice(10, 20));
    const all: string[] = [];
    for await (const k of kv().keys.list(id, { account_id: ACCOUNT, prefix: "host/", limit: 10 })) all.push(k.name);
    expect(all).toEqual(names);
    expect((await raw("GET", `/${id}/keys?limit=5`)).status).toBe(400);
  });

  test("bulk get answers text or JSON values, with metadata on request", async () => {
    const id = await namespace();
    await kv().bulkUpdate(id, { account_id: ACCOUNT, body: [{ key: "j", value: '{"a":1}', metadata: { m: true } }] });
    const text = await raw("POST", `/${id}/bulk/get`, { json: { keys: ["j", "none"] } });
    expect(text.body.result).toEqual({ values: { j: '{"a":1}', none: null } });
    const json = await raw("POST", `/${id}/bulk/get`, { json: { keys: ["j"], type: "json", withMetadata: true } });
    expect(json.body.result).toEqual({ values: { j: { value: { a: 1 }, metadata: { m: true } } } });
  });
});

describe("KV persistence", () => {
  test("namespaces and values survive a restart with the data directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-kv-"));
    try {
      const first = await start({ dataDir: dir });
      const id = (await first.cf.kv.namespaces.create({ account_id: ACCOUNT, title: "persisted" })).id;
      await first.cf.kv.namespaces.bulkUpdate(id, { account_id: ACCOUNT, body: [{ key: "__proto__", value: "kept" }] });
      await first.close();
      const second = await start({ dataDir: dir });
      try {
        expect((await second.cf.kv.namespaces.get(id, { account_id: ACCOUNT })).title).toBe("persisted");
        const r = await second.api("GET", `${second.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces/${id}/values/__proto__`);
        expect(r.text).toBe("kept");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("values are in the account's database (kvdb/<account>.sqlite, 0600), never in state.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-kv-"));
    try {
      const emu = await start({ dataDir: dir });
      try {
        const id = (await emu.cf.kv.namespaces.create({ account_id: ACCOUNT, title: "db" })).id;
        const url = `${emu.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces/${id}`;
        expect((await emu.api("PUT", `${url}/values/big`, { body: "v".repeat(100_000) })).status).toBe(200);
        await emu.cf.kv.namespaces.bulkUpdate(id, { account_id: ACCOUNT, body: [{ key: "small", value: "marker-value-1" }] });
        const state = readFileSync(join(dir, "state.json"), "utf8");
        expect(JSON.parse(state).accounts[ACCOUNT].kv[id]).toEqual({ id, title: "db", created_on: expect.any(String) });
        expect(state).not.toContain("marker");
        expect(state.length).toBeLessThan(10_000);
        expect(statSync(join(dir, "kvdb")).mode & 0o777).toBe(0o700);
        expect(statSync(join(dir, "kvdb", `${ACCOUNT}.sqlite`)).mode & 0o777).toBe(0o600);
        expect(statSync(join(dir, "kvdb", `${ACCOUNT}.sqlite-wal`)).mode & 0o777).toBe(0o600);
        // Deleting the namespace deletes its entries with it.
        await emu.cf.kv.namespaces.delete(id, { account_id: ACCOUNT });
        expect(emu.emu.emulator.ctx.store.kv.keys({ account: ACCOUNT, id })).toEqual([]);
      } finally {
        await emu.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a writer thread that dies fails only what it was sent: the account's next write starts another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-kv-"));
    try {
      const emu = await start({ dataDir: dir });
      try {
        const id = (await emu.cf.kv.namespaces.create({ account_id: ACCOUNT, title: "restart" })).id;
        const url = `${emu.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces/${id}`;
        expect((await emu.api("PUT", `${url}/values/a`, { body: "1" })).status).toBe(200);
        // Internals: the account's writer thread, stopped as a crash would.
        const account = (
          emu.emu.emulator.ctx.store.kv as unknown as { accounts: Map<string, { thread?: { terminate(): Promise<number> } }> }
        ).accounts.get(ACCOUNT)!;
        await account.thread!.terminate();
        expect((await emu.api("PUT", `${url}/values/b`, { body: "2" })).status).toBe(200);
        expect((await emu.api("GET", `${url}/keys`)).body.result.map((k: { name: string }) => k.name)).toEqual(["a", "b"]);
      } finally {
        await emu.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a data dir of the earlier format (values inside state.json) moves them into the database once, at start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wfp-kv-"));
    const id = "0f".repeat(16);
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    // As the emulator wrote it before the KV database: entries under the namespace, values in base64.
    const earlier = {
      version: 1,
      jwtSecret: Buffer.alloc(32, 7).toString("base64"),
      accounts: {
        [ACCOUNT]: {
          namespaces: {},
          kv: {
            [id]: {
              id,
              title: "earlier",
              created_on: "2026-01-01T00:00:00.000000Z",
              // Parsed: a literal's __proto__ would set the prototype, not a key.
              entries: JSON.parse(
                JSON.stringify({
                  proto: { value: Buffer.from("kept").toString("base64") },
                  bin: { value: bytes.toString("base64"), metadata: { plan: "pro" }, expiration: 4_000_000_000 },
                  expired: { value: "eA==", expiration: 1 },
                }).replace('"proto"', '"__proto__"'),
              ),
            },
          },
        },
      },
      sessions: {},
      zones: {},
    };
    writeFileSync(join(dir, "state.json"), JSON.stringify(earlier));
    try {
      let emu = await start({ dataDir: dir });
      const url = () => `${emu.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces/${id}`;
      try {
        const bin = await fetch(`${url()}/values/bin`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
        expect(Buffer.from(await bin.arrayBuffer())).toEqual(bytes);
        expect(bin.headers.get("expiration")).toBe("4000000000");
        expect((await emu.api("GET", `${url()}/values/__proto__`)).text).toBe("kept");
        expect((await emu.api("GET", `${url()}/keys`)).body.result).toEqual([
          { name: "__proto__" },
          { name: "bin", expiration: 4_000_000_000, metadata: { plan: "pro" } },
        ]);
        const rewritten = JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
        expect(rewritten.accounts[ACCOUNT].kv[id]).toEqual({ id, title: "earlier", created_on: "2026-01-01T00:00:00.000000Z" });
        expect(rewritten.jwtSecret).toBe(earlier.jwtSecret);
        expect(existsSync(join(dir, "kvdb", `${ACCOUNT}.sqlite`))).toBe(true);
        // A write after the move is what the next start reads: the values are not moved again.
        expect((await emu.api("PUT", `${url()}/values/__proto__`, { body: "changed" })).status).toBe(200);
      } finally {
        await emu.close();
      }
      emu = await start({ dataDir: dir });
      try {
        expect((await emu.api("GET", `${url()}/values/__proto__`)).text).toBe("changed");
        expect((await emu.api("GET", `${url()}/metadata/bin`)).body.result).toEqual({ plan: "pro" });
      } finally {
        await emu.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
