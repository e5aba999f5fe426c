/**
 * The Durable Object classes a Worker exports (SQLite-backed): their check, and the `migrations` an upload carries,
 * computed from the classes and migration tag the previous deploy left. Pure.
 *
 * A new class is `new_sqlite_classes`; a rename is `renamed_classes` only when the program says so; a class gone
 * from the list is `deleted_classes` (its objects and their data are deleted) only when the program lists it in
 * `deletedClasses`, and refused otherwise. No change: no migrations, so the upload is the same as without objects.
 */
import { containsUnknown, isPlainObject, isUnknown, type CheckFailure } from "../../validation";

/** The program's description of its Durable Objects. */
export interface DurableObjectsArgs {
  /** The SQLite-backed Durable Object classes the main module exports. */
  classes: string[];
  /** Classes renamed, keeping their objects: `to` is in `classes`, `from` no longer. Applied once; harmless after. */
  renamedClasses?: Array<{ from: string; to: string }>;
  /** Classes removed from `classes` whose objects and data are to be deleted: the only way to drop a class. */
  deletedClasses?: string[];
}

/** What a deploy left: the classes (sorted) and the script's migration tag. */
export interface DeployedDurableObjects {
  classes: readonly string[];
  tag?: string | undefined;
}

/** A class is exported by name from an ES module: a JavaScript identifier. */
const CLASS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const classNameProblem = (v: unknown): string | undefined =>
  typeof v === "string" && CLASS_NAME.test(v) ? undefined : "must be a class name the main module exports (a JavaScript identifier)";

const SHAPE = "{ classes: [names], renamedClasses?: [{ from, to }], deletedClasses?: [names] }";

/** Validates `durableObjects` and how the bindings use it. Returns the normalized value (undefined when absent). */
export function checkDurableObjects(value: unknown, bindings: unknown, failures: CheckFailure[]): DurableObjectsArgs | undefined {
  const own = checkShape(value, failures);
  if (!Array.isArray(bindings) || isUnknown(value) || containsUnknown(own?.classes)) return own;
  const declared = new Set(own?.classes ?? []);
  bindings.forEach((b, i) => {
    if (!isPlainObject(b) || b.type !== "durable_object_namespace" || b.scriptName !== undefined) return;
    const cls = b.className;
    if (typeof cls === "string" && !isUnknown(cls) && !declared.has(cls))
      failures.push({
        property: `bindings[${i}].className`,
        reason: `names no class of durableObjects.classes (${[...declared].join(", ") || "none"}): declare ${cls} there, or set scriptName for another Worker's class`,
      });
  });
  return own;
}

function checkShape(value: unknown, failures: CheckFailure[]): DurableObjectsArgs | undefined {
  if (value === undefined || value === null) return undefined;
  if (isUnknown(value)) return value as DurableObjectsArgs;
  if (!isPlainObject(value)) {
    failures.push({ property: "durableObjects", reason: `must be ${SHAPE}` });
    return undefined;
  }
  for (const key of Object.keys(value))
    if (!["classes", "renamedClasses", "deletedClasses"].includes(key))
      failures.push({ property: `durableObjects.${key}`, reason: "is not known; use classes, renamedClasses or deletedClasses" });
  const names = (key: "classes" | "deletedClasses"): string[] => {
    const list = value[key];
    if (list === undefined || isUnknown(list)) return [];
    if (!Array.isArray(list)) {
      failures.push({ property: `durableObjects.${key}`, reason: "must be a list of class names" });
      return [];
    }
    const seen = new Set<string>();
    list.forEach((name, i) => {
      if (isUnknown(name)) return;
      const problem = classNameProblem(name) ?? (seen.has(name) ? `duplicates the class ${name}` : undefined);
      if (problem) failures.push({ property: `durableObjects.${key}[${i}]`, reason: problem });
      seen.add(name);
    });
    return list.filter((n): n is string => typeof n === "string");
  };
  if (value.classes === undefined)
    failures.push({ property: "durableObjects.classes", reason: "is required: the classes the Worker exports" });
  const classes = new Set(names("classes"));
  for (const [i, name] of names("deletedClasses").entries())
    if (classes.has(name))
      failures.push({
        property: `durableObjects.deletedClasses[${i}]`,
        reason: `is also in classes: a class is kept or deleted, not both`,
      });
  const renamed = value.renamedClasses;
  if (renamed !== undefined && !isUnknown(renamed)) {
    if (!Array.isArray(renamed)) failures.push({ property: "durableObjects.renamedClasses", reason: "must be a list of { from, to }" });
    else
      renamed.forEach((r, i) => {
        const p = `durableObjects.renamedClasses[${i}]`;
        if (isUnknown(r) || (isPlainObject(r) && containsUnknown(r))) return;
        if (!isPlainObject(r) || Object.keys(r).some((k) => k !== "from" && k !== "to")) {
          failures.push({ property: p, reason: "must be { from, to }" });
          return;
        }
        for (const k of ["from", "to"] as const) {
          const problem = classNameProblem(r[k]);
          if (problem) failures.push({ property: `${p}.${k}`, reason: problem });
        }
        if (typeof r.to === "string" && !classes.has(r.to))
          failures.push({ property: `${p}.to`, reason: "must be in classes: the class that keeps the renamed class's objects" });
        if (typeof r.from === "string" && classes.has(r.from))
          failures.push({ property: `${p}.from`, reason: "is still in classes: a renamed class leaves the list" });
      });
  }
  return value as unknown as DurableObjectsArgs;
}

/**
 * Check of a change from the program's previous inputs: a class dropped without `deletedClasses` fails the preview
 * (the migrations would delete its data). Renamed classes are not dropped.
 */
export function droppedClassFailures(previous: unknown, next: DurableObjectsArgs | undefined): CheckFailure[] {
  if (!isPlainObject(previous) || !Array.isArray(previous.classes) || containsUnknown(previous) || containsUnknown(next)) return [];
  try {
    planMigrations({ classes: previous.classes as string[] }, next);
    return [];
  } catch (error) {
    if (!(error instanceof MigrationRefusedError)) throw error;
    return [{ property: "durableObjects.classes", reason: error.reason }];
  }
}

/** Migrations the provider will not send: a class gone without its explicit deletion, a rename onto a class. */
export class MigrationRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`durableObjects.classes ${reason}`);
  }
}

/**
 * Deleting a script deletes its Durable Objects and their data (Cloudflare stops such a delete unless forced, and the
 * provider never forces it): refused, saying how to delete the classes on purpose first. A script already gone is
 * not refused (deleteOwnedScript asks first).
 */
export function refuseDeletingObjects(classes: readonly string[] | undefined, resource: string): void {
  if (!classes || classes.length === 0) return;
  const listed = classes.map((c) => JSON.stringify(c)).join(", ");
  throw new Error(
    `${resource}: delete refused: its Durable Objects (${classes.join(", ")}) hold their data, which deleting the script ` +
      `would delete too. To delete them on purpose, deploy it once with durableObjects: { classes: [], deletedClasses: [${listed}] } ` +
      "(and without bindings to them), then remove it.",
  );
}

/** The tag after `tag`: `v<N+1>`, N the number `tag` ends with (0 without one), so never `tag` itself. */
export function nextMigrationTag(tag: string | undefined): string {
  return `v${Number(/(\d+)$/.exec(tag ?? "")?.[1] ?? 0) + 1}`;
}

/**
 * The upload's `migrations` from what the last deploy left to what the program says, and the classes after it.
 * Steps in order: renames, deletions, new classes (so a name freed by one step can be used by a later one).
 */
export function planMigrations(
  before: DeployedDurableObjects,
  args: DurableObjectsArgs | undefined,
): { migrations?: Record<string, unknown>; classes: string[] } {
  const wanted = new Set(args?.classes ?? []);
  const current = new Set(before.classes);
  const renamed: Array<{ from: string; to: string }> = [];
  for (const r of args?.renamedClasses ?? []) {
    if (!current.has(r.from)) continue; // applied already, or nothing to rename: `to` is new
    if (current.has(r.to)) throw new MigrationRefusedError(`cannot rename ${r.from} to ${r.to}: ${r.to} exists already`);
    current.delete(r.from);
    current.add(r.to);
    renamed.push({ from: r.from, to: r.to });
  }
  const deleting = new Set(args?.deletedClasses ?? []);
  const deleted = [...current].filter((c) => !wanted.has(c)).sort();
  const refused = deleted.filter((c) => !deleting.has(c));
  if (refused.length > 0)
    throw new MigrationRefusedError(
      `drops ${refused.join(", ")}: that would delete every object of ${refused.length > 1 ? "those classes" : "that class"} and its data. ` +
        "Keep it in durableObjects.classes, rename it with renamedClasses, or list it in durableObjects.deletedClasses to delete its data on purpose",
    );
  const added = [...wanted].filter((c) => !current.has(c)).sort();
  const classes = [...wanted].sort();
  const steps = [
    ...(renamed.length > 0 ? [{ renamed_classes: renamed }] : []),
    ...(deleted.length > 0 ? [{ deleted_classes: deleted }] : []),
    ...(added.length > 0 ? [{ new_sqlite_classes: added }] : []),
  ];
  if (steps.length === 0) return { classes };
  const migrations: Record<string, unknown> = { new_tag: nextMigrationTag(before.tag), steps };
  if (before.tag !== undefined) migrations.old_tag = before.tag;
  return { migrations, classes };
}
