/** The pure diff of a script: stored outputs against normalized inputs. */
import { sameAssetsDigest } from "../../assets/describe";
import { containsUnknown, isPlainObject, isUnknown } from "../../validation";
import { deepEqual } from "../../deep-equal";
import { type FieldChange, namedItemChanges } from "../field-changes";
import type { KeyedDiff } from "../resource-kit";
import {
  bindingDigest,
  bindingItems,
  bindingItemsOf,
  digestOf,
  type FieldDigests,
  type Normalizer,
  storedDigest,
  storedDigests,
} from "./digests";
import type { ScriptInputs, ScriptOutputs } from "./types";

const sortedStrings = (xs: unknown): unknown => (Array.isArray(xs) ? [...xs].map(String).sort() : xs);
const byName = (xs: unknown): unknown =>
  Array.isArray(xs)
    ? [...xs].sort((a, b) => String((a as { name?: string })?.name).localeCompare(String((b as { name?: string })?.name)))
    : xs;
const moduleKeys = (xs: unknown): unknown =>
  Array.isArray(xs) ? xs.map((m) => (isPlainObject(m) ? { name: m.name, type: m.type, sha256: m.sha256 } : m)) : xs;

const same = (v: unknown) => v;

/** The fields compared one by one, each normalized the same way on both sides, with the value a missing one means. */
const COMPARED: ReadonlyArray<readonly [keyof ScriptInputs & string, Normalizer, unknown]> = [
  ["modules", moduleKeys, undefined],
  ["mainModule", same, undefined],
  ["compatibilityDate", same, undefined],
  ["compatibilityFlags", sortedStrings, []],
  ["bindings", byName, []],
  ["tags", sortedStrings, []],
  ["usageModel", same, "standard"],
  ["limits", same, {}],
  ["logpush", same, false],
  ["observability", same, { enabled: false }],
  ["placement", same, {}],
  ["tailConsumers", same, []],
];

/** The fields a compact state keeps as digests (./digests.ts): all compared ones but the tags, which users read. */
export const DIGESTED_FIELDS = COMPARED.filter(([key]) => key !== "tags");
const DIGESTED = new Set(DIGESTED_FIELDS.map(([key]) => key));

/** True when the stored field (its value, or its digest in a compact state) equals the program's normalized value. */
function sameField(olds: Partial<ScriptOutputs>, digests: FieldDigests | undefined, field: (typeof COMPARED)[number], b: unknown) {
  const [key, normalize, fallback] = field;
  if (digests === undefined || !DIGESTED.has(key)) return deepEqual(normalize((olds as Record<string, unknown>)[key] ?? fallback), b);
  if (key === "bindings") {
    const sorted = (xs: string[]) => [...xs].sort();
    return deepEqual(sorted(digests.bindings ?? []), sorted((b as unknown[]).map(bindingDigest)));
  }
  return storedDigest(digests, key, normalize, fallback) === digestOf(b);
}

/**
 * diff(olds = stored outputs, news = normalized inputs). Pure. Refresh calls it as
 * diff(refreshed outputs, stored inputs), so a clean state must produce no changes.
 * Where the script lives (namespace, name, account) is identity: a change replaces it.
 */
export function diffScript(olds: Partial<ScriptOutputs>, news: ScriptInputs): KeyedDiff {
  const changes: string[] = [];
  const replaces: string[] = [];
  for (const key of ["namespace", "name"] as const) if ((olds[key] ?? undefined) !== (news[key] ?? undefined)) replaces.push(key);
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");

  // Another deploy since ours (its code or its asset set): reported as `etag`, repaired by our upload.
  if (olds.etag !== undefined && olds.deployedEtag !== undefined && olds.etag !== olds.deployedEtag) changes.push("etag");
  const digests = storedDigests(olds as Record<string, unknown>);
  for (const field of COMPARED) {
    const [key, normalize, fallback] = field;
    const b = normalize(news[key] ?? fallback);
    if (containsUnknown(news[key]) || containsUnknown(b) || !sameField(olds, digests, field, b)) changes.push(key);
  }
  // The owner tag differs: a stack renamed, a script imported or adopted; the update re-tags it.
  if (news.owner !== undefined && (isUnknown(news.owner) || (olds.owner ?? "") !== news.owner)) changes.push("owner");
  const crons = (xs: unknown) => (isUnknown(xs) ? xs : sortedStrings((xs as string[] | undefined)?.map((c) => c.trim()) ?? []));
  if (containsUnknown(news.crons) || !deepEqual(crons(olds.crons), crons(news.crons))) changes.push("crons");
  // Durable Object classes added, renamed or deleted: the upload carries their migrations.
  const classes = isUnknown(news.durableObjects) ? news.durableObjects : (news.durableObjects?.classes ?? []);
  if (containsUnknown(classes) || !deepEqual(sortedStrings(olds.durableObjectClasses ?? []), sortedStrings(classes)))
    changes.push("durableObjects");
  // Another migration since ours: named, and the next upload's migrations start from the tag found.
  if (olds.deployedMigrationTag !== undefined && olds.deployedMigrationTag !== (olds.migrationTag ?? "")) changes.push("migrationTag");
  const newDigest =
    news.assets === undefined || news.assets === null ? undefined : isUnknown(news.assets) ? news.assets : news.assets.digest;
  const oldDigest = olds.assetsDigest === "" ? undefined : olds.assetsDigest;
  if (isUnknown(newDigest) || !sameAssetsDigest(oldDigest, newDigest as string | undefined)) changes.push("assets");

  const all = [...new Set([...changes, ...replaces])];
  const fields = all.flatMap((key) =>
    key === "bindings" ? bindingChanges(olds, digests, news) : [{ path: key, kind: "update" as const }],
  );
  // Names differ on replacement, so the new script can be created before the old one is deleted.
  return { changes: all.length > 0, replaces, deleteBeforeReplace: false, changedKeys: all, fields };
}

/** Each binding added, changed or gone, by its index; the whole list while the program's is unknown. */
function bindingChanges(olds: Partial<ScriptOutputs>, digests: FieldDigests | undefined, news: ScriptInputs): FieldChange[] {
  const list = (xs: unknown): unknown[] => (Array.isArray(xs) ? xs : []);
  // A compact state has each binding's digest: the program's bindings are compared as digests too.
  const [before, after] =
    digests === undefined
      ? [list(olds.bindings), list(news.bindings)]
      : [bindingItems(digests.bindings), bindingItemsOf(list(news.bindings))];
  const items = containsUnknown(news.bindings) ? [] : namedItemChanges("bindings", before, after);
  return items.length > 0 ? items : [{ path: "bindings", kind: "update" }];
}
