"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.settingsRoutes = settingsRoutes;
/**
 * @module
 * Script settings in either scope: GET, and PATCH with a multipart `settings` part (10201 without it). For
 * account-level Workers also the script-level settings (JSON PATCH), the usage model and the workers.dev subdomain.
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const json_1 = require("../json");
const store_1 = require("../store");
const upload_1 = require("../upload");
const common_1 = require("./common");
const binding_targets_1 = require("./binding-targets");
const scope_1 = require("./scope");
const MISSING_PART = "Missing settings part in multipart upload. Ensure you include a settings part in the upload.";
/** Applies a settings patch to a copy of the script: omitted top-level keys stay unchanged. */
function applySettings(s, patch, maxTags) {
    const next = { ...s, extra: (0, store_1.dict)(s.extra) };
    for (const [key, value] of Object.entries(patch)) {
        switch (key) {
            case "bindings": {
                // The list replaces the bindings; {name, type: "inherit"} keeps an existing one.
                next.bindings = (0, common_1.resolveInherit)((0, common_1.validateBindings)(value), s.bindings, true);
                break;
            }
            case "compatibility_date":
            case "compatibility_flags": {
                const compat = (0, upload_1.validateCompatibility)({ [key]: value });
                if (compat.date !== undefined)
                    next.compatibility_date = compat.date;
                if (compat.flags !== undefined)
                    next.compatibility_flags = compat.flags;
                break;
            }
            case "tags":
                next.tags = (0, common_1.validateTags)(value, maxTags);
                break;
            case "usage_model":
                next.usage_model = (0, upload_1.validateUsageModel)(value);
                break;
            case "logpush":
                if (typeof value !== "boolean")
                    throw (0, errors_1.invalidScript)("logpush must be a boolean");
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
                if ((0, common_1.isObject)(value) && typeof value.new_tag === "string")
                    next.migration_tag = value.new_tag;
                break;
            default:
                next.extra[key] = value;
        }
    }
    if (next.bindings.some((b) => b.type === "assets") && !next.assets)
        throw (0, errors_1.invalidScript)("Cannot use an assets binding without assets");
    return next;
}
/** Stores a changed copy of a script. */
function save(ctx, container, next) {
    next.modified_on = (0, store_1.timestamp)();
    container.scripts[next.name] = next;
    ctx.store.touch();
    return next;
}
/** Script-level settings (`/script-settings`): the subset of the settings that outlives a version. */
const SCRIPT_SETTINGS_KEYS = ["logpush", "observability", "tags", "tail_consumers"];
function scriptSettingsObject(s) {
    const all = (0, common_1.settingsObject)(s);
    return Object.fromEntries(SCRIPT_SETTINGS_KEYS.map((k) => [k, all[k]]));
}
const subdomainObject = (s) => s.subdomain ?? { enabled: false, previews_enabled: false };
const usageModelObject = (s) => ({ usage_model: s.usage_model, user_limits: s.limits ?? {} });
function settingsRoutes(ctx) {
    const r = new hono_1.Hono();
    for (const scope of scope_1.SCOPES) {
        r.get(`${scope.script}/settings`, (c) => c.json((0, errors_1.okEnvelope)((0, common_1.settingsObject)((0, scope_1.requireScript)(scope, ctx, c).script))));
        r.patch(`${scope.script}/settings`, async (c) => {
            (0, scope_1.requireScript)(scope, ctx, c);
            const parts = await (0, common_1.readMultipart)(c, errors_1.Codes.MISSING_SETTINGS_PART);
            const part = parts?.find((p) => p.name === "settings");
            if (!part)
                throw new errors_1.ApiError(400, errors_1.Codes.MISSING_SETTINGS_PART, MISSING_PART);
            let patch;
            try {
                patch = (0, json_1.parseBoundedJson)(part.data.toString("utf8"));
            }
            catch (err) {
                throw (0, errors_1.invalidScript)(`could not read content for part settings${err instanceof json_1.JsonDepthError ? `: ${err.message}` : ""}`);
            }
            if (!(0, common_1.isObject)(patch))
                throw (0, errors_1.invalidScript)("could not read content for part settings");
            const { container, script } = (0, scope_1.requireScript)(scope, ctx, c);
            const next = applySettings(script, patch, ctx.opts.maxTagsPerScript);
            if (patch.bindings !== undefined || patch.tail_consumers !== undefined)
                (0, binding_targets_1.checkBindingTargets)(ctx, (0, common_1.accountId)(c), container, next);
            return c.json((0, errors_1.okEnvelope)((0, common_1.settingsObject)(save(ctx, container, next))));
        });
    }
    const WORKER = scope_1.ACCOUNT_SCOPE.script;
    r.get(`${WORKER}/script-settings`, (c) => c.json((0, errors_1.okEnvelope)(scriptSettingsObject((0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c).script))));
    // A JSON body; keys other than the script-level ones are ignored [I].
    r.patch(`${WORKER}/script-settings`, async (c) => {
        const body = await (0, common_1.readJson)(c);
        if (!(0, common_1.isObject)(body))
            throw (0, errors_1.invalidScript)("the body must be a JSON object");
        const { container, script } = (0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c);
        const patch = Object.fromEntries(SCRIPT_SETTINGS_KEYS.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
        const next = applySettings(script, patch, ctx.opts.maxTagsPerScript);
        if (patch.tail_consumers !== undefined)
            (0, binding_targets_1.checkBindingTargets)(ctx, (0, common_1.accountId)(c), container, next);
        return c.json((0, errors_1.okEnvelope)(scriptSettingsObject(save(ctx, container, next))));
    });
    r.get(`${WORKER}/usage-model`, (c) => c.json((0, errors_1.okEnvelope)(usageModelObject((0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c).script))));
    r.put(`${WORKER}/usage-model`, async (c) => {
        const body = await (0, common_1.readJson)(c);
        if (!(0, common_1.isObject)(body))
            throw (0, errors_1.invalidScript)("the body must be a JSON object");
        const { container, script } = (0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c);
        if (body.user_limits !== undefined && !(0, common_1.isObject)(body.user_limits))
            throw (0, errors_1.invalidScript)("user_limits must be an object");
        const next = { ...script, usage_model: (0, upload_1.validateUsageModel)(body.usage_model) };
        if (body.user_limits !== undefined)
            next.limits = body.user_limits;
        return c.json((0, errors_1.okEnvelope)(usageModelObject(save(ctx, container, next))));
    });
    r.get(`${WORKER}/subdomain`, (c) => c.json((0, errors_1.okEnvelope)(subdomainObject((0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c).script))));
    // [I] `previews_enabled` follows `enabled` when omitted.
    r.post(`${WORKER}/subdomain`, async (c) => {
        const body = await (0, common_1.readJson)(c);
        if (!(0, common_1.isObject)(body) || typeof body.enabled !== "boolean")
            throw (0, errors_1.invalidScript)('the body must be {"enabled": boolean, "previews_enabled"?: boolean}');
        if (body.previews_enabled !== undefined && typeof body.previews_enabled !== "boolean")
            throw (0, errors_1.invalidScript)("previews_enabled must be a boolean");
        const { container, script } = (0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c);
        const subdomain = { enabled: body.enabled, previews_enabled: body.previews_enabled ?? body.enabled };
        return c.json((0, errors_1.okEnvelope)(subdomainObject(save(ctx, container, { ...script, subdomain }))));
    });
    r.delete(`${WORKER}/subdomain`, (c) => {
        const { container, script } = (0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c);
        const next = save(ctx, container, { ...script, subdomain: { enabled: false, previews_enabled: false } });
        return c.json((0, errors_1.okEnvelope)(subdomainObject(next)));
    });
    return r;
}
