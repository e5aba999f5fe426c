/**
 * @module
 * Helpers shared by the route modules: lookups that throw the right Cloudflare error, body parsing, tag filters,
 * and the response shapes of scripts and settings. Validation the upload shares lives in the model (validate.ts).
 */
import type { Context } from "hono";
import { ApiError, Codes, invalidRequest } from "../model/errors";
import { JsonDepthError, parseBoundedJson } from "../model/json";
import { multipartBoundary, type Part } from "../model/multipart";
import { type Binding, dict, type Namespace, type Script } from "../model/store";
import { parseParts } from "../model/validate";
import { writeOnlyFields } from "../../cloudflare/bindings";
import type { AppEnv, EmulatorContext } from "../context";

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

/** Reads a multipart body, or undefined when the request is not multipart. */
export async function readMultipart(c: C, errorCode: number = Codes.SCRIPT_INVALID): Promise<Part[] | undefined> {
  const boundary = multipartBoundary(c.req.header("content-type"));
  if (!boundary) return undefined;
  return parseParts(Buffer.from(await c.req.arrayBuffer()), boundary, errorCode);
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
