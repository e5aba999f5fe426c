/**
 * @module
 * One script, in either scope (see scope.ts): upload (PUT), DELETE, content PUT and GET, and the routes only one
 * scope has: details and bindings of a user Worker; download, list and search of account-level Workers.
 */
import { Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import { SCRIPT_NAME_RE } from "../../cloudflare/names";
import { buildMultipart } from "../model/multipart";
import { newTag, type Script, timestamp } from "../model/store";
import { assertScriptSize, buildScript, computeEtag, detectHandlers, parseUploadBody, resolveEntry } from "../model/upload";
import { resolveCompletionToken } from "./assets";
import { accountId, type C, matchesTagFilter, redactBinding, parseTagFilter, scriptEnvelopeItem, scriptObject } from "./common";
import { checkBindingTargets, dependents } from "./binding-targets";
import { ACCOUNT_SCOPE, NAMESPACE_SCOPE, requireScript, SCOPES, type Scope, scriptParam } from "./scope";

function validateScriptName(name: string): void {
  if (!SCRIPT_NAME_RE.test(name)) {
    throw new ApiError(
      400,
      Codes.INVALID_SCRIPT_NAME,
      `workers.api.error.invalid_script_name: '${name}' must be 1-63 lowercase letters, digits, '-' and '_'`,
    );
  }
}

/** The modules as one multipart body, part name = filename = module name, the entry point in `cf-entrypoint`. */
function modulesResponse(c: C, s: Script): Response {
  const { body, contentType } = buildMultipart(
    s.modules.map((m) => ({ name: m.name, filename: m.name, contentType: m.type, data: Buffer.from(m.data, "base64") })),
  );
  const headers: Record<string, string> = { "content-type": contentType };
  const entry = s.main_module ?? s.body_part;
  if (entry) headers["cf-entrypoint"] = entry;
  return c.body(new Uint8Array(body), 200, headers);
}

const byName = (a: Script, b: Script): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function sharedRoutes(r: Hono<AppEnv>, ctx: EmulatorContext, scope: Scope): void {
  const { store } = ctx;
  const SCRIPT = scope.script;

  r.put(SCRIPT, async (c) => {
    const name = scriptParam(c);
    validateScriptName(name);
    scope.find(ctx, c);
    const body = Buffer.from(await c.req.arrayBuffer());
    const { metadata, modules } = parseUploadBody(c.req.header("content-type"), body);
    assertScriptSize(modules, ctx.opts.maxScriptSizeBytes);
    const strict = c.req.query("bindings_inherit") === "strict";
    return store.lock(scope.open(ctx, c).id, async () => {
      const container = scope.open(ctx, c);
      const assets = metadata.assets;
      let uploadedAssets: Awaited<ReturnType<typeof resolveCompletionToken>> | undefined;
      if (assets && typeof assets === "object" && typeof (assets as { jwt?: unknown }).jwt === "string") {
        uploadedAssets = await resolveCompletionToken(ctx, accountId(c), container, name, (assets as { jwt: string }).jwt);
      }
      const script = buildScript({
        name,
        metadata,
        modules,
        previous: container.scripts[name],
        strictInherit: strict,
        maxTags: ctx.opts.maxTagsPerScript,
        uploadedAssets,
        newTag: newTag(),
        now: timestamp(),
      });
      checkBindingTargets(ctx, accountId(c), container, script);
      if (ctx.validateScript) await ctx.validateScript(script);
      container.scripts[name] = script;
      store.touch();
      return c.json(okEnvelope({ ...scriptObject(script), entry_point: script.main_module ?? script.body_part ?? "", startup_time_ms: 0 }));
    });
  });

  r.delete(SCRIPT, (c) => {
    const { container, script } = requireScript(scope, ctx, c);
    const force = c.req.query("force") === "true";
    const users = dependents(store.account(accountId(c)), container, script.name);
    if (users.length && !force) {
      throw new ApiError(
        400,
        Codes.SCRIPT_HAS_DEPENDENTS,
        `Script '${script.name}' is referenced by ${users.join(", ")}; delete with force=true to delete it anyway.`,
      );
    }
    // Cloudflare: without force, a delete "will be stopped by" the script's Durable Objects, whose data would go too.
    const objects = Object.keys(script.durable_objects ?? {});
    if (objects.length && !force) {
      throw new ApiError(
        400,
        Codes.SCRIPT_HAS_DEPENDENTS,
        `Script '${script.name}' has Durable Objects (${objects.join(", ")}); delete with force=true to delete them and their data with it.`,
      );
    }
    delete container.scripts[script.name];
    store.touch();
    return c.json(okEnvelope(null));
  });

  // Namespace scripts read their content at /content, account-level Workers at /content/v2.
  r.get(`${SCRIPT}/${scope === ACCOUNT_SCOPE ? "content/v2" : "content"}`, (c) => modulesResponse(c, requireScript(scope, ctx, c).script));

  r.put(`${SCRIPT}/content`, async (c) => {
    requireScript(scope, ctx, c);
    const body = Buffer.from(await c.req.arrayBuffer());
    const { metadata, modules } = parseUploadBody(c.req.header("content-type"), body, true);
    assertScriptSize(modules, ctx.opts.maxScriptSizeBytes);
    const mainHeader = c.req.header("cf-worker-main-module-part");
    const bodyHeader = c.req.header("cf-worker-body-part");
    if (metadata.main_module === undefined && metadata.body_part === undefined) {
      if (mainHeader) metadata.main_module = mainHeader;
      else if (bodyHeader) metadata.body_part = bodyHeader;
    }
    const entry = resolveEntry(metadata, modules);
    if (ctx.validateScript) {
      const current = requireScript(scope, ctx, c).script;
      const draft: Script = { ...current, modules };
      delete draft.main_module;
      delete draft.body_part;
      await ctx.validateScript(Object.assign(draft, entry));
    }
    const { container, script: prev } = requireScript(scope, ctx, c);
    const next: Script = { ...prev, modules, modified_on: timestamp(), handlers: detectHandlers(modules, entry) };
    delete next.main_module;
    delete next.body_part;
    Object.assign(next, entry);
    next.etag = computeEtag(next);
    container.scripts[prev.name] = next;
    store.touch();
    return c.json(okEnvelope(scriptObject(next)));
  });
}

const SEARCH_ORDER = ["created_on", "modified_on", "name"] as const;

function positiveInt(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw invalidRequest(`${name} must be a positive integer`);
  return n;
}

export function scriptRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  for (const scope of SCOPES) sharedRoutes(r, ctx, scope);

  r.get(NAMESPACE_SCOPE.script, (c) => {
    const { container, script } = requireScript(NAMESPACE_SCOPE, ctx, c);
    return c.json(okEnvelope(scriptEnvelopeItem(container.name, script)));
  });

  r.get(`${NAMESPACE_SCOPE.script}/bindings`, (c) =>
    c.json(okEnvelope(requireScript(NAMESPACE_SCOPE, ctx, c).script.bindings.map(redactBinding))),
  );

  // Download: the modules as multipart, with no metadata part.
  r.get(ACCOUNT_SCOPE.script, (c) => modulesResponse(c, requireScript(ACCOUNT_SCOPE, ctx, c).script));

  r.get("/scripts", (c) => {
    const filter = parseTagFilter(c.req.query("tags"));
    const scripts = Object.values(ACCOUNT_SCOPE.find(ctx, c)?.scripts ?? {}).filter((s) => matchesTagFilter(s, filter));
    return c.json(okEnvelope(scripts.sort(byName).map(scriptObject)));
  });

  // [I] `name` matches case-insensitive substrings, `id` the script's tag exactly; ascending order; pages of `per_page`.
  r.get("/scripts-search", (c) => {
    const name = c.req.query("name")?.toLowerCase();
    const id = c.req.query("id");
    const order = c.req.query("order_by") ?? "created_on";
    if (!(SEARCH_ORDER as readonly string[]).includes(order)) throw invalidRequest(`order_by must be one of ${SEARCH_ORDER.join(", ")}`);
    const page = positiveInt(c.req.query("page"), 1, "page");
    const perPage = positiveInt(c.req.query("per_page"), 50, "per_page");
    const key = (s: Script): string => (order === "name" ? s.name : order === "modified_on" ? s.modified_on : s.created_on);
    const matching = Object.values(ACCOUNT_SCOPE.find(ctx, c)?.scripts ?? {})
      .filter((s) => (name === undefined || s.name.toLowerCase().includes(name)) && (id === undefined || s.tag === id))
      .sort((a, b) => key(a).localeCompare(key(b)) || byName(a, b));
    const items = matching.slice((page - 1) * perPage, page * perPage).map((s) => ({
      id: s.tag,
      script_name: s.name,
      service_name: s.name,
      environment_name: "production",
      environment_is_default: true,
      created_on: s.created_on,
      modified_on: s.modified_on,
    }));
    return c.json(okEnvelope(items, { count: items.length, page, per_page: perPage, total_count: matching.length }));
  });

  return r;
}
