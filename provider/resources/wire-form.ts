/**
 * How a resource's structured fields are stored: each as one JSON text instead of a tree of properties.
 *
 * The engine's work per resource follows the number of property values it carries, not their bytes: it marshals,
 * logs (Pulumi's automatic log records every value of every RPC) and compares each one at every step, in the CLI, the
 * program and the provider host alike (docs/benchmarks.md). A Tenant's modules, bindings and assets are dozens of
 * values; as text they are one each. The resource's class sends a field as text where the program has it whole
 * (no output inside), check stores them as text, and the provider's methods never see it: resource-kit.ts turns
 * it back at the boundary. A state written before (the fields as trees) reads as it is. Pulumi's display shows a
 * change of such a field as a JSON diff, field by field. Pure.
 */
import { stableStringify } from "../deep-equal";
import { containsUnknown } from "../validation";

/** The fields of a kind's stored inputs and outputs kept as JSON text. */
export interface WireForm {
  inputs: readonly string[];
  outputs: readonly string[];
}

const isStructured = (value: unknown): value is object => typeof value === "object" && value !== null;

/**
 * `value` with each of `fields` that holds an object or a list as its JSON text (keys sorted, so the same value is
 * the same text). A value with an unknown in it (a preview) stays a tree, so the engine still sees what is unknown.
 */
export function toWire<T>(value: T, fields: readonly string[]): T {
  if (!isStructured(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const field of fields) {
    const v = out[field];
    if (isStructured(v) && !containsUnknown(v)) out[field] = stableStringify(v);
  }
  return out as T;
}

/**
 * `value` with each of `fields` held as JSON text parsed back; trees (a state written before, or unknowns) as they
 * are, and so is text that is not JSON of an object or a list (a program's mistake, which check then names).
 */
export function fromWire<T>(value: T, fields: readonly string[]): T {
  if (!isStructured(value)) return value;
  const source = value as Record<string, unknown>;
  const held = fields.filter((field) => typeof source[field] === "string");
  if (held.length === 0) return value;
  const out: Record<string, unknown> = { ...source };
  for (const field of held) out[field] = asTree(source[field]);
  return out as T;
}

/** JSON text of an object or a list as its tree; anything else as it is. */
export function asTree(value: unknown): unknown {
  if (typeof value !== "string" || !/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
