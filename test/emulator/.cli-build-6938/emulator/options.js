"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.resolveOptions = resolveOptions;
const limits_1 = require("./limits");
function resolveOptions(o = {}) {
    const tokens = o.tokens && o.tokens.length > 0 ? o.tokens : ["local-dev-token"];
    const plan = o.plan ?? "paid";
    return {
        port: o.port ?? 0,
        host: o.host ?? "127.0.0.1",
        tokens,
        dataDir: o.dataDir,
        rateLimit: o.rateLimit === undefined ? { ...limits_1.DEFAULT_RATE_LIMIT } : o.rateLimit,
        namespaceDelete: o.namespaceDelete ?? "cascade",
        jwtTtlSeconds: o.jwtTtlSeconds ?? limits_1.DEFAULT_JWT_TTL_SECONDS,
        plan,
        maxAssetFiles: o.maxAssetFiles ?? limits_1.PLAN_LIMITS[plan].maxAssetFiles,
        maxScriptSizeBytes: o.maxScriptSizeBytes ?? limits_1.PLAN_LIMITS[plan].maxScriptSizeBytes,
        maxTagsPerScript: o.maxTagsPerScript ?? limits_1.DEFAULT_MAX_TAGS_PER_SCRIPT,
        missingScriptCode: o.missingScriptCode ?? 10092,
        lenientAssetHashes: o.lenientAssetHashes ?? false,
        now: o.now ?? Date.now,
        log: o.log ?? false,
    };
}
