/**
 * KvEntries: a set of keys of a KV namespace owned declaratively (key → value). Only the keys it lists are
 * ever written or deleted; others in the namespace are never touched.
 *
 * Diffed by key and value hash (no call when nothing changed); written with the bulk API in pages of 10,000;
 * removed keys bulk-deleted. Each written key carries metadata `{ "wfp-entry": <digest>, "wfp-owner": <stack> }`,
 * so refresh detects a changed or deleted key from the keys listing alone and reads a value only when its digest
 * is missing or differs.
 *
 * Ownership, as for scripts (../owner.ts): a key is written only when it is absent, this stack's, or in this
 * resource's state; a create or an added key that another stack (or no stack) wrote fails, naming them, before
 * anything is written. Delete leaves keys another stack has written since. Checking costs one keys listing (per
 * 1,000 keys) when keys are created, removed or re-tagged; a change of values alone costs none.
 */
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { kvKeyFault, MAX_KV_KEY_BYTES, MAX_KV_VALUE_BYTES } from "../../../cloudflare/kv";
import type { ProviderRun } from "../../run";
import { operation, type Operation } from "../../api/errors";
import type { CloudflareApi } from "../../api/client";
import { bulkDeleteKv, bulkWriteKv, getKvValue, listKvKeys, type KvWrite } from "../../api/kv";
import { accountIdProblem } from "../../credentials";
import { containsUnknown, fieldFailures, isPlainObject, isUnknown, type CheckFailure } from "../../validation";
import { sha256Hex } from "../../sha256";
import { entryChanges, type FieldChange } from "../field-changes";
import { kvNamespaceIdProblem } from "./namespace";
import { ENTRY_OWNER_FIELD, keyOwner } from "./owner";
import { defineProvider, DynamicResource, type KeyedDiff, resourceSpec, unknownPropertyFailures } from "../resource-kit";
import { ownerInput, programOwner } from "../owner";

/** The metadata field that marks a key written by KvEntries with its digest. */
export const ENTRY_METADATA_FIELD = "wfp-entry";

/** Arguments of {@link KvEntries}. */
export interface KvEntriesArgs {
  /** The namespace's id (`kvNamespace.namespaceId`). A change moves the entries: written there, deleted here. */
  namespaceId: pulumi.Input<string>;
  /** Key → value (text). Wrap the map, or any value, in `pulumi.secret()` to keep values out of plaintext state. */
  entries: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The Cloudflare account id (32 hex characters); defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

export interface KvEntriesInputs {
  namespaceId: string;
  entries: Record<string, string>;
  accountId?: string;
  /** The owner tag of the stack that declares the entries (set by the resource class). */
  owner?: string;
}

export interface KvEntriesOutputs {
  namespaceId: string;
  /** Key → digest of key and value (a secret output): what diff and refresh compare. */
  hashes: Record<string, string>;
  accountId?: string;
  /** The owner tag the keys were last written with; absent in a state from before owners. */
  owner?: string;
}

export const KV_ENTRIES = resourceSpec<KvEntriesArgs>()({
  kind: "KvEntries",
  inputs: ["namespaceId", "entries", "accountId"],
  outputs: ["hashes", "owner"],
});

const op = (id: string, verb: string): Operation => operation("KvEntries", id, verb);

/** The digest stored in state and in each key's metadata. */
export function entryHash(key: string, value: string): string {
  return sha256Hex(`${key}\0${value}`).slice(0, 32);
}

export function entriesFailures(value: unknown): CheckFailure[] {
  if (value === undefined) return [{ property: "entries", reason: "is required: a map of key → string value" }];
  if (isUnknown(value)) return [];
  if (!isPlainObject(value)) return [{ property: "entries", reason: "must be a map of key → string value" }];
  const failures: CheckFailure[] = [];
  for (const [key, v] of Object.entries(value)) {
    const property = `entries.${key}`;
    const fault = kvKeyFault(key);
    const shown = JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
    // A bad key is reported under `entries`: the key itself may be too long to be a property name.
    if (fault === "empty" || fault === "reserved")
      failures.push({
        property: "entries",
        reason: `key ${shown} is not allowed: KV keys are 1–${MAX_KV_KEY_BYTES} bytes, not "." or ".."`,
      });
    else if (fault === "too long")
      failures.push({
        property: "entries",
        reason: `key ${shown} is ${Buffer.byteLength(key, "utf8")} bytes: KV keys are at most ${MAX_KV_KEY_BYTES} bytes (UTF-8)`,
      });
    if (isUnknown(v)) continue;
    if (typeof v !== "string")
      failures.push({ property, reason: `must be a string (got ${v === null ? "null" : typeof v}); JSON.stringify objects` });
    else if (Buffer.byteLength(v, "utf8") > MAX_KV_VALUE_BYTES)
      failures.push({ property, reason: `value is over ${MAX_KV_VALUE_BYTES} bytes (25 MiB), KV's limit` });
  }
  return failures;
}

export function checkKvEntries(news: Record<string, unknown>): { inputs: KvEntriesInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(KV_ENTRIES, n);
  failures.push(...fieldFailures(n, "namespaceId", kvNamespaceIdProblem, "the KV namespace's id (kvNamespace.namespaceId)"));
  failures.push(...entriesFailures(n.entries));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  const inputs: KvEntriesInputs = { namespaceId: n.namespaceId as string, entries: (n.entries ?? {}) as Record<string, string> };
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs: { ...inputs, ...ownerInput(n) }, failures };
}

export function hashesOf(entries: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) out[k] = entryHash(k, v);
  return out;
}

/** What an update must write and delete. Pure. */
export function planEntries(olds: Record<string, string>, news: Record<string, string>): { write: string[]; remove: string[] } {
  const want = hashesOf(news);
  const write = Object.keys(want).filter((k) => olds[k] !== want[k]);
  const remove = Object.keys(olds).filter((k) => !(k in want));
  return { write: write.sort(), remove: remove.sort() };
}

export function diffKvEntries(olds: Partial<KvEntriesOutputs>, news: KvEntriesInputs): KeyedDiff {
  const changes: string[] = [];
  const replaces: string[] = [];
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");
  if (olds.namespaceId !== news.namespaceId) replaces.push("namespaceId");
  // Each key written or deleted by the update, named.
  const entries: FieldChange[] = containsUnknown(news.entries)
    ? [{ path: "entries", kind: "update" }]
    : entryChanges("entries", olds.hashes ?? {}, hashesOf(news.entries));
  if (entries.length > 0) changes.push("entries");
  // A state from before owners, or a stack renamed: the update re-tags every key.
  if (news.owner !== undefined && (olds.owner ?? "") !== news.owner) changes.push("owner");
  changes.push(...replaces);
  const fields = [...entries, ...changes.filter((key) => key !== "entries").map((path) => ({ path, kind: "update" as const }))];
  return { changes: changes.length > 0, replaces, deleteBeforeReplace: false, changedKeys: changes, fields };
}

async function write(api: CloudflareApi, inputs: KvEntriesInputs, keys: string[], o: Operation): Promise<void> {
  const writes: KvWrite[] = keys.map((key) => {
    const metadata: Record<string, string> = { [ENTRY_METADATA_FIELD]: entryHash(key, inputs.entries[key]!) };
    if (inputs.owner !== undefined) metadata[ENTRY_OWNER_FIELD] = inputs.owner;
    return { key, value: inputs.entries[key]!, metadata };
  });
  if (writes.length) await bulkWriteKv(api, inputs.namespaceId, writes, o);
}

/** Live key → owner, from one keys listing; undefined when the namespace is gone. */
async function liveOwners(api: CloudflareApi, namespaceId: string, o: Operation): Promise<Map<string, string> | undefined> {
  const listed = await listKvKeys(api, namespaceId, o);
  return listed && new Map(listed.map((k) => [k.name, keyOwner(k)]));
}

/**
 * Refuses to write keys that exist and are not this stack's: owned by another stack, or written by no stack and
 * not in this resource's state (`mine`: the keys a state from before owners holds). Nothing is written then.
 */
function claimKeys(keys: string[], live: Map<string, string>, inputs: KvEntriesInputs, mine: ReadonlySet<string>, o: Operation): void {
  const foreign = keys
    .filter((key) => live.has(key))
    .map((key) => ({ key, found: live.get(key)! }))
    .filter(({ key, found }) => found !== (inputs.owner ?? "") && !(found === "" && mine.has(key)));
  if (foreign.length === 0) return;
  const named = foreign
    .sort((a, b) => a.key.localeCompare(b.key))
    .slice(0, 20)
    .map(({ key, found }) => `${JSON.stringify(key)} (${found ? `owned by ${found}` : "written by no stack"})`);
  const more = foreign.length > named.length ? `, and ${foreign.length - named.length} more` : "";
  const count = foreign.length === 1 ? "1 key already exists" : `${foreign.length} keys already exist`;
  throw new Error(
    `${o.resource}: ${o.operation} failed: ${count} in KV namespace ${inputs.namespaceId} and ${foreign.length === 1 ? "is" : "are"} not this stack's: ` +
      `${named.join(", ")}${more}. Nothing was written. To manage them from this stack, remove them from the other ` +
      "stack's KvEntries (or delete them), then run pulumi up again.",
  );
}

/**
 * Deletes `keys`, except those the listing shows another stack has written since (left, with a warning). A key the
 * listing lacks is deleted all the same: KV lists are eventually consistent, and deleting an absent key is harmless.
 */
async function deleteOwnKeys(
  run: ProviderRun,
  inputs: { accountId?: string; namespaceId: string; owner?: string },
  keys: string[],
  o: Operation,
): Promise<void> {
  if (keys.length === 0) return;
  const api = run.connect(inputs.accountId);
  const live = await liveOwners(api, inputs.namespaceId, o);
  if (live === undefined) return; // the namespace is gone, and the keys with it
  const theirs = keys.filter((key) => live.has(key) && live.get(key) !== "" && live.get(key) !== (inputs.owner ?? ""));
  for (const key of theirs)
    run.log.warn(`${o.resource}: not deleted: key ${JSON.stringify(key)} is now owned by ${live.get(key)}; it is left as it is.`);
  const gone = keys.filter((key) => !theirs.includes(key));
  if (gone.length) await bulkDeleteKv(api, inputs.namespaceId, gone, o);
}

function outputsOf(inputs: KvEntriesInputs): KvEntriesOutputs {
  const outs: KvEntriesOutputs = { namespaceId: inputs.namespaceId, hashes: hashesOf(inputs.entries) };
  if (inputs.accountId !== undefined) outs.accountId = inputs.accountId;
  if (inputs.owner !== undefined) outs.owner = inputs.owner;
  return outs;
}

export const kvEntriesProvider = defineProvider<KvEntriesInputs, KvEntriesOutputs>({
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkKvEntries(news);
  },

  async diff(_id: string, olds: KvEntriesOutputs, news: KvEntriesInputs) {
    return diffKvEntries(olds, news);
  },

  async create(inputs: KvEntriesInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs.namespaceId, "create");
    const keys = Object.keys(inputs.entries).sort();
    const live = await liveOwners(api, inputs.namespaceId, o);
    if (live) claimKeys(keys, live, inputs, new Set(), o);
    await write(api, inputs, keys, o);
    // Several KvEntries may own disjoint keys of one namespace: the id is the namespace's plus a suffix.
    return { id: `${inputs.namespaceId}/${randomBytes(4).toString("hex")}`, outs: outputsOf(inputs) };
  },

  /**
   * Refresh: one keys listing; a key gone drops out of `hashes`, a key whose metadata digest is missing or differs
   * has its value read and compared. Not importable (which keys it owns cannot be read back).
   */
  async read(id: string, stored: Partial<KvEntriesOutputs>, run: ProviderRun) {
    if (stored.namespaceId === undefined || stored.hashes === undefined)
      throw new Error(`KvEntries "${id}": cannot be imported: declare the entries and run pulumi up (it writes them)`);
    const api = run.connect(stored.accountId);
    const o = op(stored.namespaceId, "read");
    const listed = await listKvKeys(api, stored.namespaceId, o);
    if (listed === undefined) return {}; // the namespace is gone, and the entries with it
    const byName = new Map(listed.map((k) => [k.name, k]));
    const hashes: Record<string, string> = {};
    for (const [key, hash] of Object.entries(stored.hashes)) {
      const found = byName.get(key);
      if (!found) continue;
      const owner = keyOwner(found);
      if (stored.owner !== undefined && owner !== "" && owner !== stored.owner) continue; // another stack's now
      const marker = isPlainObject(found.metadata) ? found.metadata[ENTRY_METADATA_FIELD] : undefined;
      if (marker === hash) {
        hashes[key] = hash;
        continue;
      }
      const value = await getKvValue(api, stored.namespaceId, key, o);
      if (value === undefined) continue;
      hashes[key] = entryHash(key, value);
    }
    return { id, props: { ...stored, hashes } };
  },

  async update(_id: string, olds: KvEntriesOutputs, news: KvEntriesInputs, run: ProviderRun) {
    const api = run.connect(news.accountId);
    const o = op(news.namespaceId, "update");
    const mine = new Set(Object.keys(olds.hashes ?? {}));
    const retag = news.owner !== undefined && (olds.owner ?? "") !== news.owner;
    const plan = planEntries(retag ? {} : (olds.hashes ?? {}), news.entries);
    // Keys new to this resource (all of them when re-tagging) are claimed first; a change of values alone is not.
    const claimed = plan.write.filter((key) => retag || !mine.has(key));
    if (claimed.length) {
      const live = await liveOwners(api, news.namespaceId, o);
      if (live) claimKeys(claimed, live, news, mine, o);
    }
    await write(api, news, plan.write, o);
    await deleteOwnKeys(run, { ...news, owner: news.owner ?? olds.owner }, plan.remove, o);
    return { outs: outputsOf(news) };
  },

  async delete(_id: string, props: KvEntriesOutputs, run: ProviderRun) {
    await deleteOwnKeys(run, props, Object.keys(props.hashes ?? {}), op(props.namespaceId, "delete"));
  },
});

/**
 * Keys of a KV namespace, owned declaratively: `new KvEntries("routes", { namespaceId: ns.namespaceId, entries: {...} })`.
 * Keys of the namespace not listed here are never touched. `hashes` is a secret output.
 */
export class KvEntries extends DynamicResource {
  declare public readonly namespaceId: pulumi.Output<string>;
  declare public readonly hashes: pulumi.Output<Record<string, string>>;
  declare public readonly accountId: pulumi.Output<string | undefined>;
  /** The owner tag its keys carry (`wfp-owner=<project>/<stack>`). */
  declare public readonly owner: pulumi.Output<string | undefined>;

  constructor(name: string, args: KvEntriesArgs, opts?: pulumi.CustomResourceOptions) {
    const additionalSecretOutputs = [...new Set([...(opts?.additionalSecretOutputs ?? []), "hashes"])];
    // The provider process may not know the stack: the program names the owner.
    super(KV_ENTRIES, name, args, { ...opts, additionalSecretOutputs }, { owner: programOwner() });
  }
}
