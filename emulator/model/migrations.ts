/**
 * @module
 * Durable Object `migrations` in a script upload (single-step form or `steps`): the tag precondition, and the
 * script's classes after each step (new, new SQLite-backed, renamed, deleted). A class the result keeps must be
 * exported by the main module. Transfers between scripts are refused: the emulator does not move objects.
 *
 * [I] With a current tag, an upload's migrations must name it as `old_tag` (wrangler always does); a class is
 * exported when the main module declares it (`export class X`, `export { X }`), and a main module with
 * `export * from` is not checked (what it re-exports is unknown without loading it).
 */
import { ApiError, Codes, invalidScript } from "./errors";
import type { DurableObjectClass } from "./state";
import { isObject } from "./validate";

export interface MigrationResult {
  tag?: string;
  classes: Record<string, DurableObjectClass>;
}

const names = (v: unknown, field: string): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw invalidScript(`migrations ${field} must be an array of class names`);
  return v as string[];
};

/** The names a main module exports, or undefined when it re-exports another module's (`export *`). */
export function exportedNames(source: string): Set<string> | undefined {
  if (/\bexport\s*\*/.test(source)) return undefined;
  const out = new Set<string>();
  for (const m of source.matchAll(/\bexport\s+(?:default\s+)?(?:abstract\s+)?(?:class|function\*?|const|let|var)\s+([A-Za-z_$][\w$]*)/g))
    out.add(m[1]!);
  for (const m of source.matchAll(/\bexport\s*\{([^}]*)\}/g))
    for (const part of m[1]!.split(",")) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.trim();
      if (name) out.add(name);
    }
  return out;
}

/** Applies an upload's `migrations` to the script's current tag and classes. */
export function applyMigrations(
  current: MigrationResult,
  migrations: unknown,
  exported: Set<string> | undefined,
  newId: () => string,
): MigrationResult {
  if (migrations === undefined || migrations === null) return current;
  if (!isObject(migrations)) throw invalidScript("migrations must be an object");
  const { old_tag, new_tag } = migrations;
  if (old_tag !== current.tag && (old_tag !== undefined || current.tag !== undefined))
    throw new ApiError(
      400,
      Codes.DO_MIGRATION_TAG_MISMATCH,
      `Migration tag precondition failed; current tag is ${current.tag ?? "(none)"}`,
    );
  if (new_tag !== undefined && typeof new_tag !== "string") throw invalidScript("migrations new_tag must be a string");
  const steps = migrations.steps === undefined ? [migrations] : migrations.steps;
  if (!Array.isArray(steps) || steps.some((s) => !isObject(s))) throw invalidScript("migrations steps must be an array of objects");
  const classes = { ...current.classes };
  const created = new Set<string>();
  for (const step of steps as Array<Record<string, unknown>>) {
    const add = (name: string, sqlite: boolean) => {
      if (Object.hasOwn(classes, name)) {
        const why = sqlite && !classes[name]!.sqlite ? "; an existing class cannot become SQLite-backed" : "";
        throw invalidScript(`Cannot apply new-class migration to class '${name}' that already exists${why}`);
      }
      classes[name] = { id: newId(), sqlite };
      created.add(name);
    };
    for (const name of names(step.new_classes, "new_classes")) add(name, false);
    for (const name of names(step.new_sqlite_classes, "new_sqlite_classes")) add(name, true);
    const renamed = step.renamed_classes ?? [];
    if (!Array.isArray(renamed)) throw invalidScript("migrations renamed_classes must be an array of {from, to}");
    for (const r of renamed) {
      if (!isObject(r) || typeof r.from !== "string" || typeof r.to !== "string")
        throw invalidScript("each renamed class needs from and to");
      if (!Object.hasOwn(classes, r.from)) throw invalidScript(`Cannot apply rename migration to class '${r.from}' that does not exist`);
      if (Object.hasOwn(classes, r.to)) throw invalidScript(`Cannot apply rename migration to class '${r.to}' that already exists`);
      classes[r.to] = classes[r.from]!;
      delete classes[r.from];
      created.add(r.to);
    }
    for (const name of names(step.deleted_classes, "deleted_classes")) {
      if (!Object.hasOwn(classes, name)) throw invalidScript(`Cannot apply delete migration to class '${name}' that does not exist`);
      delete classes[name];
    }
    if (step.transferred_classes !== undefined && (!Array.isArray(step.transferred_classes) || step.transferred_classes.length > 0))
      throw invalidScript("transferred_classes is not supported by the local emulator");
  }
  if (exported)
    for (const name of created)
      if (Object.hasOwn(classes, name) && !exported.has(name))
        throw new ApiError(
          400,
          Codes.DO_CLASS_NOT_EXPORTED,
          `Cannot apply new-class migration to class '${name}' that is not exported by script`,
        );
  const out: MigrationResult = { classes };
  const tag = typeof new_tag === "string" ? new_tag : current.tag;
  if (tag !== undefined) out.tag = tag;
  return out;
}
