/**
 * Words for each field a drifted resource's detailed diff names (`pulumi preview --refresh --json`): what
 * happened to it, found by comparing three versions of the resource: its stored inputs (the program at the last
 * `up`), its refreshed outputs (what is live) and the program now. A field the program has not changed since the
 * last `up` changed out of band; one it has changed is a pending change of the program. Pure.
 */
import { type FieldChangeKind, namedItemChanges } from "./resources/field-changes";
import { bindingItems, bindingItemsOf } from "./resources/script/digests";
import { deepEqual } from "./deep-equal";
import { asTree } from "./resources/wire-form";

export interface DriftField {
  /** The property path the provider's diff names: `etag`, `secrets.STRIPE_KEY`, `bindings[2]`, `entries["k"]`. */
  path: string;
  /** add: the program has it and the live resource not; delete: the reverse; update: both, differing. */
  change: FieldChangeKind;
  /** The update replaces the resource because of it. */
  replaces: boolean;
  message: string;
}

export interface StepStates {
  detailedDiff?: Record<string, { kind?: string }>;
  /** The changed keys, for a provider that gives no detailed diff. */
  diffReasons?: string[];
  replaceReasons?: string[];
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { inputs?: Record<string, unknown> };
}

/** The JSON preview shows a secret value as this placeholder: such values cannot be compared. */
const MASKED = "[secret]";

type Segment = string | number;

/** `a.b["c:d"][2]` → ["a", "b", "c:d", 2]. */
export function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  for (const m of path.matchAll(/^([^.[]+)|\.([^.[]+)|\[(\d+)\]|\["((?:\\"|[^"])*)"\]/g)) {
    if (m[3] !== undefined) segments.push(Number(m[3]));
    else if (m[4] !== undefined) segments.push(m[4].replaceAll('\\"', '"'));
    else segments.push((m[1] ?? m[2])!);
  }
  return segments;
}

const isMasked = (v: unknown): boolean =>
  v === MASKED || (Array.isArray(v) ? v.some(isMasked) : v !== null && typeof v === "object" && Object.values(v).some(isMasked));

const nameOf = (item: unknown): string | undefined => {
  const name = (item as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : undefined;
};

/**
 * The value at a path. An index into a list of named items (bindings) is taken as the item's name, read from
 * `reference` (the side the index was counted in), so lists in different orders compare item by item.
 */
function valueAt(props: unknown, segments: readonly Segment[], reference: unknown): unknown {
  let value = props;
  let ref = reference;
  for (const segment of segments) {
    if (value === MASKED) return MASKED;
    value = asTree(value);
    ref = asTree(ref);
    const refItem = (ref as Record<string | number, unknown> | undefined)?.[segment];
    const name = typeof segment === "number" ? nameOf(refItem) : undefined;
    value =
      name !== undefined && Array.isArray(value)
        ? value.find((item) => nameOf(item) === name)
        : (value as Record<string | number, unknown> | undefined)?.[segment];
    ref = refItem;
    if (value === undefined) return undefined;
  }
  return value;
}

/** Who changed the field: the program since the last `up`, or something else ("outside"); undefined when masked. */
function origin(
  change: FieldChangeKind,
  segments: readonly Segment[],
  step: StepStates,
): { by: "program" | "outside" | undefined; item?: string } {
  const stored = step.oldState?.inputs ?? {};
  const program = step.newState?.inputs ?? {};
  const live = liveView(step.oldState?.outputs ?? {});
  // A secret's value is masked but its name is not: Tenant inputs list the names.
  if (segments[0] === "secrets" && segments.length === 2) {
    const name = String(segments[1]);
    const had = (stored.secretNames as unknown[] | undefined)?.includes(name) ?? false;
    // Values cannot be read back, so only a name gone since the last `up` can have changed out of band.
    return { by: change === "add" && had ? "outside" : "program" };
  }
  const reference = change === "delete" ? live : program;
  const item = typeof segments.at(-1) === "number" ? nameOf(valueAt(reference, segments, reference)) : undefined;
  const before = valueAt(stored, segments, reference);
  const now = valueAt(program, segments, reference);
  if (isMasked(before) || isMasked(now)) return { by: undefined, item };
  // Live but not in the program: ours at the last `up` (the program dropped it), or put there by something else.
  if (change === "delete") return { by: before === undefined ? "outside" : "program", item };
  return { by: deepEqual(before, now) ? "outside" : "program", item };
}

/**
 * The live outputs with the bindings a compact state (a Tenant's) keeps as `digests.bindings`, `NAME=digest`
 * each, as items that have their names: a binding's index is told by name either way.
 */
function liveView(outputs: Record<string, unknown>): Record<string, unknown> {
  const entries = (asTree(outputs.digests) as { bindings?: unknown } | undefined)?.bindings;
  if (outputs.bindings !== undefined || !Array.isArray(entries)) return outputs;
  return { ...outputs, bindings: entries.map((entry) => ({ name: String(entry).slice(0, String(entry).lastIndexOf("=")) })) };
}

/**
 * A Tenant stores its bindings as one text (wire-form.ts), so its diff names them whole: each binding that differs
 * is found again from the live digests (`NAME=digest` each) and the program's bindings, as its diff compares them, so
 * a binding is named by its index and name here too. A masked list (a secret inside) stays whole.
 */
function withEachBinding(detailed: NonNullable<StepStates["detailedDiff"]>, step: StepStates): NonNullable<StepStates["detailedDiff"]> {
  const { bindings: whole, ...rest } = detailed;
  const program = asTree(step.newState?.inputs?.bindings);
  const live = (asTree(step.oldState?.outputs?.digests) as { bindings?: unknown } | undefined)?.bindings;
  if (whole === undefined || !Array.isArray(program) || !Array.isArray(live)) return detailed;
  const each = namedItemChanges("bindings", bindingItems(live as string[]), bindingItemsOf(program));
  return each.length === 0 ? detailed : { ...rest, ...Object.fromEntries(each.map((c) => [c.path, { kind: c.kind }])) };
}

const WORDS: Record<"program" | "outside" | "unknown", Record<FieldChangeKind, string>> = {
  outside: { add: "deleted out of band", delete: "added out of band", update: "changed out of band" },
  program: { add: "added in the program", delete: "removed from the program", update: "changed in the program" },
  unknown: { add: "in the program, not live", delete: "live, not in the program", update: "differs from the program" },
};

/** Each field of a step's detailed diff (else its changed keys), sorted by path, with what happened to it. */
export function driftFields(step: StepStates): DriftField[] {
  const replaced = new Set(step.replaceReasons ?? []);
  const keys = [...new Set([...(step.diffReasons ?? []), ...replaced])];
  const detailed = step.detailedDiff ?? Object.fromEntries(keys.map((k) => [k, { kind: replaced.has(k) ? "update-replace" : "update" }]));
  return Object.entries(withEachBinding(detailed, step))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, diff]) => {
      const kind = diff.kind ?? "update";
      const change = kind.replace(/-replace$/, "") as FieldChangeKind;
      const replaces = kind.endsWith("-replace");
      let message: string;
      if (path === "etag") message = "deployed by something else";
      else if (path === "migrationTag") message = "Durable Objects migrated by something else";
      else {
        const { by, item } = origin(change, parsePath(path), step);
        message = WORDS[by ?? "unknown"][change] + (item !== undefined ? ` (${item})` : "");
      }
      return { path, change, replaces, message: replaces ? `${message}; replaces the resource` : message };
    });
}
