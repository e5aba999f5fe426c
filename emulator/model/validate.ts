/**
 * @module
 * Validation of what a script upload and the settings and tags routes share: JSON objects, multipart bodies, tags
 * and bindings (with `inherit` resolved against the previous version). Each refuses with Cloudflare's code.
 */
import { ApiError, Codes, invalidRequest, invalidScript } from "./errors";
import { MAX_TAG_LENGTH_CHARS } from "../../cloudflare/limits";
import { tagFault } from "../../cloudflare/names";
import { parseMultipart, type Part } from "./multipart";
import type { Binding } from "./state";

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses a multipart body; a malformed one is a 400 with `errorCode`. */
export function parseParts(body: Buffer, boundary: string, errorCode: number): Part[] {
  try {
    return parseMultipart(body, boundary);
  } catch (err) {
    throw new ApiError(400, errorCode, `could not parse multipart body: ${(err as Error).message}`);
  }
}

/** Validates a tag set against the documented limits (100103 / 100102 / 100134). */
export function validateTags(tags: unknown, max: number): string[] {
  if (tags === null) return [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) throw invalidRequest("tags must be an array of strings");
  const unique = [...new Set(tags as string[])];
  for (const t of unique) validateTag(t);
  if (unique.length > max)
    throw new ApiError(400, Codes.TOO_MANY_TAGS, `Too many tags: a script can have at most ${max} tags (got ${unique.length}).`);
  return unique;
}

export function validateTag(t: string): void {
  const fault = tagFault(t);
  if (fault === "too long")
    throw new ApiError(400, Codes.TAG_TOO_LONG, `Tag is too long: at most ${MAX_TAG_LENGTH_CHARS} characters (got ${t.length}).`);
  if (fault) throw new ApiError(400, Codes.TAG_INVALID, `Tag '${t}' is invalid: tags must be non-empty and cannot contain ',' or '&'.`);
}

/** Validates a binding list: objects with string name/type, unique names, text for secret_text/plain_text. */
export function validateBindings(raw: unknown): Binding[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidScript("bindings must be an array");
  const seen = new Set<string>();
  const out: Binding[] = [];
  for (const b of raw) {
    if (!isObject(b) || typeof b.name !== "string" || b.name === "" || typeof b.type !== "string") {
      throw invalidScript("each binding needs a string name and type");
    }
    if (seen.has(b.name)) throw invalidScript(`Binding name '${b.name}' is used more than once`);
    seen.add(b.name);
    if ((b.type === "secret_text" || b.type === "plain_text") && typeof b.text !== "string") {
      throw invalidScript(`invalid or missing text property for binding ${b.name}`);
    }
    out.push({ ...(b as Binding) });
  }
  return out;
}

/**
 * Resolves `inherit` bindings against the previous bindings: copies the binding named `old_name ?? name` under
 * `name`. Unresolvable ones are dropped, or, when `strict`, refused with 10057, one error per binding.
 */
export function resolveInherit(bindings: Binding[], previous: Binding[], strict: boolean): Binding[] {
  const out: Binding[] = [];
  const missing: Array<{ code: number; message: string }> = [];
  for (const b of bindings) {
    if (b.type !== "inherit") {
      out.push(b);
      continue;
    }
    const from = typeof b.old_name === "string" ? b.old_name : b.name;
    const prev = previous.find((p) => p.name === from);
    if (prev) out.push({ ...prev, name: b.name });
    else
      missing.push({
        code: Codes.INHERIT_BINDING_INVALID,
        message: `inherit binding '${b.name}' is invalid: previous version does not have binding named '${from}'`,
      });
  }
  const [first, ...more] = missing;
  if (strict && first) throw new ApiError(400, first.code, first.message, { more });
  return out;
}
