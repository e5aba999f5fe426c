import { describe, expect, it } from "vitest";
import { Pacer, parseRateLimit, parseRateLimitPolicy } from "../../provider/api/pacer";

/** A clock that only moves when someone sleeps. */
function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    elapsed: () => t,
  };
}

const policyHeaders = (q: number, w: number, r?: number, reset?: number) =>
  new Headers({
    "ratelimit-policy": `"burst";q=${q};w=${w}`,
    ...(r === undefined ? {} : { ratelimit: `"default";r=${r};t=${reset ?? w}` }),
  });

describe("rate-limit headers", () => {
  it("parses Cloudflare's Ratelimit-Policy and Ratelimit", () => {
    expect(parseRateLimitPolicy('"burst";q=1200;w=300')).toEqual({ quota: 1200, windowMs: 300_000 });
    expect(parseRateLimit('"default";r=17;t=42')).toEqual({ remaining: 17, resetMs: 42_000 });
    expect(parseRateLimitPolicy(null)).toBeUndefined();
    expect(parseRateLimitPolicy('"burst";q=0;w=300')).toBeUndefined();
  });
});

describe("Pacer", () => {
  it("does not pace before a response has stated a policy", async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock);
    for (let i = 0; i < 5000; i++) await pacer.acquire();
    expect(clock.elapsed()).toBe(0);
  });

  it("never lets a window hold more than the quota less headroom, and wastes no time doing so", async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock);
    pacer.observe(policyHeaders(100, 10));
    const sends: number[] = [];
    for (let i = 0; i < 500; i++) {
      await pacer.acquire();
      sends.push(clock.now());
    }
    for (let i = 0; i < sends.length; i++) {
      const inWindow = sends.filter((t) => t > sends[i]! - 10_000 && t <= sends[i]!).length;
      expect(inWindow).toBeLessThanOrEqual(98);
    }
    // 98 per 10 s after the first burst: the limit itself imposes about (500 - 98) / 98 windows.
    expect(clock.elapsed()).toBeLessThanOrEqual(Math.ceil((500 - 98) / 98) * 10_000);
  });

  it("believes the server when it says fewer remain (another client shares the token)", async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock);
    pacer.observe(policyHeaders(1200, 300, 10, 60));
    for (let i = 0; i < 10; i++) await pacer.acquire();
    expect(clock.elapsed()).toBeGreaterThanOrEqual(60_000);
  });

  it("serves concurrent callers in order, one slot each", async () => {
    const clock = fakeClock();
    const pacer = new Pacer(clock);
    pacer.observe(policyHeaders(50, 1));
    const order: number[] = [];
    await Promise.all(Array.from({ length: 200 }, (_, i) => pacer.acquire().then(() => order.push(i))));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
