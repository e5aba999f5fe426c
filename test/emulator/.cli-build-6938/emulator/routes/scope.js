"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.scriptParam = exports.SCOPES = exports.ACCOUNT_SCOPE = exports.NAMESPACE_SCOPE = void 0;
exports.requireScript = requireScript;
/**
 * @module
 * Where a script lives. Cloudflare serves one set of script endpoints twice, for user Workers in a dispatch namespace
 * (`/dispatch/namespaces/:namespace/scripts/:script`) and for account-level Workers (`/scripts/:script`), with the
 * same envelopes and codes but one: a missing script. Route modules register each shared route once per
 * {@link Scope}; the few routes one scope alone has are registered for it only.
 */
const errors_1 = require("../errors");
const common_1 = require("./common");
exports.NAMESPACE_SCOPE = {
    kind: "namespace",
    script: "/dispatch/namespaces/:namespace/scripts/:script",
    find: (ctx, c) => (0, common_1.requireNamespace)(ctx, c),
    open: (ctx, c) => (0, common_1.requireNamespace)(ctx, c),
    // 10092 by default: wrangler's dispatch-namespace probe reads only that code as "not deployed yet".
    missing: (ctx) => missingScript(ctx.opts.missingScriptCode),
};
exports.ACCOUNT_SCOPE = {
    kind: "account",
    script: "/scripts/:script",
    find: (ctx, c) => ctx.store.state.accounts[(0, common_1.accountId)(c)]?.workers,
    open: (ctx, c) => ctx.store.accountWorkers((0, common_1.accountId)(c)),
    missing: () => missingScript(errors_1.Codes.SCRIPT_NOT_FOUND),
};
exports.SCOPES = [exports.NAMESPACE_SCOPE, exports.ACCOUNT_SCOPE];
const MISSING_SCRIPT_MESSAGES = {
    [errors_1.Codes.SCRIPT_NOT_FOUND]: "workers.api.error.script_not_found",
    [errors_1.Codes.ENVIRONMENT_NOT_FOUND]: "workers.api.error.environment_not_found",
};
function missingScript(code) {
    return new errors_1.ApiError(404, code, MISSING_SCRIPT_MESSAGES[code] ?? "workers.api.error.script_not_found");
}
/** The `:script` path parameter. */
const scriptParam = (c) => c.req.param("script") ?? "";
exports.scriptParam = scriptParam;
/** The script the path names, with its container; 404 with the scope's code when it does not exist. */
function requireScript(scope, ctx, c) {
    const container = scope.find(ctx, c);
    const script = container?.scripts[(0, exports.scriptParam)(c)];
    if (!container || !script)
        throw scope.missing(ctx);
    return { container, script };
}
