/**
 * @module
 * Script settings: GET, and PATCH with a multipart `settings` part (10201 without it).
 */
import { Hono } from "hono";
import { ApiError, Codes, invalidScript, okEnvelope } from "../errors";
import type { AppEnv, EmulatorContext } from "../context";
import { timestamp, type Script } from "../store";
import { validateCompatibility, validateUsageModel } from "../upload";
import {
  accountId,
  checkBindingTargets,
  isObject,
  readMultipart,
  requireNamespace,
  requireScript,
  resolveInherit,
  settingsObject,
  validateBindings,
  validateTags,
} from "./common";

const SETTINGS = "/dispatch/namespaces/:namespace/scripts/:script/settings";
const MISSING_PART = "Missing settings part in multipart upload. Ensure you include a settings part in the upload.";

/** Applies a settings patch to a copy of the script: omitted top-level keys stay unchanged. */
function applySettings(s: Script, patch: Record<string, unknown>, maxTags: number): Script {
  const next: Script = { ...s, extra: { ...s.extra } };
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
      case "migrations":
        if (isObject(value) && typeof value.new_tag === "string") next.migration_tag = value.new_tag;
        break;
      default:
        next.extra[key] = value;
    }
  }
  if (next.bindings.some((b) => b.type === "assets") && !next.assets) throw invalidScript("Cannot use an assets binding without assets");
  return next;
}

export function settingsRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get(SETTINGS, (c) => {
    const ns = requireNamespace(ctx, c);
    const s = requireScript(ctx, ns, c.req.param("script"));
    return c.json(okEnvelope(settingsObject(s)));
  });

  r.patch(SETTINGS, async (c) => {
    const ns0 = requireNamespace(ctx, c);
    requireScript(ctx, ns0, c.req.param("script"));
    const parts = await readMultipart(c, Codes.MISSING_SETTINGS_PART);
    const part = parts?.find((p) => p.name === "settings");
    if (!part) throw new ApiError(400, Codes.MISSING_SETTINGS_PART, MISSING_PART);
    let patch: unknown;
    try {
      patch = JSON.parse(part.data.toString("utf8"));
    } catch {
      throw invalidScript("could not read content for part settings");
    }
    if (!isObject(patch)) throw invalidScript("could not read content for part settings");
    const ns = requireNamespace(ctx, c);
    const s = requireScript(ctx, ns, c.req.param("script"));
    const next = applySettings(s, patch, ctx.opts.maxTagsPerScript);
    if (patch.bindings !== undefined) checkBindingTargets(ctx, accountId(c), next.bindings);
    next.modified_on = timestamp();
    ns.scripts[s.name] = next;
    ctx.store.touch();
    return c.json(okEnvelope(settingsObject(next)));
  });

  return r;
}
