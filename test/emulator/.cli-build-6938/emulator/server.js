"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_JOURNAL_ENTRIES = exports.API_PREFIX = void 0;
exports.createEmulator = createEmulator;
exports.createApp = createApp;
/**
 * @module
 * The emulator's HTTP app: assembly only. Middleware, in order, for every `/client/v4` request:
 * journal → injected faults → foreign Origin → auth → rate limit → account id check → (routes) → persist after mutations.
 * One `onError` turns {@link ApiError} into the Cloudflare envelope; `notFound` answers 405 or 7003/7000.
 */
const node_crypto_1 = require("node:crypto");
const hono_1 = require("hono");
const errors_1 = require("./errors");
const faults_1 = require("./faults");
const jwt_1 = require("./jwt");
const limits_1 = require("./limits");
const loopback_1 = require("./loopback");
const pattern_1 = require("./pattern");
const options_1 = require("./options");
const store_1 = require("./store");
const namespaces_1 = require("./routes/namespaces");
const scripts_1 = require("./routes/scripts");
const settings_1 = require("./routes/settings");
const tags_1 = require("./routes/tags");
const secrets_1 = require("./routes/secrets");
const assets_1 = require("./routes/assets");
const kv_1 = require("./routes/kv");
const schedules_1 = require("./routes/schedules");
const tail_1 = require("./routes/tail");
const snapshot_1 = require("./snapshot");
const zones_1 = require("./routes/zones");
const worker_routes_1 = require("./routes/worker-routes");
const worker_domains_1 = require("./routes/worker-domains");
const custom_hostnames_1 = require("./routes/custom-hostnames");
exports.API_PREFIX = "/client/v4";
const WORKERS = `${exports.API_PREFIX}/accounts/:account_id/workers`;
/** The journal keeps the most recent entries only, so a long-running emulator does not grow without bound. */
exports.MAX_JOURNAL_ENTRIES = 100_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function userIdOf(credential) {
    return (0, node_crypto_1.createHash)("sha256").update(credential).digest("hex").slice(0, 32);
}
function journal(entries) {
    return async function recordRequest(c, next) {
        const url = new URL(c.req.url);
        const entry = { method: c.req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
        entries.push(entry);
        if (entries.length > exports.MAX_JOURNAL_ENTRIES)
            entries.splice(0, entries.length - exports.MAX_JOURNAL_ENTRIES);
        await next();
        entry.status = c.res.headers.get("x-emulator-reset") === "1" ? 0 : c.res.status;
    };
}
function injectFaults(faults) {
    return async function injectFault(c, next) {
        const rule = faults.match(c.req.method, new URL(c.req.url).pathname);
        if (!rule)
            return next();
        if (rule.delayMs)
            await sleep(rule.delayMs);
        if (rule.reset) {
            c.env?.incoming?.socket.destroy();
            return c.body(null, 500, { "x-emulator-reset": "1" });
        }
        if (rule.withholdCompletionJwt)
            c.set("withholdCompletionJwt", true);
        if (rule.status === undefined)
            return next();
        const headers = { ...(rule.headers ?? {}) };
        if (rule.retryAfter !== undefined)
            headers["retry-after"] = String(rule.retryAfter);
        const code = rule.code ?? (rule.status === 429 ? errors_1.Codes.RATE_LIMITED : errors_1.Codes.INTERNAL_ERROR);
        const message = rule.message ?? (rule.status === 429 ? "Please wait and consider throttling your request speed" : "Injected fault");
        return c.json((0, errors_1.errorEnvelope)([{ code, message }]), rule.status, headers);
    };
}
function requireToken(opts) {
    const tokens = new Set(opts.tokens);
    return async function requireTokenMw(c, next) {
        const auth = c.req.header("authorization");
        const key = c.req.header("x-auth-key");
        const email = c.req.header("x-auth-email");
        const serviceKey = c.req.header("x-auth-user-service-key");
        let credential;
        if (auth !== undefined) {
            const m = /^Bearer +(\S+) *$/.exec(auth);
            if (!m) {
                throw new errors_1.ApiError(400, errors_1.Codes.INVALID_HEADERS, "Invalid request headers", {
                    chain: [{ code: errors_1.Codes.INVALID_AUTH_FORMAT, message: "Invalid format for Authorization header" }],
                });
            }
            credential = m[1];
        }
        else if (key !== undefined && email !== undefined) {
            credential = key; // [I] X-Auth-Email + X-Auth-Key: the key must be one of the tokens.
        }
        else if (serviceKey !== undefined) {
            credential = serviceKey;
        }
        else {
            throw new errors_1.ApiError(400, errors_1.Codes.MISSING_AUTH, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
        }
        // The assets upload takes only the upload JWT, which its route verifies; API tokens are refused there.
        const isUpload = /\/workers\/assets\/upload$/.test(new URL(c.req.url).pathname);
        if (!isUpload && !tokens.has(credential))
            throw new errors_1.ApiError(403, errors_1.Codes.AUTH_ERROR, "Authentication error");
        c.set("credential", credential);
        c.set("userId", userIdOf(credential));
        return next();
    };
}
function rateLimit(limiter) {
    return async function rateLimitMw(c, next) {
        const d = limiter.check(c.var.credential);
        const headers = (0, faults_1.rateLimitHeaders)(d);
        if (!d.allowed)
            throw new errors_1.ApiError(429, errors_1.Codes.RATE_LIMITED, "Please wait and consider throttling your request speed", { headers });
        await next();
        // Every answer carries them, errors included.
        for (const [k, v] of Object.entries(headers))
            c.res.headers.set(k, v);
    };
}
function checkAccount() {
    return async function checkAccountMw(c, next) {
        const m = /^\/client\/v4\/accounts\/([^/]+)(\/|$)/.exec(new URL(c.req.url).pathname);
        if (m && !limits_1.ACCOUNT_ID_RE.test(m[1]))
            throw (0, errors_1.noRoute)(new URL(c.req.url).pathname.slice(exports.API_PREFIX.length));
        return next();
    };
}
/**
 * A mutating request is answered once its change is persisted. A change that cannot be (the write failed, or the
 * handler failed half-way) is rolled back in memory, and every request whose change went with it answers 500.
 */
function persistMutations(ctx) {
    const { store } = ctx;
    return async function persist(c, next) {
        if (c.req.method === "GET" || c.req.method === "HEAD")
            return next();
        const generation = store.generation;
        await next();
        try {
            if (c.error && !(c.error instanceof errors_1.ApiError) && store.changed)
                store.rollback();
            else
                await store.flush();
        }
        finally {
            // KV data is not what the Workers run: the runtime reads it from the store at each call.
            if (!c.req.path.includes("/storage/kv/"))
                for (const listener of ctx.changeListeners)
                    listener();
        }
        if (store.generation !== generation && !c.error)
            throw new Error("the change could not be persisted and was rolled back; nothing was changed");
    };
}
const METHOD_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/** Unknown routes: 405 with `Allow` for a known path and another method, else 7003 + 7000 (or a plain 404 off the API). */
function notFound(app) {
    let known;
    // The registered routes themselves say which paths exist, read once all are mounted.
    const knownRoutes = () => {
        if (known)
            return known;
        const byPath = new Map();
        for (const r of app.routes)
            if (r.method !== "ALL" && r.path.startsWith(exports.API_PREFIX))
                byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(r.method));
        known = [...byPath].map(([path, methods]) => ({
            pattern: (0, pattern_1.compilePattern)(path),
            methods: METHOD_ORDER.filter((m) => methods.has(m)),
        }));
        return known;
    };
    return (c) => {
        const path = new URL(c.req.url).pathname;
        if (!path.startsWith(`${exports.API_PREFIX}/`))
            return c.json({ error: "not found" }, 404);
        const route = knownRoutes().find((r) => r.pattern.test({ pathname: path }));
        if (route && !route.methods.includes(c.req.method)) {
            const error = { code: errors_1.Codes.METHOD_NOT_ALLOWED, message: `Method ${c.req.method} not allowed for this route` };
            return c.json((0, errors_1.errorEnvelope)([error]), 405, { allow: route.methods.join(", ") });
        }
        return c.json((0, errors_1.errorEnvelope)((0, errors_1.noRoute)(path.slice(exports.API_PREFIX.length)).errors), 404);
    };
}
/** Builds the emulator: the Hono app and its state. */
function createEmulator(options = {}) {
    const opts = (0, options_1.resolveOptions)(options);
    const store = new store_1.Store(opts.dataDir);
    const signer = new jwt_1.TokenSigner(store.jwtSecret, opts.jwtTtlSeconds, opts.now);
    const ctx = { store, opts, signer, changeListeners: [] };
    const entries = [];
    const faults = new faults_1.FaultInjector();
    const limiter = opts.rateLimit ? new faults_1.RateLimiter(opts.rateLimit, opts.now) : undefined;
    const app = new hono_1.Hono();
    app.onError((err, c) => {
        if (err instanceof errors_1.ApiError)
            return c.json((0, errors_1.errorEnvelope)(err.errors), err.status, err.headers);
        if (opts.log)
            console.error("[wfp-emulator] internal error:", err);
        return c.json((0, errors_1.errorEnvelope)([{ code: errors_1.Codes.INTERNAL_ERROR, message: `Internal emulator error: ${err.message}` }]), 500);
    });
    app.notFound(notFound(app));
    // ---- operator endpoints (no auth; loopback only) ----
    app.use("/__emulator/*", (0, loopback_1.loopbackOnly)());
    app.get("/__emulator/requests", (c) => c.json(entries));
    app.delete("/__emulator/requests", (c) => {
        entries.length = 0;
        return c.json({ ok: true });
    });
    app.get("/__emulator/faults", (c) => c.json(faults.list()));
    app.post("/__emulator/faults", async (c) => {
        let body;
        try {
            body = await c.req.json();
        }
        catch {
            return c.json({ error: "body must be JSON" }, 400);
        }
        const b = body;
        const rules = Array.isArray(b)
            ? b
            : Array.isArray(b.rules)
                ? b.rules
                : [b];
        try {
            faults.add(rules);
        }
        catch (err) {
            return c.json({ error: err.message }, 400);
        }
        return c.json({ ok: true, rules: faults.list() });
    });
    app.delete("/__emulator/faults", (c) => {
        faults.clear();
        return c.json({ ok: true });
    });
    app.post("/__emulator/reset", async (c) => {
        await store.reset();
        entries.length = 0;
        faults.clear();
        limiter?.clear();
        for (const listener of ctx.changeListeners)
            listener();
        return c.json({ ok: true });
    });
    app.get("/__emulator/state", (c) => c.json((0, snapshot_1.stateSnapshot)(store)));
    app.route("/__emulator", (0, schedules_1.scheduledOperatorRoutes)(ctx));
    app.route("/__emulator", (0, tail_1.tailOperatorRoutes)(ctx));
    // What a customer's DNS would do on Cloudflare: the custom hostname's ownership and certificate validate.
    app.post("/__emulator/custom-hostnames/:hostname/activate", async (c) => {
        if (!(0, custom_hostnames_1.activateCustomHostname)(store, c.req.param("hostname")))
            return c.json({ error: "no such custom hostname" }, 404);
        await store.flush();
        for (const listener of ctx.changeListeners)
            listener();
        return c.json({ ok: true });
    });
    // ---- the API ----
    app.use(`${exports.API_PREFIX}/*`, journal(entries));
    app.use(`${exports.API_PREFIX}/*`, injectFaults(faults));
    app.use(`${exports.API_PREFIX}/*`, (0, loopback_1.refuseForeignOrigin)());
    app.use(`${exports.API_PREFIX}/*`, requireToken(opts));
    if (limiter)
        app.use(`${exports.API_PREFIX}/*`, rateLimit(limiter));
    app.use(`${exports.API_PREFIX}/*`, checkAccount());
    app.use(`${exports.API_PREFIX}/*`, persistMutations(ctx));
    app.route(WORKERS, (0, namespaces_1.namespaceRoutes)(ctx));
    app.route(WORKERS, (0, scripts_1.scriptRoutes)(ctx));
    app.route(WORKERS, (0, settings_1.settingsRoutes)(ctx));
    app.route(WORKERS, (0, tags_1.tagRoutes)(ctx));
    app.route(WORKERS, (0, secrets_1.secretRoutes)(ctx));
    app.route(WORKERS, (0, assets_1.assetRoutes)(ctx));
    app.route(`${exports.API_PREFIX}${kv_1.KV_ROUTE}`, (0, kv_1.kvRoutes)(ctx));
    app.route(WORKERS, (0, schedules_1.scheduleRoutes)(ctx));
    app.route(WORKERS, (0, worker_domains_1.workerDomainRoutes)(ctx));
    app.route(exports.API_PREFIX, (0, zones_1.zoneRoutes)(ctx));
    app.route(exports.API_PREFIX, (0, worker_routes_1.workerRouteRoutes)(ctx));
    app.route(exports.API_PREFIX, (0, custom_hostnames_1.customHostnameRoutes)(ctx));
    return { app, ctx, journal: entries, faults, limiter, options: opts };
}
/** The Hono app alone, for in-process use with `app.request()`. */
function createApp(options = {}) {
    return createEmulator(options).app;
}
