"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.FaultInjector = exports.RateLimiter = void 0;
exports.rateLimitHeaders = rateLimitHeaders;
exports.compilePath = compilePath;
/**
 * @module
 * Rate limiting and injected failures. Both take an injectable clock so tests can step through windows.
 */
const pattern_1 = require("./pattern");
const seconds = (ms) => Math.max(1, Math.ceil(ms / 1000));
/**
 * Fixed windows per credential, each starting at the credential's first request after the previous one ended
 * (Cloudflare's headers speak of "the time the next window resets"). The request over the limit is refused and
 * blocks the credential for `blockMs`; every request until then is refused too, and a fresh window follows.
 */
class RateLimiter {
    opts;
    now;
    windows = new Map();
    blockedUntil = new Map();
    constructor(opts, now = Date.now) {
        this.opts = opts;
        this.now = now;
    }
    check(key) {
        const t = this.now();
        const { limit, windowMs } = this.opts;
        const windowSeconds = seconds(windowMs);
        const until = this.blockedUntil.get(key);
        if (until !== undefined) {
            if (t < until)
                return { allowed: false, limit, windowSeconds, retryAfterSeconds: seconds(until - t) };
            this.blockedUntil.delete(key);
            this.windows.delete(key);
        }
        let w = this.windows.get(key);
        if (!w || t >= w.start + windowMs) {
            w = { start: t, count: 0 };
            this.windows.set(key, w);
        }
        if (w.count >= limit) {
            const blockMs = this.opts.blockMs ?? windowMs;
            this.blockedUntil.set(key, t + blockMs);
            return { allowed: false, limit, windowSeconds, retryAfterSeconds: seconds(blockMs) };
        }
        w.count++;
        return { allowed: true, limit, windowSeconds, remaining: limit - w.count, resetSeconds: seconds(w.start + windowMs - t) };
    }
    clear() {
        this.windows.clear();
        this.blockedUntil.clear();
    }
}
exports.RateLimiter = RateLimiter;
/** Cloudflare's rate-limit headers for a decision: `Ratelimit` and `Ratelimit-Policy`, plus `Retry-After` on a 429. */
function rateLimitHeaders(d) {
    const policy = `"burst";q=${d.limit};w=${d.windowSeconds}`;
    if (d.allowed)
        return { ratelimit: `"default";r=${d.remaining};t=${d.resetSeconds}`, "ratelimit-policy": policy };
    return { ratelimit: `"default";r=0;t=${d.retryAfterSeconds}`, "ratelimit-policy": policy, "retry-after": String(d.retryAfterSeconds) };
}
/** Compiles a rule's path (see {@link FaultRule.path}). Throws on an invalid pattern. */
function compilePath(path) {
    try {
        return (0, pattern_1.compilePattern)(path);
    }
    catch {
        throw new Error(`invalid fault path pattern ${JSON.stringify(path)}: use URLPattern pathname syntax (*, :name, (regex))`);
    }
}
class FaultInjector {
    rules = [];
    add(rules) {
        for (const rule of rules) {
            if (!rule || typeof rule.path !== "string")
                throw new Error("each fault rule needs a string `path`");
            if (rule.status === undefined && !rule.delayMs && !rule.reset && !rule.withholdCompletionJwt) {
                throw new Error("a fault rule needs `status`, `delayMs`, `reset` or `withholdCompletionJwt`");
            }
            this.rules.push({ rule, matcher: compilePath(rule.path), seen: 0, fired: 0 });
        }
    }
    clear() {
        this.rules = [];
    }
    list() {
        return this.rules.map((r) => {
            const count = r.rule.count ?? 1;
            return { ...r.rule, remaining: count > 0 ? count - r.fired : null };
        });
    }
    /** The first rule that fires for this request, counting it; undefined when none does. */
    match(method, path) {
        for (const r of this.rules) {
            if (r.rule.method && r.rule.method.toUpperCase() !== method.toUpperCase())
                continue;
            if (!r.matcher.test({ pathname: path }))
                continue;
            const count = r.rule.count ?? 1;
            if (count > 0 && r.fired >= count)
                continue;
            r.seen++;
            if (r.seen <= (r.rule.after ?? 0))
                continue;
            r.fired++;
            return r.rule;
        }
        return undefined;
    }
}
exports.FaultInjector = FaultInjector;
