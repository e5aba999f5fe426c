/**
 * D1: `/accounts/{account_id}/d1/database[/{uuid}]` and a database's `/query`. Databases are addressed by uuid;
 * "gone" is Cloudflare's 7404, nothing else.
 */
import type { D1DatabaseObject, D1QueryResult } from "../../cloudflare/wire";
import type { ApiRequest, CloudflareApi } from "./client";
import { CODES, unlessGone, type Operation } from "./errors";

const ROOT = "/d1/database";
const dbPath = (uuid: string) => `${ROOT}/${encodeURIComponent(uuid)}`;
const req = (r: Omit<ApiRequest, "accountRoot">): ApiRequest => ({ ...r, accountRoot: true });
const gone = [CODES.d1NotFound];

/** One statement of a `/query` batch: `sql` may hold several statements when it has no params. */
export interface D1Statement {
  sql: string;
  params?: Array<string | number | null>;
}

export interface D1CreateBody {
  name: string;
  primary_location_hint?: string;
  jurisdiction?: string;
}

export function createD1Database(api: CloudflareApi, body: D1CreateBody, op: Operation): Promise<D1DatabaseObject> {
  return api.call<D1DatabaseObject>(req({ method: "post", path: ROOT, body, op }));
}

/** GET `/d1/database/{uuid}` (shared within a run); undefined when Cloudflare says it does not exist (7404). */
export function getD1Database(api: CloudflareApi, uuid: string, op: Operation): Promise<D1DatabaseObject | undefined> {
  return unlessGone(api.callShared<D1DatabaseObject>({ method: "get", path: dbPath(uuid), accountRoot: true, op }), gone);
}

/** The database named exactly `name`, from the list filtered by name (page-numbered). */
export async function findD1Database(api: CloudflareApi, name: string, op: Operation): Promise<D1DatabaseObject | undefined> {
  for (let page = 1; page < 10_000; page++) {
    const batch =
      (await api.call<D1DatabaseObject[] | null>(req({ method: "get", path: ROOT, query: { name, page, per_page: 100 }, op }))) ?? [];
    const found = batch.find((d) => d.name === name);
    if (found || batch.length < 100) return found;
  }
  return undefined;
}

/** DELETE; false when it was already gone. */
export async function deleteD1Database(api: CloudflareApi, uuid: string, op: Operation): Promise<boolean> {
  const deleted = api.call(req({ method: "delete", path: dbPath(uuid), op })).then(() => true);
  return (await unlessGone(deleted, gone)) ?? false;
}

/** POST `/query` with a batch: one result per statement, rows as objects. */
export async function queryD1(api: CloudflareApi, uuid: string, batch: D1Statement[], op: Operation): Promise<D1QueryResult[]> {
  return (await api.call<D1QueryResult[] | null>(req({ method: "post", path: `${dbPath(uuid)}/query`, body: { batch }, op }))) ?? [];
}

/** The rows of one statement's result. */
export function rowsOf<T>(result: D1QueryResult | undefined): T[] {
  return Array.isArray(result?.results) ? (result.results as T[]) : [];
}
