/** The pure diff of a script: stored outputs against normalized inputs. */
import { containsUnknown, isPlainObject, isUnknown } from "../../validation";
import { deepEqual } from "../../deep-equal";
import { type FieldChange, namedItemChanges } from "../field-changes";
import type { KeyedDiff } from "../resource-kit";
import type { ScriptSettingsShape } from "./settings";
import type { ScriptInputs, ScriptOutputs } from "./types";

const sortedStrings = (xs: unknown): unknown => (Array.isArray(xs) ? [...xs].map(String).sort() : xs);
const byName = (xs: unknown): unknown =>
  Array.isArray(xs)
    ? [...xs].sort((a, b) => String((a as { name?: string })?.name).localeCompare(String((b as { name?: string })?.name)))
    : xs;
const moduleKeys = (xs: unknown): unknown =>
  Array.isArray(xs) ? xs.map((m) => (isPlainObject(m) ? { name: m.name, type: m.type, sha256: m.sha256 } : m)) : xs;

/** Settings compared field by field, each normalized the same way on both sides. */
const SETTINGS_COMPARATORS: Array<[keyof ScriptSettingsShape, (v: unknown) => unknown, unknown]> = [
  ["compatibilityDate", (v) => v, undefined],
  ["compatibilityFlags", sortedStrings, []],
  ["bindings", byName, []],
  ["tags", sortedStrings, []],
  ["usageModel", (v) => v, "standard"],
  ["limits", (v) => v, {}],
  ["logpush", (v) => v, false],
  ["observability", (v) => v, { enabled: false }],
  ["placement", (v) => v, {}],
  ["tailConsumers", (v) => v, []],
];

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
  if (containsUnknown(news.modules) || !deepEqual(moduleKeys(olds.modules), moduleKeys(news.modules))) changes.push("modules");
  if (olds.mainModule !== news.mainModule) changes.push("mainModule");
  for (const [key, normalize, fallback] of SETTINGS_COMPARATORS) {
    const a = normalize(olds[key] ?? fallback);
    const b = normalize(news[key] ?? fallback);
    if (containsUnknown(b) || !deepEqual(a, b)) changes.push(key);
  }
  // The owner tag differs: a stack renamed, a script imported or adopted; the update re-tags it.
  if (news.owner !== undefined && (isUnknown(news.owner) || (olds.owner ?? "") !== news.owner)) changes.push("owner");
  const crons = (xs: unknown) => (isUnknown(xs) ? xs : sortedStrings((xs as string[] | undefined)?.map((c) => c.trim()) ?? []));
  if (containsUnknown(news.crons) || !deepEqual(crons(olds.crons), crons(news.crons))) changes.push("crons");
  const newDigest =
    news.assets === undefined || news.assets === null ? undefined : isUnknown(news.assets) ? news.assets : news.assets.digest;
  const oldDigest = olds.assetsDigest === "" ? undefined : olds.assetsDigest;
  if (isUnknown(newDigest) || (oldDigest ?? undefined) !== (newDigest ?? undefined)) changes.push("assets");

  const all = [...new Set([...changes, ...replaces])];
  const fields = all.flatMap((key) => (key === "bindings" ? bindingChanges(olds, news) : [{ path: key, kind: "update" as const }]));
  // Names differ on replacement, so the new script can be created before the old one is deleted.
  return { changes: all.length > 0, replaces, deleteBeforeReplace: false, changedKeys: all, fields };
}

/** Each binding added, changed or gone, by its index; the whole list while the program's is unknown. */
function bindingChanges(olds: Partial<ScriptOutputs>, news: ScriptInputs): FieldChange[] {
  const list = (xs: unknown): unknown[] => (Array.isArray(xs) ? xs : []);
  const items = containsUnknown(news.bindings) ? [] : namedItemChanges("bindings", list(olds.bindings), list(news.bindings));
  return items.length > 0 ? items : [{ path: "bindings", kind: "update" }];
}
