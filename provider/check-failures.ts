/**
 * How check failures reach the engine. The engine prints a failure as
 * `property <p> value <inputs[p]> has a problem: <reason>`, looking `p` up among the top-level inputs only: a
 * nested path (`bindings[0].type`) or a missing input prints as `value {<nil>}`. Those failures go to the engine
 * without a property, their reason naming the path and the value given (`bindings[0].type = "kv": ...`); a
 * top-level value stays the engine's to print (it masks secrets).
 */
import { type CheckFailure, isPlainObject } from "./validation";
import { asTree } from "./resources/wire-form";

/** Fields whose values may be secret or code: shown as their kind, never their content. */
const HIDDEN_FIELDS = new Set(["text", "json", "content", "value", "jwt", "attachment", "secrets"]);
const MAX_SHOWN = 80;

/** `bindings[0].outbound.params[1]` → ["bindings", 0, "outbound", "params", 1]; undefined for anything else. */
export function parsePropertyPath(property: string): Array<string | number> | undefined {
  const parts: Array<string | number> = [];
  const re = /([^.[\]]+)|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  let expectDot = false;
  while (re.lastIndex < property.length) {
    if (expectDot && property[re.lastIndex] === ".") re.lastIndex++;
    m = re.exec(property);
    if (!m) return undefined;
    parts.push(m[2] !== undefined ? Number(m[2]) : m[1]);
    expectDot = true;
  }
  return parts.length > 0 ? parts : undefined;
}

/** The value at a path, with whether it sits under a hidden field. */
function lookup(inputs: Record<string, unknown>, path: Array<string | number>): { found: boolean; value?: unknown; hidden: boolean } {
  let value: unknown = inputs;
  let hidden = false;
  for (const key of path) {
    if (typeof key === "string" && HIDDEN_FIELDS.has(key)) hidden = true;
    value = asTree(value);
    if (typeof key === "number" ? !Array.isArray(value) || key >= value.length : !isPlainObject(value) || !(key in value)) {
      return { found: false, hidden };
    }
    value = (value as Record<string | number, unknown>)[key];
  }
  return { found: value !== undefined, value, hidden };
}

/** Inside an object, fields shown by name only: hidden ones, file paths, and anything not a short scalar. */
function fieldOf(key: string, v: unknown): string {
  const short = typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= 40);
  return HIDDEN_FIELDS.has(key) || key === "path" || key === "directory" || !short ? key : `${key}: ${JSON.stringify(v)}`;
}

/**
 * A value as a user wrote it, shortened: an object by its fields (short scalars with their values), a list of
 * objects by its length, a hidden value only by its kind.
 */
export function describeGiven(value: unknown, hidden: boolean, whole = false): string {
  if (hidden) return typeof value === "string" ? `(${value.length} character${value.length === 1 ? "" : "s"}, not shown)` : "(not shown)";
  if (isPlainObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => fieldOf(k, v))
      .join(", ")}}`;
  if (Array.isArray(value) && value.some((v) => typeof v === "object" && v !== null)) return `(a list of ${value.length})`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN && !whole ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** The failures as the engine should get them (see the module comment). */
export function failuresForEngine(failures: readonly CheckFailure[], inputs: Record<string, unknown>): CheckFailure[] {
  return failures.map((f) => {
    if (f.property === "") return f;
    const path = parsePropertyPath(f.property);
    const topLevel = path?.length === 1 && typeof path[0] === "string";
    const at = path ? lookup(inputs, path) : { found: false, hidden: false };
    if (topLevel && at.found) return f;
    // A file path is shown whole: the reason often names it too.
    const isPath = path !== undefined && ["path", "directory"].includes(String(path[path.length - 1]));
    const given = at.found ? ` = ${describeGiven(at.value, at.hidden, isPath)}` : "";
    return { property: "", reason: `${f.property}${given}: ${f.reason}` };
  });
}
