/**
 * @module
 * The operator endpoints under `/__emulator` (no auth, loopback only): the request journal, injected faults, reset,
 * the state snapshot, a custom hostname's activation, a cron run now and the live tail.
 */
import { type Context, Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context";
import type { FaultInjector, FaultRule, RateLimiter } from "../faults";
import { loopbackOnly } from "../loopback";
import { stateSnapshot } from "../model/snapshot";
import { activateCustomHostname } from "./custom-hostnames";

export interface JournalEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  /** HTTP status; 0 when an injected fault reset the connection. */
  status: number;
}

/** What the server keeps for its operator: the journal it records, its fault rules and its rate limiter. */
export interface OperatorHandles {
  journal: JournalEntry[];
  faults: FaultInjector;
  limiter: RateLimiter | undefined;
}

const HEARTBEAT_MS = 15_000;

export function operatorRoutes(ctx: EmulatorContext, { journal, faults, limiter }: OperatorHandles): Hono<AppEnv> {
  const { store } = ctx;
  const r = new Hono<AppEnv>();
  r.use("*", loopbackOnly());
  r.get("/requests", (c) => c.json(journal));
  r.delete("/requests", (c) => {
    journal.length = 0;
    return c.json({ ok: true });
  });
  r.get("/faults", (c) => c.json(faults.list()));
  r.post("/faults", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "body must be JSON" }, 400);
    }
    const b = body as { rules?: unknown } | FaultRule | FaultRule[];
    const rules = Array.isArray(b)
      ? b
      : Array.isArray((b as { rules?: unknown }).rules)
        ? (b as { rules: FaultRule[] }).rules
        : [b as FaultRule];
    try {
      faults.add(rules);
    } catch (err) {
      return c.json({ error: (err as Error).message }, 400);
    }
    return c.json({ ok: true, rules: faults.list() });
  });
  r.delete("/faults", (c) => {
    faults.clear();
    return c.json({ ok: true });
  });
  r.post("/reset", async (c) => {
    await store.reset();
    await ctx.storage?.reset();
    journal.length = 0;
    faults.clear();
    limiter?.clear();
    for (const listener of ctx.changeListeners) listener();
    return c.json({ ok: true });
  });
  r.get("/state", (c) => c.json(stateSnapshot(store)));
  // What a customer's DNS would do on Cloudflare: the custom hostname's ownership and certificate validate.
  r.post("/custom-hostnames/:hostname/activate", async (c) => {
    if (!activateCustomHostname(store, c.req.param("hostname"))) return c.json({ error: "no such custom hostname" }, 404);
    await store.flush();
    for (const listener of ctx.changeListeners) listener();
    return c.json({ ok: true });
  });
  r.post("/scheduled", (c) => runScheduled(ctx, c));
  r.get("/tail", (c) => liveTail(ctx, c));
  return r;
}

/**
 * `POST /scheduled?namespace=&script=&cron=&time=` runs the Worker's scheduled() now (no namespace: an
 * account-level Worker; `account` when several accounts have it). `cron` defaults to the Worker's first trigger,
 * `time` (ms since the epoch) to now. Answers `{outcome, noRetry}`.
 */
async function runScheduled(ctx: EmulatorContext, c: Context<AppEnv>): Promise<Response> {
  const { account, namespace, script, cron, time } = c.req.query();
  if (!script) return c.json({ error: "script is required (and namespace for a user Worker)" }, 400);
  const found = Object.entries(ctx.store.state.accounts).flatMap(([id, a]) => {
    if (account !== undefined && id !== account) return [];
    const container = namespace ? Object.values(a.namespaces).find((n) => n.name === namespace) : a.workers;
    const s = container?.scripts[script];
    return s ? [{ account: id, script: s }] : [];
  });
  const where = namespace ? `${namespace}/${script}` : script;
  if (found.length === 0) return c.json({ error: `no Worker ${where}` }, 404);
  if (found.length > 1) return c.json({ error: `${where} is in several accounts: say which with account=` }, 400);
  if (!ctx.scheduled) return c.json({ error: "the Workers runtime is not running: start the emulator with --workers-port" }, 409);
  const scheduledTime = time === undefined ? Date.now() : Number(time);
  if (!Number.isFinite(scheduledTime)) return c.json({ error: "time must be milliseconds since the epoch" }, 400);
  const { account: id, script: s } = found[0]!;
  try {
    const result = await ctx.scheduled({ account: id, namespace, script }, cron ?? s.schedules?.[0]?.cron ?? "", scheduledTime);
    return c.json(result);
  } catch (err) {
    return c.json({ error: (err as Error).message }, 500);
  }
}

/**
 * `GET /tail?script=&tenant=&namespace=` streams the Workers' invocations as NDJSON, one Cloudflare tail event a
 * line, as they finish; an empty line every 15 s keeps the connection open. `wfp-tail` reads it.
 */
function liveTail(ctx: EmulatorContext, c: Context<AppEnv>): Response {
  const hub = ctx.tail;
  if (!hub) return c.json({ error: "no tail: start the emulator with --workers-port and without --quiet-workers (workerLogs: true)" }, 409);
  const { script, tenant, namespace } = c.req.query();
  const encoder = new TextEncoder();
  let stop = (): void => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          stop();
        }
      };
      const unsubscribe = hub.subscribe({ script, tenant, namespace }, (e) => send(`${JSON.stringify(e)}\n`));
      const heartbeat = setInterval(() => send("\n"), HEARTBEAT_MS);
      stop = () => {
        unsubscribe();
        clearInterval(heartbeat);
      };
      c.req.raw.signal?.addEventListener("abort", () => stop());
      send("\n");
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" } });
}
