/**
 * @module
 * D1: `/accounts/{account}/d1/database[/{uuid}]` (create, list with a name filter and pages, get, update of
 * read replication, delete) and a database's `/query` and `/raw`. Queries run on Miniflare's own D1 (the storage
 * host), where the Workers' D1 bindings read and write the same data.
 *
 * [I] `name` filters by substring; a failed statement answers 400 with 7500 and the database's message; `params`
 * with several statements in one `sql` is refused (which statement they bind to is not documented).
 */
import { Hono } from "hono";
import { MAX_D1_DATABASES, MAX_D1_PARAMS, MAX_D1_STATEMENT_BYTES, splitSql } from "../../cloudflare/d1";
import type { D1QueryResult } from "../../cloudflare/wire";
import type { AppEnv, EmulatorContext, SqlStatement, StorageBackend } from "../context";
import { D1QueryError } from "../context";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import { d1Object, newD1Database } from "../model/storage";
import type { D1Database } from "../model/store";
import { newUuid, timestamp } from "../model/store";
import { isObject } from "../model/validate";
import { accountId, type C, readJson } from "./common";

export const D1_ROUTE = "/accounts/:account_id/d1/database";
/** [I] A failed query (the API's documented D1 codes are 7xxx; this one is not documented). */
export const D1_QUERY_FAILED = 7500;

function pageParam(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalidRequest(`${name} must be an integer between 1 and ${max}`);
  return n;
}

/** The statements of a `/query` or `/raw` body: `{sql, params?}` (`sql` may hold several) or `{batch: [...]}`. */
function statementsOf(body: unknown): SqlStatement[] {
  if (!isObject(body)) throw invalidRequest("request body must be {sql, params?} or {batch: [{sql, params?}]}");
  const items = Array.isArray(body.batch) ? body.batch : [body];
  const out: SqlStatement[] = [];
  for (const item of items) {
    if (!isObject(item) || typeof item.sql !== "string") throw invalidRequest("each query needs sql: a string");
    const params = item.params ?? [];
    if (!Array.isArray(params) || params.some((p) => p !== null && !["string", "number", "boolean"].includes(typeof p)))
      throw invalidRequest("params must be an array of strings, numbers, booleans or nulls");
    if (params.length > MAX_D1_PARAMS) throw invalidRequest(`too many SQL variables: at most ${MAX_D1_PARAMS} per query`);
    const sqls = splitSql(item.sql);
    if (sqls.length > 1 && params.length > 0) throw invalidRequest("params can be bound to one statement only: send several as batch");
    for (const sql of sqls) {
      if (Buffer.byteLength(sql) > MAX_D1_STATEMENT_BYTES)
        throw invalidRequest(`statement too long: at most ${MAX_D1_STATEMENT_BYTES} bytes`);
      out.push(params.length ? { sql, params } : { sql });
    }
  }
  if (out.length === 0) throw invalidRequest("No SQL statements detected.");
  return out;
}

/** The storage host, which every query needs. */
function storageOf(ctx: EmulatorContext): StorageBackend {
  if (!ctx.storage) throw new ApiError(503, Codes.INTERNAL_ERROR, "D1 data is not available: the emulator runs without its storage host");
  return ctx.storage;
}

/** File size and table count, read from the database itself. */
async function sizeOf(ctx: EmulatorContext, db: D1Database): Promise<{ file_size: number; num_tables: number }> {
  const [r] = await storageOf(ctx).d1Query(
    db.uuid,
    [{ sql: "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'" }],
    "objects",
  );
  const n = Number((r?.results as Array<{ n?: unknown }> | undefined)?.[0]?.n ?? 0);
  return { file_size: Number(r?.meta.size_after ?? 0), num_tables: n };
}

export function d1Routes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;
  const all = (c: C) => store.state.accounts[accountId(c)]?.d1 ?? {};
  const requireDb = (c: C): D1Database => {
    const uuid = c.req.param("uuid")!;
    const db = Object.hasOwn(all(c), uuid) ? all(c)[uuid] : undefined;
    if (!db) throw new ApiError(404, Codes.D1_NOT_FOUND, `The database ${uuid} could not be found`);
    return db;
  };

  r.post("/", async (c) => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object with a name");
    const db = newD1Database(newUuid(), timestamp(), body);
    const dbs = Object.values(all(c));
    if (dbs.some((d) => d.name === db.name)) throw new ApiError(400, Codes.D1_NAME_TAKEN, "A database with that name already exists");
    if (dbs.length >= MAX_D1_DATABASES) throw new ApiError(400, Codes.D1_TOO_MANY, "Maximum number of D1 databases reached");
    store.d1Databases(accountId(c))[db.uuid] = db;
    store.touch();
    ctx.storage?.changed();
    return c.json(okEnvelope(d1Object(db, { file_size: 0, num_tables: 0 })));
  });

  r.get("/", (c) => {
    const page = pageParam(c.req.query("page"), "page", 1, Number.MAX_SAFE_INTEGER);
    const perPage = pageParam(c.req.query("per_page"), "per_page", 1000, 10_000);
    const name = c.req.query("name");
    const dbs = Object.values(all(c))
      .filter((d) => !name || d.name.includes(name))
      .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.uuid < b.uuid ? -1 : 1));
    const items = dbs.slice((page - 1) * perPage, page * perPage);
    return c.json(
      okEnvelope(
        items.map((d) => d1Object(d)),
        { page, per_page: perPage, count: items.length, total_count: dbs.length },
      ),
    );
  });

  r.get("/:uuid", async (c) => {
    const db = requireDb(c);
    return c.json(okEnvelope(d1Object(db, await sizeOf(ctx, db))));
  });

  const update = (required: boolean) => async (c: C) => {
    const body = await readJson(c, {});
    const db = requireDb(c);
    const mode = isObject(body) && isObject(body.read_replication) ? body.read_replication.mode : undefined;
    if (mode === undefined && required) throw invalidRequest("read_replication is required: {mode: 'auto' | 'disabled'}");
    if (mode !== undefined) {
      if (mode !== "auto" && mode !== "disabled") throw invalidRequest("read_replication.mode must be auto or disabled");
      db.read_replication = { mode };
      store.touch();
    }
    return c.json(okEnvelope(d1Object(db, await sizeOf(ctx, db))));
  };
  r.put("/:uuid", update(true));
  r.patch("/:uuid", update(false));

  r.delete("/:uuid", async (c) => {
    const db = requireDb(c);
    await ctx.storage?.d1Drop(db.uuid);
    delete store.d1Databases(accountId(c))[db.uuid];
    store.touch();
    ctx.storage?.changed();
    return c.json(okEnvelope(null));
  });

  const query = (format: "objects" | "rows") => async (c: C) => {
    const body = await readJson(c);
    const db = requireDb(c);
    const statements = statementsOf(body);
    let results: D1QueryResult[];
    try {
      results = await storageOf(ctx).d1Query(db.uuid, statements, format);
    } catch (err) {
      if (err instanceof D1QueryError) throw new ApiError(400, D1_QUERY_FAILED, err.message);
      throw err;
    }
    return c.json(okEnvelope(results));
  };
  r.post("/:uuid/query", query("objects"));
  r.post("/:uuid/raw", query("rows"));

  return r;
}
