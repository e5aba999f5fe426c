/**
 * @module
 * Script settings in either scope: GET, and PATCH with a multipart `settings` part (10201 without it). For
 * account-level Workers also the script-level settings (JSON PATCH), the usage model and the workers.dev subdomain.
 */
import { Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context";
import { ApiError, Codes, invalidScript, okEnvelope } from "../model/errors";
import { JsonDepthError, parseBoundedJson } from "../model/json";
import { applyMigrations, exportedNames, type MigrationResult } from "../model/migrations";
import { dict, newTag, type Script, type ScriptContainer, timestamp } from "../model/store";
import { checkDurableObjectBindings, validateCompatibility, validateUsageModel } from "../model/upload";
import { accountId, readJson, readMultipart, settingsObject } from "./common";
import { isObject, resolveInherit, validateBindings, validateTags } from "../model/validate";
import { checkBindingTargets } from "./binding-targets";
import { ACCOUNT_SCOPE, requireScript, SCOPES } from "./scope";

const MISSING_PART = "Missing settings part in multipart upload. Ensure you include a settings part in the upload.";

/** Applies a settings patch to a copy of the script: omitted top-level keys stay unchanged. */
function applySettings(s: Script, patch: Record<string, unknown>, maxTags: number): Script {
  const next: Script = { ...s, extra: dict(s.extra) };
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case "bindings": {
        // The list replaces the bindings; {name, type: "inherit"} keeps an existing one.
        next.bindings = resolveInherit(validateBindings(value), s.bindings, true);
        break;
      }
      case "compatibility_date":
      case "compatibility_flags": {
        const compat = validateCompatibility({ [key]: value });
        if (compat.date !== undefined) next.compatibility_date = compat.date;
        if (compat.flags !== undefined) next.compatibility_flags = compat.flags;
        break;
      }
      case "tags":
        next.tags = validateTags(value, maxTags);
        break;
      case "usage_model":
        next.usage_model = validateUsageModel(value);
        break;
      case "logpush":
        if (typeof value !== "boolean") throw invalidScript("logpush must be a boolean");
        next.logpush = value;
        break;
      case "limits":
        next.limits = value;
        break;
      case "observability":
        next.observability = value;
        break;
      case "placement":
        next.placement = value;
        break;
      case "tail_consumers":
        next.tail_consumers = value;
        break;
      case "migrations": {
        const before: MigrationResult = { classes: next.durable_objects ?? {} };
        if (next.migration_tag !== undefined) before.tag = next.migration_tag;
        const main = next.modules.find((m) => m.name === next.main_module);
        const exported = main ? exportedNames(Buffer.from(main.data, "base64").toString("utf8")) : undefined;
        const after = applyMigrations(before, value, exported, newTag);
        if (after.tag !== undefined) next.migration_tag = after.tag;
        if (Object.keys(after.classes).length) next.durable_objects = after.classes;
        else delete next.durable_objects;
        break;
      }
      default:
        next.extra[key] = value;
    }
  }
  if (next.bindings.some((b) => b.type === "assets") && !next.assets) throw invalidScript("Cannot use an assets binding without assets");
  if (patch.bindings !== undefined || patch.migrations !== undefined) checkDurableObjectBindings(next.bindings, next.durable_objects ?? {});
  return next;
}

/** Stores a changed copy of a script. */
function save(ctx: EmulatorContext, container: ScriptContainer, next: Script): Script {
  next.modified_on = timestamp();
  container.scripts[next.name] = next;
  ctx.store.touch();
  return next;
}

/** Script-level settings (`/script-settings`): the subset of the settings that outlives a version. */
const SCRIPT_SETTINGS_KEYS = ["logpush", "observability", "tags", "tail_consumers"] as const;

function scriptSettingsObject(s: Script): Record<string, unknown> {
  const all = settingsObject(s);
  return Object.fromEntries(SCRIPT_SETTINGS_KEYS.map((k) => [k, all[k]]));
}

const subdomainObject = (s: Script) => s.subdomain ?? { enabled: false, previews_enabled: false };

const usageModelObject = (s: Script) => ({ usage_model: s.usage_model, user_limits: s.limits ?? {} });

export function settingsRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  for (const scope of SCOPES) {
    r.get(`${scope.script}/settings`, (c) => c.json(okEnvelope(settingsObject(requireScript(scope, ctx, c).script))));

    r.patch(`${scope.script}/settings`, async (c) => {
      requireScript(scope, ctx, c);
      const parts = await readMultipart(c, Codes.MISSING_SETTINGS_PART);
      const part = parts?.find((p) => p.name === "settings");
      if (!part) throw new ApiError(400, Codes.MISSING_SETTINGS_PART, MISSING_PART);
      let patch: unknown;
      try {
        patch = parseBoundedJson(part.data.toString("utf8"));
      } catch (err) {
        throw invalidScript(`could not read content for part settings${err instanceof JsonDepthError ? `: ${err.message}` : ""}`);
      }
      if (!isObject(patch)) throw invalidScript("could not read content for part settings");
      const { container, script } = requireScript(scope, ctx, c);
      const next = applySettings(script, patch, ctx.opts.maxTagsPerScript);
      if (patch.bindings !== undefined || patch.tail_consumers !== undefined) checkBindingTargets(ctx, accountId(c), container, next);
      return c.json(okEnvelope(settingsObject(save(ctx, container, next))));
    });
  }

  const WORKER = ACCOUNT_SCOPE.script;

  r.get(`${WORKER}/script-settings`, (c) => c.json(okEnvelope(scriptSettingsObject(requireScript(ACCOUNT_SCOPE, ctx, c).script))));

  // A JSON body; keys other than the script-level ones are ignored [I].
  r.patch(`${WORKER}/script-settings`, async (c) => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidScript("the body must be a JSON object");
    const { container, script } = requireScript(ACCOUNT_SCOPE, ctx, c);
    const patch = Object.fromEntries(SCRIPT_SETTINGS_KEYS.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
    const next = applySettings(script, patch, ctx.opts.maxTagsPerScript);
    if (patch.tail_consumers !== undefined) checkBindingTargets(ctx, accountId(c), container, next);
    return c.json(okEnvelope(scriptSettingsObject(save(ctx, container, next))));
  });

  r.get(`${WORKER}/usage-model`, (c) => c.json(okEnvelope(usageModelObject(requireScript(ACCOUNT_SCOPE, ctx, c).script))));

  r.put(`${WORKER}/usage-model`, async (c) => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidScript("the body must be a JSON object");
    const { container, script } = requireScript(ACCOUNT_SCOPE, ctx, c);
    if (body.user_limits !== undefined && !isObject(body.user_limits)) throw invalidScript("user_limits must be an object");
    const next: Script = { ...script, usage_model: validateUsageModel(body.usage_model) };
    if (body.user_limits !== undefined) next.limits = body.user_limits;
    return c.json(okEnvelope(usageModelObject(save(ctx, container, next))));
  });

  r.get(`${WORKER}/subdomain`, (c) => c.json(okEnvelope(subdomainObject(requireScript(ACCOUNT_SCOPE, ctx, c).script))));

  // [I] `previews_enabled` follows `enabled` when omitted.
  r.post(`${WORKER}/subdomain`, async (c) => {
    const body = await readJson(c);
    if (!isObject(body) || typeof body.enabled !== "boolean")
      throw invalidScript('the body must be {"enabled": boolean, "previews_enabled"?: boolean}');
    if (body.previews_enabled !== undefined && typeof body.previews_enabled !== "boolean")
      throw invalidScript("previews_enabled must be a boolean");
    const { container, script } = requireScript(ACCOUNT_SCOPE, ctx, c);
    const subdomain = { enabled: body.enabled, previews_enabled: (body.previews_enabled as boolean | undefined) ?? body.enabled };
    return c.json(okEnvelope(subdomainObject(save(ctx, container, { ...script, subdomain }))));
  });

  r.delete(`${WORKER}/subdomain`, (c) => {
    const { container, script } = requireScript(ACCOUNT_SCOPE, ctx, c);
    const next = save(ctx, container, { ...script, subdomain: { enabled: false, previews_enabled: false } });
    return c.json(okEnvelope(subdomainObject(next)));
  });

  return r;
}
