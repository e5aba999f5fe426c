"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.scriptRoutes = scriptRoutes;
/**
 * @module
 * One script, in either scope (see scope.ts): upload (PUT), DELETE, content PUT and GET, and the routes only one
 * scope has: details and bindings of a user Worker; download, list and search of account-level Workers.
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const limits_1 = require("../limits");
const multipart_1 = require("../multipart");
const store_1 = require("../store");
const upload_1 = require("../upload");
const assets_1 = require("./assets");
const common_1 = require("./common");
const binding_targets_1 = require("./binding-targets");
const scope_1 = require("./scope");
function validateScriptName(name) {
    if (!limits_1.SCRIPT_NAME_RE.test(name)) {
        throw new errors_1.ApiError(400, errors_1.Codes.INVALID_SCRIPT_NAME, `workers.api.error.invalid_script_name: '${name}' must be 1-63 lowercase letters, digits, '-' and '_'`);
    }
}
/** The modules as one multipart body, part name = filename = module name, the entry point in `cf-entrypoint`. */
function modulesResponse(c, s) {
    const { body, contentType } = (0, multipart_1.buildMultipart)(s.modules.map((m) => ({ name: m.name, filename: m.name, contentType: m.type, data: Buffer.from(m.data, "base64") })));
    const headers = { "content-type": contentType };
    const entry = s.main_module ?? s.body_part;
    if (entry)
        headers["cf-entrypoint"] = entry;
    return c.body(new Uint8Array(body), 200, headers);
}
const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
function sharedRoutes(r, ctx, scope) {
    const { store } = ctx;
    const SCRIPT = scope.script;
    r.put(SCRIPT, async (c) => {
        const name = (0, scope_1.scriptParam)(c);
        validateScriptName(name);
        scope.find(ctx, c);
        const body = Buffer.from(await c.req.arrayBuffer());
        const { metadata, modules } = (0, upload_1.parseUploadBody)(c.req.header("content-type"), body);
        (0, upload_1.assertScriptSize)(modules, ctx.opts.maxScriptSizeBytes);
        const strict = c.req.query("bindings_inherit") === "strict";
        return store.lock(scope.open(ctx, c).id, async () => {
            const container = scope.open(ctx, c);
            const assets = metadata.assets;
            let uploadedAssets;
            if (assets && typeof assets === "object" && typeof assets.jwt === "string") {
                uploadedAssets = await (0, assets_1.resolveCompletionToken)(ctx, (0, common_1.accountId)(c), container, name, assets.jwt);
            }
            const script = (0, upload_1.buildScript)({
                name,
                metadata,
                modules,
                previous: container.scripts[name],
                strictInherit: strict,
                maxTags: ctx.opts.maxTagsPerScript,
                uploadedAssets,
                newTag: (0, store_1.newTag)(),
                now: (0, store_1.timestamp)(),
            });
            (0, binding_targets_1.checkBindingTargets)(ctx, (0, common_1.accountId)(c), container, script);
            if (ctx.validateScript)
                await ctx.validateScript(script);
            container.scripts[name] = script;
            store.touch();
            return c.json((0, errors_1.okEnvelope)({ ...(0, common_1.scriptObject)(script), entry_point: script.main_module ?? script.body_part ?? "", startup_time_ms: 0 }));
        });
    });
    r.delete(SCRIPT, (c) => {
        const { container, script } = (0, scope_1.requireScript)(scope, ctx, c);
        const users = (0, binding_targets_1.dependents)(store.account((0, common_1.accountId)(c)), container, script.name);
        if (users.length && c.req.query("force") !== "true") {
            throw new errors_1.ApiError(400, errors_1.Codes.SCRIPT_HAS_DEPENDENTS, `Script '${script.name}' is referenced by ${users.join(", ")}; delete with force=true to delete it anyway.`);
        }
        delete container.scripts[script.name];
        store.touch();
        return c.json((0, errors_1.okEnvelope)(null));
    });
    // Namespace scripts read their content at /content, account-level Workers at /content/v2.
    r.get(`${SCRIPT}/${scope === scope_1.ACCOUNT_SCOPE ? "content/v2" : "content"}`, (c) => modulesResponse(c, (0, scope_1.requireScript)(scope, ctx, c).script));
    r.put(`${SCRIPT}/content`, async (c) => {
        (0, scope_1.requireScript)(scope, ctx, c);
        const body = Buffer.from(await c.req.arrayBuffer());
        const { metadata, modules } = (0, upload_1.parseUploadBody)(c.req.header("content-type"), body, true);
        (0, upload_1.assertScriptSize)(modules, ctx.opts.maxScriptSizeBytes);
        const mainHeader = c.req.header("cf-worker-main-module-part");
        const bodyHeader = c.req.header("cf-worker-body-part");
        if (metadata.main_module === undefined && metadata.body_part === undefined) {
            if (mainHeader)
                metadata.main_module = mainHeader;
            else if (bodyHeader)
                metadata.body_part = bodyHeader;
        }
        const entry = (0, upload_1.resolveEntry)(metadata, modules);
        if (ctx.validateScript) {
            const current = (0, scope_1.requireScript)(scope, ctx, c).script;
            const draft = { ...current, modules };
            delete draft.main_module;
            delete draft.body_part;
            await ctx.validateScript(Object.assign(draft, entry));
        }
        const { container, script: prev } = (0, scope_1.requireScript)(scope, ctx, c);
        const next = { ...prev, modules, modified_on: (0, store_1.timestamp)(), handlers: (0, upload_1.detectHandlers)(modules, entry) };
        delete next.main_module;
        delete next.body_part;
        Object.assign(next, entry);
        next.etag = (0, upload_1.computeEtag)(next);
        container.scripts[prev.name] = next;
        store.touch();
        return c.json((0, errors_1.okEnvelope)((0, common_1.scriptObject)(next)));
    });
}
const SEARCH_ORDER = ["created_on", "modified_on", "name"];
function positiveInt(raw, fallback, name) {
    if (raw === undefined || raw === "")
        return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
        throw (0, errors_1.invalidRequest)(`${name} must be a positive integer`);
    return n;
}
function scriptRoutes(ctx) {
    const r = new hono_1.Hono();
    for (const scope of scope_1.SCOPES)
        sharedRoutes(r, ctx, scope);
    r.get(scope_1.NAMESPACE_SCOPE.script, (c) => {
        const { container, script } = (0, scope_1.requireScript)(scope_1.NAMESPACE_SCOPE, ctx, c);
        return c.json((0, errors_1.okEnvelope)((0, common_1.scriptEnvelopeItem)(container.name, script)));
    });
    r.get(`${scope_1.NAMESPACE_SCOPE.script}/bindings`, (c) => c.json((0, errors_1.okEnvelope)((0, scope_1.requireScript)(scope_1.NAMESPACE_SCOPE, ctx, c).script.bindings.map(common_1.redactBinding))));
    // Download: the modules as multipart, with no metadata part.
    r.get(scope_1.ACCOUNT_SCOPE.script, (c) => modulesResponse(c, (0, scope_1.requireScript)(scope_1.ACCOUNT_SCOPE, ctx, c).script));
    r.get("/scripts", (c) => {
        const filter = (0, common_1.parseTagFilter)(c.req.query("tags"));
        const scripts = Object.values(scope_1.ACCOUNT_SCOPE.find(ctx, c)?.scripts ?? {}).filter((s) => (0, common_1.matchesTagFilter)(s, filter));
        return c.json((0, errors_1.okEnvelope)(scripts.sort(byName).map(common_1.scriptObject)));
    });
    // [I] `name` matches case-insensitive substrings, `id` the script's tag exactly; ascending order; pages of `per_page`.
    r.get("/scripts-search", (c) => {
        const name = c.req.query("name")?.toLowerCase();
        const id = c.req.query("id");
        const order = c.req.query("order_by") ?? "created_on";
        if (!SEARCH_ORDER.includes(order))
            throw (0, errors_1.invalidRequest)(`order_by must be one of ${SEARCH_ORDER.join(", ")}`);
        const page = positiveInt(c.req.query("page"), 1, "page");
        const perPage = positiveInt(c.req.query("per_page"), 50, "per_page");
        const key = (s) => (order === "name" ? s.name : order === "modified_on" ? s.modified_on : s.created_on);
        const matching = Object.values(scope_1.ACCOUNT_SCOPE.find(ctx, c)?.scripts ?? {})
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
        return c.json((0, errors_1.okEnvelope)(items, { count: items.length, page, per_page: perPage, total_count: matching.length }));
    });
    return r;
}
