/**
 * @module
 * Helpers shared by the route modules: lookups that throw the right Cloudflare error, body parsing, validation,
 * and the response shapes of scripts and settings.
 */
import type { Context } from "hono";
import { ApiError, Codes, invalidRequest, invalidScript } from "../errors";
import { JsonDepthError, parseBoundedJson } from "../json";
import { writeOnlyFields } from "../../cloudflare/bindings";
import { MAX_TAG_LENGTH_CHARS } from "../../cloudflare/limits";
import { tagFault } from "../../cloudflare/names";
import { multipartBoundary, parseMultipart, type Part } from "../multipart";
import type { AppEnv, EmulatorContext } from "../context";
import { type Binding, dict, type Namespace, type Script } from "../store";

export type C = Context<AppEnv>;

export function accountId(c: C): string {
  return c.req.param("account_id")!.toLowerCase();
}

export function requireNamespace(ctx: EmulatorContext, c: C, name?: string): Namespace {
  const nsName = name ?? c.req.param("namespace")!;
  const ns = ctx.store.findNamespace(accountId(c), nsName);
  if (!ns) throw new ApiError(404, Codes.NAMESPACE_NOT_FOUND, `Dispatch namespace '${nsName}' not found.`);
  return ns;
}

/** Reads a JSON body; malformed JSON → 400 6007. An empty body reads as `fallback` when given. */
export async function readJson(c: C, fallback?: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "" && fallback !== undefined) return fallback;
  try {
    return parseBoundedJson(text);
  } catch (err) {
    const why = err instanceof JsonDepthError ? `: ${err.message}` : "";
    throw new ApiError(400, Codes.MALFORMED_JSON, `Malformed JSON in request body${why}`);
  }
}

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

/** Reads a multipart body, or undefined when the request is not multipart. */
export async function readMultipart(c: C, errorCode: number = Codes.SCRIPT_INVALID): Promise<Part[] | undefined> {
  const boundary = multipartBoundary(c.req.header("content-type"));
  if (!boundary) return undefined;
  return parseParts(Buffer.from(await c.req.arrayBuffer()), boundary, errorCode);
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

/** Parses `tags=a:yes,b:no` into required and forbidden sets. */
export function parseTagFilter(raw: string | undefined): { yes: string[]; no: string[] } {
  const yes: string[] = [];
  const no: string[] = [];
  if (raw === undefined || raw === "") return { yes, no };
  for (const item of raw.split(",")) {
    const colon = item.lastIndexOf(":");
    const tag = colon > 0 ? item.slice(0, colon) : "";
    const allowed = item.slice(colon + 1);
    if (!tag || (allowed !== "yes" && allowed !== "no")) {
      throw invalidRequest(`Invalid tags filter '${item}': expected a comma-separated list of tag:yes or tag:no`);
    }
    (allowed === "yes" ? yes : no).push(tag);
  }
  return { yes, no };
}

export function matchesTagFilter(s: Script, f: { yes: string[]; no: string[] }): boolean {
  return f.yes.every((t) => s.tags.includes(t)) && f.no.every((t) => !s.tags.includes(t));
}

/** A binding as the API returns it: secret values removed. */
export function redactBinding(b: Binding): Binding {
  const hidden = writeOnlyFields(b.type);
  if (hidden.length === 0) return { ...b };
  const out: Binding = Object.assign(dict<unknown>(), { name: b.name, type: b.type });
  for (const [k, v] of Object.entries(b)) if (!hidden.includes(k) && k !== "name" && k !== "type") out[k] = v;
  return out;
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

export function settingsObject(s: Script): Record<string, unknown> {
  const out: Record<string, unknown> = {
    bindings: s.bindings.map(redactBinding),
    compatibility_date: s.compatibility_date,
    compatibility_flags: s.compatibility_flags,
    limits: s.limits ?? {},
    logpush: s.logpush,
    observability: s.observability,
    placement: s.placement,
    tags: s.tags,
    tail_consumers: s.tail_consumers,
    usage_model: s.usage_model,
  };
  if (s.extra.cache_options !== undefined) out.cache_options = s.extra.cache_options;
  if (s.migration_tag !== undefined) out.migration_tag = s.migration_tag;
  return out;
}

/** The ScriptObject (`workers_script-response`). */
export function scriptObject(s: Script): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: s.name,
    tag: s.tag,
    etag: s.etag,
    handlers: s.handlers,
    named_handlers: [],
    compatibility_date: s.compatibility_date,
    compatibility_flags: s.compatibility_flags,
    has_assets: s.assets !== null,
    has_modules: s.main_module !== undefined,
    created_on: s.created_on,
    modified_on: s.modified_on,
    last_deployed_from: "api",
    logpush: s.logpush,
    usage_model: s.usage_model,
    placement: s.placement,
    tail_consumers: s.tail_consumers,
    tags: s.tags,
    observability: s.observability,
  };
  if (s.migration_tag !== undefined) out.migration_tag = s.migration_tag;
  if (s.limits !== undefined) out.limits = s.limits;
  return out;
}

/** The item shape of namespace script lists and GET script details. */
export function scriptEnvelopeItem(namespace: string, s: Script): Record<string, unknown> {
  return { created_on: s.created_on, modified_on: s.modified_on, dispatch_namespace: namespace, script: scriptObject(s) };
}
