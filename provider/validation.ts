/**
 * Shared check-time validation: pure functions, no API calls. Each returns a problem (a sentence saying
 * what is allowed) or undefined; resources collect them as `{property, reason}` check failures.
 */
import { MAX_TAG_LENGTH_CHARS, MAX_TAGS_PER_SCRIPT } from "../cloudflare/limits";
import { NAMESPACE_NAME_RE, SCRIPT_NAME_RE, type TagFault, tagFault } from "../cloudflare/names";
import { deepEqual } from "./deep-equal";

/** A check() failure, as Pulumi reports it. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** What Pulumi passes for a value not known yet during preview (`pulumi.runtime.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when the value, or anything inside it, is not known yet (preview). */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Binding and secret names: an identifier usable as `env.NAME` (letters, digits, `_`; not starting with a digit). */
export const BINDING_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_BINDING_NAME_LENGTH = 255;
/** The tags a program may give a script: one of Cloudflare's eight names the owning stack. */
export const MAX_USER_TAGS = MAX_TAGS_PER_SCRIPT - 1;
/** Tags with this prefix are the provider's owner tags (resources/owner.ts). */
export const RESERVED_TAG_PREFIX = "wfp-owner=";

const NAMESPACE_NAME_RULE = "1–63 lowercase letters, digits and dashes, starting with a letter or digit";
const SCRIPT_NAME_RULE = "1–63 lowercase letters, digits, '-' and '_', not starting with '-'";
const BINDING_NAME_RULE = "an identifier of letters, digits and '_', not starting with a digit (e.g. API_KEY)";

// Every message states the whole rule, so a user never has to guess what is allowed.
export function namespaceNameProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a string of ${NAMESPACE_NAME_RULE}`;
  if (value === "") return `must not be empty: use ${NAMESPACE_NAME_RULE}`;
  if (value.length > 63) return `must be at most 63 characters (got ${value.length})`;
  if (!NAMESPACE_NAME_RE.test(value)) {
    return "must use only lowercase letters, digits and dashes, and start with a letter or digit";
  }
  return undefined;
}

export function scriptNameProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a string of ${SCRIPT_NAME_RULE}`;
  if (value === "") return `must not be empty: use ${SCRIPT_NAME_RULE}`;
  if (value.length > 63) return `must be at most 63 characters (got ${value.length})`;
  if (!SCRIPT_NAME_RE.test(value)) {
    return "must use only lowercase letters, digits, '-' and '_', and not start with '-'";
  }
  return undefined;
}

/** Binding names and secret names (both become `env.NAME` in the Worker). */
export function bindingNameProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a string: ${BINDING_NAME_RULE}`;
  if (value === "") return `must not be empty: use ${BINDING_NAME_RULE}`;
  if (value.length > MAX_BINDING_NAME_LENGTH) return `must be at most ${MAX_BINDING_NAME_LENGTH} characters (got ${value.length})`;
  if (!BINDING_NAME_RE.test(value)) {
    return "must be an identifier: letters, digits and '_', not starting with a digit (e.g. API_KEY)";
  }
  return undefined;
}

const TAG_FAULT_REASONS: Record<TagFault, (tag: string) => string> = {
  empty: () => "must not be empty",
  "too long": (tag) => `must be at most ${MAX_TAG_LENGTH_CHARS} characters (got ${tag.length})`,
  "forbidden character": () => "must not contain ',' or '&'",
};

/** Tags: at most 7 (the 8th is the owner tag), each 1–1024 characters without ',' or '&', no duplicates. Failures name the index. */
export function tagsFailures(property: string, value: unknown): CheckFailure[] {
  if (value === undefined || isUnknown(value)) return [];
  if (!Array.isArray(value)) return [{ property, reason: "must be a list of strings" }];
  const failures: CheckFailure[] = [];
  if (value.length > MAX_USER_TAGS) {
    failures.push({
      property,
      reason: `must hold at most ${MAX_USER_TAGS} tags (got ${value.length}): Cloudflare allows ${MAX_TAGS_PER_SCRIPT} per script, and one names the stack that owns it`,
    });
  }
  const seen = new Set<string>();
  value.forEach((tag, i) => {
    const p = `${property}[${i}]`;
    if (isUnknown(tag)) return;
    const fault = typeof tag === "string" ? tagFault(tag) : undefined;
    if (typeof tag !== "string") failures.push({ property: p, reason: "must be a string" });
    else if (fault) failures.push({ property: p, reason: TAG_FAULT_REASONS[fault](tag) });
    else if (tag.startsWith(RESERVED_TAG_PREFIX))
      failures.push({ property: p, reason: `must not start with ${RESERVED_TAG_PREFIX}: the provider's owner tag uses that prefix` });
    else if (seen.has(tag)) failures.push({ property: p, reason: `duplicates the tag ${JSON.stringify(tag)}` });
    if (typeof tag === "string") seen.add(tag);
  });
  return failures;
}

/** Today's date (UTC) as YYYY-MM-DD. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** A compatibility date: YYYY-MM-DD, a real calendar date, not before 2009 and not in the future. */
export function compatibilityDateProblem(value: unknown, now: Date = new Date()): string | undefined {
  if (typeof value !== "string") return "must be a date string in the form YYYY-MM-DD";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return `must be a date in the form YYYY-MM-DD (got ${JSON.stringify(value)})`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return `must be a real calendar date (got ${value})`;
  }
  if (y < 2009) return `must not be before 2009 (got ${value})`;
  // Allow a day of slack for time zones: the Workers runtime accepts "today" in any zone.
  const tomorrow = todayUtc(new Date(now.getTime() + 24 * 3600 * 1000));
  if (value > tomorrow) return `must not be in the future (got ${value}; today is ${todayUtc(now)})`;
  return undefined;
}

/** Compatibility flags: unique non-empty strings of letters, digits and '_'. */
export function compatibilityFlagsFailures(property: string, value: unknown): CheckFailure[] {
  if (value === undefined || isUnknown(value)) return [];
  if (!Array.isArray(value)) return [{ property, reason: "must be a list of strings such as nodejs_compat" }];
  const failures: CheckFailure[] = [];
  const seen = new Set<string>();
  value.forEach((flag, i) => {
    if (isUnknown(flag)) return;
    const p = `${property}[${i}]`;
    if (typeof flag !== "string" || !/^[a-z0-9_]+$/.test(flag)) {
      failures.push({ property: p, reason: "must be a flag name of lowercase letters, digits and '_' (e.g. nodejs_compat)" });
    } else if (seen.has(flag)) failures.push({ property: p, reason: `duplicates the flag ${flag}` });
    if (typeof flag === "string") seen.add(flag);
  });
  return failures;
}

/** A boolean input, when present. */
export function booleanProblem(value: unknown): string | undefined {
  if (value === undefined || isUnknown(value) || typeof value === "boolean") return undefined;
  return "must be true or false";
}

/** Removes Pulumi's `__provider` (and any other `__` key) from an object the host handed us. */
export function withoutInternalKeys<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value ?? {})) if (!k.startsWith("__")) out[k] = v;
  return out as T;
}

/**
 * True for the check `pulumi import` makes of the inputs read() returned against themselves. Some inputs
 * cannot be read back from the API (a secret's value, an assets directory): they are then absent, and the
 * old and new inputs are identical.
 */
export function isImportCheck(
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown> | undefined,
  field: string,
): boolean {
  const previous = withoutInternalKeys(olds ?? {});
  return news?.[field] === undefined && Object.keys(previous).length > 0 && deepEqual(previous, withoutInternalKeys(news ?? {}));
}

/**
 * A field checked the common way: a failure naming what it is when it is missing (and required), the problem
 * `problemOf` finds when it is known; unknown values (preview) pass.
 */
export function fieldFailures(
  n: Record<string, unknown>,
  key: string,
  problemOf: (value: unknown) => string | undefined,
  required?: string,
): CheckFailure[] {
  const value = n[key];
  if (value === undefined) return required ? [{ property: key, reason: `is required: ${required}` }] : [];
  if (isUnknown(value)) return [];
  const problem = problemOf(value);
  return problem ? [{ property: key, reason: problem }] : [];
}
