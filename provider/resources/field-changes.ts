/**
 * The properties a diff names, each as a property path (`etag`, `secrets.STRIPE_KEY`, `bindings[2]`,
 * `entries["tenant:acme"]`) with what an update does to it. The plugin host hands them to the engine as the
 * detailed diff (what `pulumi preview --diff` prints and `--json` lists as `detailedDiff`); `wfp-drift` words them.
 * Each resource's diff decides how finely it can name a change: a property it compares only as a whole
 * (or by digest) is one path.
 */
import { deepEqual } from "../deep-equal";

/** add: the program has it and the resource does not; delete: the reverse; update: both have it, differing. */
export type FieldChangeKind = "add" | "delete" | "update";

export interface FieldChange {
  path: string;
  kind: FieldChangeKind;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * A property path as the engine parses it: `a.b` for a plain key, `a["x:y"]` for any other (a quote escaped as
 * `\"`, nothing else is), `a[2]` for an index.
 */
export function propertyPath(root: string, ...steps: Array<string | number>): string {
  let path = root;
  for (const step of steps) {
    if (typeof step === "number") path += `[${step}]`;
    else path += IDENTIFIER.test(step) ? `.${step}` : `["${step.replaceAll('"', '\\"')}"]`;
  }
  return path;
}

/** The top-level property a path starts with. */
export function rootOf(path: string): string {
  return /^[^.[]+/.exec(path)?.[0] ?? path;
}

/** A map compared entry by entry: one `<root>.<key>` per key on one side only or whose values differ. */
export function entryChanges(
  root: string,
  olds: Readonly<Record<string, unknown>>,
  news: Readonly<Record<string, unknown>>,
): FieldChange[] {
  const changed: Array<[string, FieldChangeKind]> = [];
  for (const key of Object.keys(news).sort()) {
    if (!(key in olds)) changed.push([key, "add"]);
    else if (!deepEqual(olds[key], news[key])) changed.push([key, "update"]);
  }
  for (const key of Object.keys(olds).sort()) if (!(key in news)) changed.push([key, "delete"]);
  // The engine's path grammar has no escape for a backslash: a map with such a changed key is named as a whole.
  if (changed.some(([key]) => key.includes("\\"))) return [{ path: root, kind: "update" }];
  return changed.map(([key, kind]) => ({ path: propertyPath(root, key), kind }));
}

/**
 * A list of named items (bindings) compared by name, whatever their order: an item the program adds or changes is
 * named by its index in the program, one it no longer has by its index in the state (the engine's convention).
 */
export function namedItemChanges(root: string, olds: readonly unknown[], news: readonly unknown[]): FieldChange[] {
  const nameOf = (item: unknown) => String((item as { name?: unknown } | null)?.name);
  const oldByName = new Map(olds.map((item) => [nameOf(item), item]));
  const newNames = new Set(news.map(nameOf));
  const changes: FieldChange[] = [];
  news.forEach((item, index) => {
    const name = nameOf(item);
    if (!oldByName.has(name)) changes.push({ path: propertyPath(root, index), kind: "add" });
    else if (!deepEqual(oldByName.get(name), item)) changes.push({ path: propertyPath(root, index), kind: "update" });
  });
  const named = new Set(changes.map((change) => change.path));
  const deletes = olds.flatMap((item, index) =>
    newNames.has(nameOf(item)) ? [] : [{ path: propertyPath(root, index), kind: "delete" as const }],
  );
  // The engine keys its detailed diff by path: an index both deleted and added or changed is named as the whole list.
  if (deletes.some((change) => named.has(change.path))) return [{ path: root, kind: "update" }];
  return [...changes, ...deletes];
}

/** The diff's fields; a diff that names none (or only top-level keys) has each changed key as a whole-property update. */
export function fieldsOf(diff: { changedKeys: string[]; fields?: FieldChange[] }): FieldChange[] {
  return diff.fields?.length ? diff.fields : diff.changedKeys.map((path) => ({ path, kind: "update" }));
}
