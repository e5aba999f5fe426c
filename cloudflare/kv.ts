/**
 * Workers KV's limits and key rules (Workers KV docs: Platform, Limits; API operations "Write key-value pair with
 * metadata" and "Write multiple key-value pairs"). The emulator refuses what they refuse; KvEntries' check does too.
 */

/** A key's UTF-8 length. */
export const MAX_KV_KEY_BYTES = 512;
/** A value's length. */
export const MAX_KV_VALUE_BYTES = 25 * 1024 * 1024;
/** A key's metadata, as JSON. */
export const MAX_KV_METADATA_BYTES = 1024;
/** The shortest `expiration_ttl`, and how far ahead an `expiration` must be. */
export const MIN_KV_TTL_SECONDS = 60;
/** Pairs (or keys) in one bulk write (or delete). */
export const MAX_KV_BULK_ITEMS = 10_000;

/** What is wrong with a key: empty, one of the names KV refuses ("." and ".."), or over {@link MAX_KV_KEY_BYTES}. */
export type KvKeyFault = "empty" | "reserved" | "too long";

const utf8 = new TextEncoder();

export function kvKeyFault(key: string): KvKeyFault | undefined {
  if (key === "") return "empty";
  if (key === "." || key === "..") return "reserved";
  if (utf8.encode(key).length > MAX_KV_KEY_BYTES) return "too long";
  return undefined;
}
