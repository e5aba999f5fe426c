/**
 * @module
 * The emulator's HTTP app: assembly only. Middleware, in order, for every `/client/v4` request:
 * journal → injected faults → foreign Origin → auth → rate limit → account id check → (routes) → persist after mutations.
 * One `onError` turns {@link ApiError} into the Cloudflare envelope; `notFound` answers 405 or 7003/7000.
 */
import { createHash } from "node:crypto";
import { Hono, type MiddlewareHandler } from "hono";
import { ApiError, Codes, errorEnvelope, noRoute } from "./model/errors";
import { FaultInjector, RateLimiter, rateLimitHeaders } from "./faults";
import { TokenSigner } from "./jwt";
import { ACCOUNT_ID_RE } from "../cloudflare/names";
import { refuseForeignOrigin } from "./loopback";
import { compilePattern, type PathPattern } from "./pattern";
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from "./options";
import { Store } from "./model/store";
import { StorageHost } from "./runtime/storage";
import type { AppEnv, EmulatorContext } from "./context";
import { namespaceRoutes } from "./routes/namespaces";
import { scriptRoutes } from "./routes/scripts";
import { settingsRoutes } from "./routes/settings";
import { tagRoutes } from "./routes/tags";
import { secretRoutes } from "./routes/secrets";
import { assetRoutes } from "./routes/assets";
import { KV_ROUTE, kvRoutes } from "./routes/kv";
import { D1_ROUTE, d1Routes } from "./routes/d1";
import { R2_ROUTE, r2Routes } from "./routes/r2";
import { durableObjectRoutes } from "./routes/durable-objects";
import { scheduleRoutes } from "./routes/schedules";
import { zoneRoutes } from "./routes/zones";
import { workerRouteRoutes } from "./routes/worker-routes";
import { workerDomainRoutes } from "./routes/worker-domains";
import { customHostnameRoutes } from "./routes/custom-hostnames";
import { type JournalEntry, operatorRoutes } from "./routes/operator";

export const API_PREFIX = "/client/v4";
const WORKERS = `${API_PREFIX}/accounts/:account_id/workers`;

/** The app plus the handles the operator endpoints and `startEmulator` need. */
export interface Emulator {
  app: Hono<AppEnv>;
  ctx: EmulatorContext;
  journal: JournalEntry[];
  faults: FaultInjector;
  limiter: RateLimiter | undefined;
  options: ResolvedOptions;
  /** Holds the D1 and R2 data (ctx.storage). */
  storage: StorageHost;
}

/** The journal keeps the most recent entries only, so a long-running emulator does not grow without bound. */
export const MAX_JOURNAL_ENTRIES = 100_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function userIdOf(credential: string): string {
  return createHash("sha256").update(credential).digest("hex").slice(0, 32);
}

function journal(entries: JournalEntry[]): MiddlewareHandler<AppEnv> {
  return async function recordRequest(c, next) {
    const url = new URL(c.req.url);
    const entry: JournalEntry = { method: c.req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
    entries.push(entry);
    if (entries.length > MAX_JOURNAL_ENTRIES) entries.splice(0, entries.length - MAX_JOURNAL_ENTRIES);
    await next();
    entry.status = c.res.headers.get("x-emulator-reset") === "1" ? 0 : c.res.status;
  };
}

function injectFaults(faults: FaultInjector): MiddlewareHandler<AppEnv> {
  return async function injectFault(c, next) {
    const rule = faults.match(c.req.method, new URL(c.req.url).pathname);
    if (!rule) return next();
    if (rule.delayMs) await sleep(rule.delayMs);
    if (rule.reset) {
      c.env?.incoming?.socket.destroy();
      return c.body(null, 500, { "x-emulator-reset": "1" });
    }
    if (rule.withholdCompletionJwt) c.set("withholdCompletionJwt", true);
    if (rule.status === undefined) return next();
    const headers: Record<string, string> = { ...(rule.headers ?? {}) };
    if (rule.retryAfter !== undefined) headers["retry-after"] = String(rule.retryAfter);
    const code = rule.code ?? (rule.status === 429 ? Codes.RATE_LIMITED : Codes.INTERNAL_ERROR);
    const message = rule.message ?? (rule.status === 429 ? "Please wait and consider throttling your request speed" : "Injected fault");
    return c.json(errorEnvelope([{ code, message }]), rule.status as 500, headers);
  };
}

function requireToken(opts: ResolvedOptions): MiddlewareHandler<AppEnv> {
  const tokens = new Set(opts.tokens);
  return async function requireTokenMw(c, next) {
    const auth = c.req.header("authorization");
    const key = c.req.header("x-auth-key");
    const email = c.req.header("x-auth-email");
    const serviceKey = c.req.header("x-auth-user-service-key");
    let credential: string;
    if (auth !== undefined) {
      const m = /^Bearer +(\S+) *$/.exec(auth);
      if (!m) {
        throw new ApiError(400, Codes.INVALID_HEADERS, "Invalid request headers", {
          chain: [{ code: Codes.INVALID_AUTH_FORMAT, message: "Invalid format for Authorization header" }],
        });
      }
      credential = m[1]!;
    } else if (key !== undefined && email !== undefined) {
      credential = key; // [I] X-Auth-Email + X-Auth-Key: the key must be one of the tokens.
    } else if (serviceKey !== undefined) {
      credential = serviceKey;
    } else {
      throw new ApiError(400, Codes.MISSING_AUTH, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
    }
    // The assets upload takes only the upload JWT, which its route verifies; API tokens are refused there.
    const isUpload = /\/workers\/assets\/upload$/.test(new URL(c.req.url).pathname);
    if (!isUpload && !tokens.has(credential)) throw new ApiError(403, Codes.AUTH_ERROR, "Authentication error");
    c.set("credential", credential);
    c.set("userId", userIdOf(credential));
    return next();
  };
}

function rateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async function rateLimitMw(c, next) {
    const d = limiter.check(c.var.credential);
    const headers = rateLimitHeaders(d);
    if (!d.allowed) throw new ApiError(429, Codes.RATE_LIMITED, "Please wait and consider throttling your request speed", { headers });
    await next();
    // Every answer carries them, errors included.
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}

function checkAccount(): MiddlewareHandler<AppEnv> {
  return async function checkAccountMw(c, next) {
    const m = /^\/client\/v4\/accounts\/([^/]+)(\/|$)/.exec(new URL(c.req.url).pathname);
    if (m && !ACCOUNT_ID_RE.test(m[1]!)) throw noRoute(new URL(c.req.url).pathname.slice(API_PREFIX.length));
    return next();
  };
}

/**
 * A mutating request is answered once its change is persisted. A change that cannot be (the write failed, or the
 * handler failed half-way) is rolled back in memory, and every request whose change went with it answers 500.
 */
function persistMutations(ctx: EmulatorContext): MiddlewareHandler<AppEnv> {
  const { store } = ctx;
  return async function persist(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const generation = store.generation;
    await next();
    try {
      if (c.error && !(c.error instanceof ApiError) && store.changed) store.rollback();
      else await store.flush();
    } finally {
      // KV, D1 and R2 data is not what the Workers run: the runtime reads it at each call.
      if (!c.req.path.includes("/storage/kv/") && !/\/d1\/database\/[^/]+\/(query|raw)$|\/r2\/buckets\/[^/]+\/objects\//.test(c.req.path))
        for (const listener of ctx.changeListeners) listener();
    }
    if (store.generation !== generation && !c.error)
      throw new Error("the change could not be persisted and was rolled back; nothing was changed");
  };
}

const METHOD_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Unknown routes: 405 with `Allow` for a known path and another method, else 7003 + 7000 (or a plain 404 off the API). */
function notFound(app: Hono<AppEnv>): (c: Parameters<Parameters<Hono<AppEnv>["notFound"]>[0]>[0]) => Response {
  let known: Array<{ pattern: PathPattern; methods: string[] }> | undefined;
  // The registered routes themselves say which paths exist, read once all are mounted.
  const knownRoutes = () => {
    if (known) return known;
    const byPath = new Map<string, Set<string>>();
    for (const r of app.routes)
      if (r.method !== "ALL" && r.path.startsWith(API_PREFIX)) byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(r.method));
    known = [...byPath].map(([path, methods]) => ({
      pattern: compilePattern(path),
      methods: METHOD_ORDER.filter((m) => methods.has(m)),
    }));
    return known;
  };
  return (c) => {
    const path = new URL(c.req.url).pathname;
    if (!path.startsWith(`${API_PREFIX}/`)) return c.json({ error: "not found" }, 404);
    const route = knownRoutes().find((r) => r.pattern.test({ pathname: path }));
    if (route && !route.methods.includes(c.req.method)) {
      const error = { code: Codes.METHOD_NOT_ALLOWED, message: `Method ${c.req.method} not allowed for this route` };
      return c.json(errorEnvelope([error]), 405, { allow: route.methods.join(", ") });
    }
    return c.json(errorEnvelope(noRoute(path.slice(API_PREFIX.length)).errors), 404);
  };
}

/** Builds the emulator: the Hono app and its state. */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const opts = resolveOptions(options);
  const store = new Store(opts.dataDir);
  const signer = new TokenSigner(store.jwtSecret, opts.jwtTtlSeconds, opts.now);
  // Started at the first D1 or R2 call.
  const storage = new StorageHost(store, opts.dataDir);
  const ctx: EmulatorContext = { store, opts, signer, storage, changeListeners: [] };
  const entries: JournalEntry[] = [];
  const faults = new FaultInjector();
  const limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit, opts.now) : undefined;

  const app = new Hono<AppEnv>();

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorEnvelope(err.errors), err.status as 400, err.headers);
    if (opts.log) console.error("[wfp-emulator] internal error:", err);
    return c.json(errorEnvelope([{ code: Codes.INTERNAL_ERROR, message: `Internal emulator error: ${(err as Error).message}` }]), 500);
  });
  app.notFound(notFound(app));

  // ---- operator endpoints (no auth; loopback only) ----
  app.route("/__emulator", operatorRoutes(ctx, { journal: entries, faults, limiter }));

  // ---- the API ----
  app.use(`${API_PREFIX}/*`, journal(entries));
  app.use(`${API_PREFIX}/*`, injectFaults(faults));
  app.use(`${API_PREFIX}/*`, refuseForeignOrigin());
  app.use(`${API_PREFIX}/*`, requireToken(opts));
  if (limiter) app.use(`${API_PREFIX}/*`, rateLimit(limiter));
  app.use(`${API_PREFIX}/*`, checkAccount());
  app.use(`${API_PREFIX}/*`, persistMutations(ctx));

  app.route(WORKERS, namespaceRoutes(ctx));
  app.route(WORKERS, scriptRoutes(ctx));
  app.route(WORKERS, settingsRoutes(ctx));
  app.route(WORKERS, tagRoutes(ctx));
  app.route(WORKERS, secretRoutes(ctx));
  app.route(WORKERS, assetRoutes(ctx));
  app.route(`${API_PREFIX}${KV_ROUTE}`, kvRoutes(ctx));
  app.route(`${API_PREFIX}${D1_ROUTE}`, d1Routes(ctx));
  app.route(`${API_PREFIX}${R2_ROUTE}`, r2Routes(ctx));
  app.route(WORKERS, scheduleRoutes(ctx));
  app.route(WORKERS, durableObjectRoutes(ctx));
  app.route(WORKERS, workerDomainRoutes(ctx));
  app.route(API_PREFIX, zoneRoutes(ctx));
  app.route(API_PREFIX, workerRouteRoutes(ctx));
  app.route(API_PREFIX, customHostnameRoutes(ctx));

  return { app, ctx, journal: entries, faults, limiter, options: opts, storage };
}

/** The Hono app alone, for in-process use with `app.request()`. */
export function createApp(options: EmulatorOptions = {}): Hono<AppEnv> {
  return createEmulator(options).app;
}
