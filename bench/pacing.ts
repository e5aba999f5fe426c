/**
 * Pacing benchmark: 1,000 tenants' worth of API calls (5 each, as a first `pulumi up` makes) through the
 * provider's client against the emulator with Cloudflare's rate limit and lock-out, scaled in time: the same
 * 1200 requests per window, a window of BENCH_WINDOW_MS (default 6 s, 50× faster than Cloudflare's 5 minutes).
 * Reports the wall time beside the time the limit itself imposes and beside the same calls with no limit
 * (the machine's own bound, measured in the same run), and the 429s: any is a failure, since the 5-minute
 * lock-out that follows would stall a real run.
 *
 * Environment: BENCH_TENANTS (default 1000; 100 with BENCH_QUICK=1), BENCH_WINDOW_MS, BENCH_CONCURRENCY (requests
 * in flight, default 10).
 */
import { CloudflareApi } from "../provider/api/client";
import { operation } from "../provider/api/errors";
import { listNamespaces } from "../provider/api/namespaces";
import { envInt, quick, seconds, startTestEmulator, summarize, table } from "./lib";

const TENANTS = envInt("BENCH_TENANTS", quick() ? 100 : 1000);
const CALLS_PER_TENANT = 5;
const QUOTA = 1200;
const WINDOW_MS = envInt("BENCH_WINDOW_MS", 6000);
const CONCURRENCY = envInt("BENCH_CONCURRENCY", 10);

/** Makes `total` calls, CONCURRENCY at a time; returns the wall time and what the emulator saw. */
async function run(total: number, rateLimit: false | { limit: number; windowMs: number; blockMs: number }) {
  const emu = await startTestEmulator({ rateLimit });
  try {
    const api = new CloudflareApi(emu.credentials, {
      policy: { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 1000, maxRetryAfterMs: 60_000, deadlineMs: 600_000, timeoutMs: 30_000 },
    });
    const op = operation("Bench", "pacing", "list namespaces");
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < total) {
          next++;
          await listNamespaces(api, op);
        }
      }),
    );
    return { wall: Date.now() - started, calls: summarize(await emu.journal()) };
  } finally {
    await emu.close();
  }
}

async function main(): Promise<void> {
  const total = TENANTS * CALLS_PER_TENANT;
  // The reference: the same calls with no limit, measured in this run (the machine's own bound).
  const free = await run(total, false);
  const paced = await run(total, { limit: QUOTA, windowMs: WINDOW_MS, blockMs: WINDOW_MS });
  // The limit lets QUOTA through per window: the last call cannot start before the last window opens.
  const imposed = (Math.ceil(total / QUOTA) - 1) * WINDOW_MS;
  const bound = Math.max(imposed, free.wall);
  console.log(`\n## Pacing under the rate limit (${QUOTA} requests per ${WINDOW_MS / 1000} s window, lock-out ${WINDOW_MS / 1000} s)\n`);
  console.log(
    table(
      [
        "tenants",
        "calls",
        "paced wall",
        "imposed by the limit",
        "same calls unlimited",
        "paced / max(imposed, unlimited)",
        "429s",
        "failed",
      ],
      [
        [
          TENANTS,
          total,
          seconds(paced.wall),
          seconds(imposed),
          seconds(free.wall),
          (paced.wall / bound).toFixed(2),
          paced.calls.throttled,
          paced.calls.failed,
        ],
      ],
    ),
  );
  if (paced.calls.throttled > 0 || paced.calls.failed > 0) process.exitCode = 1;
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
