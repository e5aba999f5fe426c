/**
 * @module
 * Workers KV rules the API routes and the runtime's KV bindings share: validation against Cloudflare's limits, expiry,
 * and the keys listing's cursors. The entries are in the KV database (kv-data.ts), so a value written one way is what
 * the other reads. Expiry is in seconds since the epoch; an expired entry is absent everywhere.
 */
import { kvKeyFault, MAX_KV_KEY_BYTES, MAX_KV_METADATA_BYTES, MAX_KV_VALUE_BYTES, MIN_KV_TTL_SECONDS } from "../../cloudflare/kv";
import { ApiError, Codes, invalidRequest } from "./errors";
import type { KvData, KvListed, KvNamespaceRef } from "./kv-data";
import type { KvNamespace } from "./store";

export const MAX_KV_TITLE_CHARS = 512;
export const DEFAULT_KV_LIST_LIMIT = 1000;
export const MAX_KV_LIST_LIMIT = 1000;
export const MIN_KV_LIST_LIMIT = 10;

export function validateKey(key: string): string {
  const fault = kvKeyFault(key);
  if (fault === "empty") throw invalidRequest("Key name cannot be empty.");
  if (fault === "reserved") throw invalidRequest(`Illegal key name "${key}". Please use a different name.`);
  if (fault === "too long") {
    const bytes = Buffer.byteLength(key, "utf8");
    throw new ApiError(414, Codes.KV_KEY_TOO_LONG, `UTF-8 encoded length of ${bytes} exceeds key length limit of ${MAX_KV_KEY_BYTES}.`);
  }
  return key;
}

export function validateValue(value: Buffer): Buffer {
  if (value.length > MAX_KV_VALUE_BYTES)
    throw new ApiError(413, Codes.KV_VALUE_TOO_LARGE, `Value length of ${value.length} exceeds limit of ${MAX_KV_VALUE_BYTES}.`);
  return value;
}

export function validateMetadata(metadata: unknown): unknown {
  if (metadata === undefined) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(metadata), "utf8");
  if (bytes > MAX_KV_METADATA_BYTES)
    throw new ApiError(413, Codes.KV_METADATA_TOO_LARGE, `Metadata length of ${bytes} exceeds limit of ${MAX_KV_METADATA_BYTES}.`);
  return metadata;
}

function integer(name: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  const n = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(n))
    throw invalidRequest(
      `Invalid ${name} of ${JSON.stringify(raw)}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
    );
  return n;
}

/**
 * The absolute expiry from `expiration` / `expiration_ttl` (the TTL wins, as documented), each at least 60 s ahead.
 */
export function expiryOf(expiration: unknown, ttl: unknown, nowSeconds: number): number | undefined {
  const t = integer("expiration_ttl", ttl);
  if (t !== undefined) {
    if (t < MIN_KV_TTL_SECONDS)
      throw invalidRequest(`Invalid expiration_ttl of ${t}. Expiration TTL must be at least ${MIN_KV_TTL_SECONDS}.`);
    return nowSeconds + t;
  }
  const e = integer("expiration", expiration);
  if (e !== undefined && e < nowSeconds + MIN_KV_TTL_SECONDS)
    throw invalidRequest(`Invalid expiration of ${e}. Expiration times must be at least ${MIN_KV_TTL_SECONDS} seconds in the future.`);
  return e;
}

export type KeyInfo = KvListed;

export interface KeyPage {
  keys: KeyInfo[];
  /** "" on the last page. */
  cursor: string;
}

/** Keys in byte order of their UTF-8 names (as Cloudflare lists them), after the cursor's key. */
export function listKeys(
  data: KvData,
  ns: KvNamespaceRef,
  prefix: string,
  limit: number,
  cursor: string | undefined,
  nowSeconds: number,
): KeyPage {
  let after: string | undefined;
  if (cursor) {
    const raw = Buffer.from(cursor, "base64url").toString("utf8");
    if (!raw.startsWith("k:")) throw invalidRequest("Invalid cursor");
    after = raw.slice(2);
  }
  const { keys, more } = data.list(ns, prefix, limit, after, nowSeconds);
  const last = keys.at(-1);
  return { keys, cursor: more && last !== undefined ? Buffer.from(`k:${last.name}`).toString("base64url") : "" };
}

export function newKvNamespace(id: string, title: string, createdOn: string): KvNamespace {
  return { id, title, created_on: createdOn };
}
