/**
 * Workers KV: `/accounts/{account_id}/storage/kv/namespaces[/{id}]`, its keys listing and bulk writes/deletes.
 * Namespaces are addressed by id; "gone" is Cloudflare's 10013 (namespace) or 10009 (key), nothing else.
 */
import { batches } from "../../cloudflare/batches";
import { MAX_KV_BULK_ITEMS } from "../../cloudflare/kv";
import type { KvNamespaceObject } from "../../cloudflare/wire";
import type { ApiRequest, CloudflareApi } from "./client";
import { CODES, unlessGone, type Operation } from "./errors";
import { paginate } from "./paginate";

export interface KvKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

export interface KvWrite {
  key: string;
  value: string;
  metadata?: unknown;
}

/** Cloudflare's bound on the body of one bulk request is 100 MB: we stay well under it. */
export const KV_BULK_MAX_BYTES = 90 * 1024 * 1024;

const ROOT = "/storage/kv/namespaces";
const nsPath = (id: string) => `${ROOT}/${encodeURIComponent(id)}`;
const req = (r: Omit<ApiRequest, "accountRoot">): ApiRequest => ({ ...r, accountRoot: true });
const gone = [CODES.kvNamespaceNotFound];

/** GET `/storage/kv/namespaces/{id}`; undefined when Cloudflare says it does not exist (10013). */
export function getKvNamespace(api: CloudflareApi, id: string, op: Operation): Promise<KvNamespaceObject | undefined> {
  return unlessGone(api.call<KvNamespaceObject>(req({ method: "get", path: nsPath(id), op })), gone);
}

/** Every namespace of the account (page-numbered, 100 a page). */
export async function listKvNamespaces(api: CloudflareApi, op: Operation): Promise<KvNamespaceObject[]> {
  const out: KvNamespaceObject[] = [];
  for (let page = 1; page < 10_000; page++) {
    const batch =
      (await api.call<KvNamespaceObject[] | null>(req({ method: "get", path: ROOT, query: { page, per_page: 100 }, op }))) ?? [];
    out.push(...batch);
    if (batch.length < 100) break;
  }
  return out;
}

export function createKvNamespace(api: CloudflareApi, title: string, op: Operation): Promise<KvNamespaceObject> {
  return api.call<KvNamespaceObject>(req({ method: "post", path: ROOT, body: { title }, op }));
}

export function renameKvNamespace(api: CloudflareApi, id: string, title: string, op: Operation): Promise<KvNamespaceObject> {
  return api.call<KvNamespaceObject>(req({ method: "put", path: nsPath(id), body: { title }, op }));
}

/** DELETE; false when it was already gone. */
export async function deleteKvNamespace(api: CloudflareApi, id: string, op: Operation): Promise<boolean> {
  const deleted = api.call(req({ method: "delete", path: nsPath(id), op })).then(() => true);
  return (await unlessGone(deleted, gone)) ?? false;
}

/** Every key of the namespace (1,000 a page); undefined when the namespace is gone. */
export function listKvKeys(api: CloudflareApi, id: string, op: Operation, prefix?: string): Promise<KvKey[] | undefined> {
  const query = prefix ? { prefix } : undefined;
  return unlessGone(paginate<KvKey>(api, req({ method: "get", path: `${nsPath(id)}/keys`, query, op })), gone);
}

/** A key's value as text; undefined when the key (10009) or the namespace (10013) is gone. */
export async function getKvValue(api: CloudflareApi, id: string, key: string, op: Operation): Promise<string | undefined> {
  const response = unlessGone(api.fetchRaw(req({ method: "get", path: `${nsPath(id)}/values/${encodeURIComponent(key)}`, op })), [
    CODES.kvKeyNotFound,
    CODES.kvNamespaceNotFound,
  ]);
  const r = await response;
  return r === undefined ? undefined : r.text();
}

/** Splits work into requests of at most 10,000 items and about 90 MB. */
export function bulkPages<T>(items: T[], size: (item: T) => number): T[][] {
  return batches(items, { maxItems: MAX_KV_BULK_ITEMS, maxBytes: KV_BULK_MAX_BYTES }, size);
}

/** PUT `/bulk`, a page at a time; throws naming the keys Cloudflare reports as not written. */
export async function bulkWriteKv(api: CloudflareApi, id: string, writes: KvWrite[], op: Operation): Promise<void> {
  for (const page of bulkPages(writes, (w) => Buffer.byteLength(w.key) + Buffer.byteLength(w.value) + 64)) {
    const result = await api.call<{ unsuccessful_keys?: string[] } | null>(
      req({ method: "put", path: `${nsPath(id)}/bulk`, body: page, op }),
    );
    failedKeys(result, op, "written");
  }
}

/** POST `/bulk/delete`, a page at a time. A namespace already gone has nothing left to delete. */
export async function bulkDeleteKv(api: CloudflareApi, id: string, keys: string[], op: Operation): Promise<void> {
  for (const page of bulkPages(keys, (k) => Buffer.byteLength(k) + 4)) {
    const call = api.call<{ unsuccessful_keys?: string[] } | null>(
      req({ method: "post", path: `${nsPath(id)}/bulk/delete`, body: page, op }),
    );
    const result = await unlessGone(call, gone);
    if (result !== undefined) failedKeys(result, op, "deleted");
  }
}

function failedKeys(result: { unsuccessful_keys?: string[] } | null, op: Operation, verb: string): void {
  const failed = result?.unsuccessful_keys ?? [];
  if (failed.length === 0) return;
  const shown = failed
    .slice(0, 5)
    .map((k) => JSON.stringify(k))
    .join(", ");
  throw new Error(
    `${op.resource}: ${op.operation} failed: ${failed.length} key(s) were not ${verb} (${shown}); run it again to retry them`,
  );
}
