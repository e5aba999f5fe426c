/**
 * Client-side pacing under Cloudflare's API rate limit: 1200 requests per 5 minutes per token, and a token
 * that goes over is refused everything for the next 5 minutes. Retrying after a 429 is too late at that
 * point, so every request first takes a slot from its token's budget, shared by all the resources of the
 * provider process.
 *
 * The budget is a sliding window over our own sends, sized from the `Ratelimit-Policy` header
 * (`"burst";q=1200;w=300`) and kept honest by the `Ratelimit` header (`"default";r=<remaining>;t=<seconds>`):
 * when the server says fewer remain than we think (other clients share the token), we believe the server.
 * Until a response carries a policy, nothing is paced: a server without these headers sets no limit we know.
 */
import { createHash } from "node:crypto";

export interface RateLimitPolicy {
  quota: number;
  windowMs: number;
}

/** Slots kept free in every window: for clock skew between our sends and the server's arrivals. */
const HEADROOM = 0.02;
/** How far back sends are remembered before any policy is known (Cloudflare's window is 5 minutes). */
const UNPACED_MEMORY_MS = 600_000;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** `"burst";q=1200;w=300` → {quota: 1200, windowMs: 300000}. */
export function parseRateLimitPolicy(value: string | null): RateLimitPolicy | undefined {
  if (!value) return undefined;
  const q = /(?:^|;)\s*q=(\d+)/.exec(value);
  const w = /(?:^|;)\s*w=(\d+)/.exec(value);
  if (!q || !w) return undefined;
  const quota = Number(q[1]);
  const windowMs = Number(w[1]) * 1000;
  return quota > 0 && windowMs > 0 ? { quota, windowMs } : undefined;
}

/** `"default";r=50;t=30` → {remaining: 50, resetMs: 30000}. */
export function parseRateLimit(value: string | null): { remaining: number; resetMs: number } | undefined {
  if (!value) return undefined;
  const r = /(?:^|;)\s*r=(\d+)/.exec(value);
  const t = /(?:^|;)\s*t=(\d+)/.exec(value);
  if (!r) return undefined;
  return { remaining: Number(r[1]), resetMs: t ? Number(t[1]) * 1000 : 0 };
}

export class Pacer {
  private policy: RateLimitPolicy | undefined;
  /** Start times of our requests still inside the window, oldest first. */
  private sent: number[] = [];
  /** The server's word: no more than `remaining` until `until`. */
  private server: { remaining: number; until: number } | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly clock: Clock) {}

  /** Waits for a slot, then takes it. Callers are served in order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Learns the policy and the server's remaining count from a response's headers. */
  observe(headers: Headers | undefined): void {
    if (!headers) return;
    const policy = parseRateLimitPolicy(headers.get("ratelimit-policy"));
    if (policy) this.policy = policy;
    const state = parseRateLimit(headers.get("ratelimit"));
    if (state) this.server = { remaining: state.remaining, until: this.clock.now() + state.resetMs };
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const policy = this.policy;
      if (!policy) {
        // Remember recent sends, so a policy learnt later counts them.
        while (this.sent.length > 0 && this.sent[0]! <= now - UNPACED_MEMORY_MS) this.sent.shift();
        this.sent.push(now);
        return;
      }
      while (this.sent.length > 0 && this.sent[0]! <= now - policy.windowMs) this.sent.shift();
      const capacity = Math.max(1, Math.floor(policy.quota * (1 - HEADROOM)));
      let waitMs = this.sent.length >= capacity ? this.sent[this.sent.length - capacity]! + policy.windowMs - now : 0;
      // The server counts every client of the token. When it has fewer left than our own sends explain, others
      // share the token: then its word decides, until its window resets.
      const server = this.server;
      const ours = policy.quota - this.sent.length;
      const reserve = Math.ceil(policy.quota * HEADROOM);
      if (server && now < server.until && server.remaining < ours - reserve && server.remaining <= reserve) {
        waitMs = Math.max(waitMs, server.until - now);
      }
      if (waitMs <= 0) {
        this.sent.push(now);
        if (server) server.remaining--;
        return;
      }
      await this.clock.sleep(waitMs);
    }
  }
}

/**
 * Pacers by a hash of base URL and token: a cache, process-wide on purpose (every run and client of a token draws
 * from one budget); losing it costs only waits, which the server's headers then teach again.
 */
const pacerCache = new Map<string, Pacer>();

const realClock: Clock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** The process-wide pacer of a token (kept by a hash of it, never the token itself). */
export function pacerFor(token: string, baseUrl: string): Pacer {
  const key = createHash("sha256").update(`${baseUrl}\0${token}`).digest("hex");
  let pacer = pacerCache.get(key);
  if (!pacer) {
    pacer = new Pacer(realClock);
    pacerCache.set(key, pacer);
  }
  return pacer;
}
