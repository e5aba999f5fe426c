/**
 * Which stack wrote a KV key: KvEntries puts its stack's owner tag (../owner.ts) into each key's metadata, so
 * a stack tells its keys from another's, and a KV namespace whose keys are all its own from someone else's data.
 */
import type { KvKey } from "../../api/kv";
import { isPlainObject } from "../../validation";

/** The metadata field naming the stack whose KvEntries wrote the key. */
export const ENTRY_OWNER_FIELD = "wfp-owner";

/** The owner tag a listed key carries, "" when no KvEntries with an owner wrote it. */
export function keyOwner(k: KvKey): string {
  const found = isPlainObject(k.metadata) ? k.metadata[ENTRY_OWNER_FIELD] : undefined;
  return typeof found === "string" ? found : "";
}
