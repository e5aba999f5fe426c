/**
 * @module
 * One script in a namespace: upload (PUT), details (GET), DELETE, content GET/PUT and bindings GET.
 */
import { Hono } from "hono";
import { ApiError, Codes, okEnvelope } from "../errors";
import { SCRIPT_NAME_RE } from "../limits";
import { buildMultipart } from "../multipart";
import type { AppEnv, EmulatorContext } from "../context";
import { newTag, timestamp, type Namespace, type Script } from "../store";
import { assertScriptSize, buildScript, computeEtag, detectHandlers, parseUploadBody, resolveEntry } from "../upload";
import { accountId, checkBindingTargets, redactBinding, requireNamespace, requireScript, scriptEnvelopeItem, scriptObject } from "./common";
import { resolveCompletionToken } from "./assets";

const SCRIPT = "/dispatch/namespaces/:namespace/scripts/:script";

function validateScriptName(name: string): void {
  if (!SCRIPT_NAME_RE.test(name)) {
    throw new ApiError(
      400,
      Codes.INVALID_SCRIPT_NAME,
      `workers.api.error.invalid_script_name: '${name}' must be 1-63 lowercase letters, digits, '-' and '_'`,
    );
  }
}

/** Scripts elsewhere in the namespace that reference `name` (service bindings, durable objects, tail consumers). */
function dependents(ns: Namespace, name: string): string[] {
  const out: string[] = [];
  for (const s of Object.values(ns.scripts)) {
    if (s.name === name) continue;
    const byBinding = s.bindings.some(
      (b) => (b.type === "service" && b.service === name) || (b.type === "durable_object_namespace" && b.script_name === name),
    );
    const byTail = Array.isArray(s.tail_consumers) && (s.tail_consumers as Array<{ service?: unknown }>).some((t) => t?.service === name);
    if (byBinding || byTail) out.push(s.name);
  }
  return out;
}

export function scriptRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;

  r.put(SCRIPT, async (c) => {
    const name = c.req.param("script");
    validateScriptName(name);
    requireNamespace(ctx, c);
    const body = Buffer.from(await c.req.arrayBuffer());
    const { metadata, modules } = parseUploadBody(c.req.header("content-type"), body);
    assertScriptSize(modules, ctx.opts.maxScriptSizeBytes);
    const strict = c.req.query("bindings_inherit") === "strict";
    const ns0 = requireNamespace(ctx, c);
    return store.lock(ns0.id, async () => {
      const ns = requireNamespace(ctx, c);
      const assets = metadata.assets;
      let uploadedAssets: Awaited<ReturnType<typeof resolveCompletionToken>> | undefined;
      if (assets && typeof assets === "object" && typeof (assets as { jwt?: unknown }).jwt === "string") {
        uploadedAssets = await resolveCompletionToken(ctx, accountId(c), ns, name, (assets as { jwt: string }).jwt);
      }
      const script = buildScript({
        name,
        metadata,
        modules,
        previous: ns.scripts[name],
        strictInherit: strict,
        maxTags: ctx.opts.maxTagsPerScript,
        uploadedAssets,
        newTag: newTag(),
        now: timestamp(),
      });
      checkBindingTargets(ctx, accountId(c), script.bindings);
      ns.scripts[name] = script;
      store.touch();
      return c.json(okEnvelope({ ...scriptObject(script), entry_point: script.main_module ?? script.body_part ?? "", startup_time_ms: 0 }));
    });
  });

  r.get(SCRIPT, (c) => {
    const ns = requireNamespace(ctx, c);
    const s = requireScript(ctx, ns, c.req.param("script"));
    return c.json(okEnvelope(scriptEnvelopeItem(ns, s)));
  });

  r.delete(SCRIPT, (c) => {
    const ns = requireNamespace(ctx, c);
    const name = c.req.param("script");
    requireScript(ctx, ns, name);
    const force = c.req.query("force") === "true";
    const users = dependents(ns, name);
    if (users.length && !force) {
      throw new ApiError(
        400,
        Codes.SCRIPT_HAS_DEPENDENTS,
        `Script '${name}' is referenced by ${users.join(", ")}; delete with force=true to delete it anyway.`,
      );
    }
    delete ns.scripts[name];
    store.touch();
    return c.json(okEnvelope(null));
  });

  r.get(`${SCRIPT}/content`, (c) => {
    const ns = requireNamespace(ctx, c);
    const s = requireScript(ctx, ns, c.req.param("script"));
    const { body, contentType } = buildMultipart(
      s.modules.map((m) => ({ name: m.name, filename: m.name, contentType: m.type, data: Buffer.from(m.data, "base64") })),
    );
    const headers: Record<string, string> = { "content-type": contentType };
    const entry = s.main_module ?? s.body_part;
    if (entry) headers["cf-entrypoint"] = entry;
    return c.body(new Uint8Array(body), 200, headers);
  });

  r.put(`${SCRIPT}/content`, async (c) => {
    const ns0 = requireNamespace(ctx, c);
    requireScript(ctx, ns0, c.req.param("script"));
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
    const ns = requireNamespace(ctx, c);
    const prev = requireScript(ctx, ns, c.req.param("script"));
    const next: Script = { ...prev, modules, modified_on: timestamp(), handlers: detectHandlers(modules, entry) };
    delete next.main_module;
    delete next.body_part;
    Object.assign(next, entry);
    next.etag = computeEtag(next);
    ns.scripts[prev.name] = next;
    store.touch();
    return c.json(okEnvelope(scriptObject(next)));
  });

  r.get(`${SCRIPT}/bindings`, (c) => {
    const ns = requireNamespace(ctx, c);
    const s = requireScript(ctx, ns, c.req.param("script"));
    return c.json(okEnvelope(s.bindings.map(redactBinding)));
  });

  return r;
}
