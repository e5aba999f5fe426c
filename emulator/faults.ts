/**
 * @module
 * Rate limiting and injected failures. Both take an injectable clock so tests can step through windows.
 */
import { compilePattern, type PathPattern } from "./pattern";

export interface RateLimitOptions {
  /** Requests allowed per window and credential. */
  limit: number;
  windowMs: number;
  /** How long a credential stays blocked once over the limit (default: windowMs, as Cloudflare blocks 5 minutes). */
  blockMs?: number;
}

/** What the limiter decided, with the numbers the `Ratelimit` headers carry (seconds, rounded up). */
export type RateDecision =
  | { allowed: true; limit: number; windowSeconds: number; remaining: number; resetSeconds: number }
  | { allowed: false; limit: number; windowSeconds: number; retryAfterSeconds: number };

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/**
 * Fixed windows per credential, each starting at the credential's first request after the previous one ended
 * (Cloudflare's headers speak of "the time the next window resets"). The request over the limit is refused and
 * blocks the credential for `blockMs`; every request until then is refused too, and a fresh window follows.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  check(key: string): RateDecision {
    const t = this.now();
    const { limit, windowMs } = this.opts;
    const windowSeconds = seconds(windowMs);
    const until = this.blockedUntil.get(key);
    if (until !== undefined) {
      if (t < until) return { allowed: false, limit, windowSeconds, retryAfterSeconds: seconds(until - t) };
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

  clear(): void {
    this.windows.clear();
    this.blockedUntil.clear();
  }
}

/** Cloudflare's rate-limit headers for a decision: `Ratelimit` and `Ratelimit-Policy`, plus `Retry-After` on a 429. */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const policy = `"burst";q=${d.limit};w=${d.windowSeconds}`;
  if (d.allowed) return { ratelimit: `"default";r=${d.remaining};t=${d.resetSeconds}`, "ratelimit-policy": policy };
  return { ratelimit: `"default";r=0;t=${d.retryAfterSeconds}`, "ratelimit-policy": policy, "retry-after": String(d.retryAfterSeconds) };
}

/** One injected failure, as posted to `POST /__emulator/faults`. */
export interface FaultRule {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /**
   * A path pattern in `URLPattern` pathname syntax (emulator/pattern.ts) matched against the whole request path (without query string, including
   * `/client/v4`): `*` matches any run of characters (slashes included), `:name` one segment, and `(regex)` a
   * group, e.g. `/client/v4/accounts/:account/workers/dispatch/namespaces/:ns/scripts/*`.
   */
  path: string;
  /** Status to answer with. Omit it (with `delayMs`) for a delay-only rule that then lets the request through. */
  status?: number;
  /** How many matching requests the rule fires for (default 1; 0 or negative = unlimited). */
  count?: number;
  /** Let this many matching requests pass before the rule starts firing. */
  after?: number;
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number;
  /** Delay before answering (or before passing the request on). */
  delayMs?: number;
  /** Destroy the socket instead of answering: a connection reset. */
  reset?: boolean;
  /** Cloudflare error code in the envelope (default 971 for 429, 10013 otherwise). */
  code?: number;
  message?: string;
  /** Extra response headers, e.g. `{"x-should-retry": "false"}`. */
  headers?: Record<string, string>;
  /**
   * Let the request through, but if it is the assets upload that completes its session, answer 202 `{}` instead
   * of 201 with the completion JWT, as Cloudflare was seen doing.
   */
  withholdCompletionJwt?: boolean;
}

interface ActiveRule {
  rule: FaultRule;
  matcher: PathPattern;
  seen: number;
  fired: number;
}

/** Compiles a rule's path (see {@link FaultRule.path}). Throws on an invalid pattern. */
export function compilePath(path: string): PathPattern {
  try {
    return compilePattern(path);
  } catch {
    throw new Error(`invalid fault path pattern ${JSON.stringify(path)}: use URLPattern pathname syntax (*, :name, (regex))`);
  }
}

export class FaultInjector {
  private rules: ActiveRule[] = [];

  add(rules: FaultRule[]): void {
    for (const rule of rules) {
      if (!rule || typeof rule.path !== "string") throw new Error("each fault rule needs a string `path`");
      if (rule.status === undefined && !rule.delayMs && !rule.reset && !rule.withholdCompletionJwt) {
        throw new Error("a fault rule needs `status`, `delayMs`, `reset` or `withholdCompletionJwt`");
      }
      this.rules.push({ rule, matcher: compilePath(rule.path), seen: 0, fired: 0 });
    }
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<FaultRule & { remaining: number | null }> {
    return this.rules.map((r) => {
      const count = r.rule.count ?? 1;
      return { ...r.rule, remaining: count > 0 ? count - r.fired : null };
    });
  }

  /** The first rule that fires for this request, counting it; undefined when none does. */
  match(method: string, path: string): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.rule.method && r.rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!r.matcher.test({ pathname: path })) continue;
      const count = r.rule.count ?? 1;
      if (count > 0 && r.fired >= count) continue;
      r.seen++;
      if (r.seen <= (r.rule.after ?? 0)) continue;
      r.fired++;
      return r.rule;
    }
    return undefined;
  }
}
