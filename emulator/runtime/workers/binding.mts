/**
 * @module
 * The dispatch namespace binding (a wrapped binding): `get(name, args?, {limits?, outbound?})` returns a Fetcher
 * for the namespace's user Worker `name`, run by the namespace's host (`HOST`). A missing Worker: get() succeeds
 * and fetch() rejects, as on Cloudflare. `OUTBOUND` (index of the host's `__WFP_OUT_<i>`) and `PARAMS` come from
 * the binding's config; the caller's own internal headers are dropped.
 *
 * Under `SUPERVISOR` (an account-level Worker's binding; the host is in the tenant pool's process, pool.ts): an
 * invocation still running past its CPU budget is reported to it, and fails with Cloudflare's CPU error when the pool
 * was found spinning; one whose connection a pool restart cut is sent once more, or fails with the death's error.
 *
 * Self-contained: workerd takes a wrapped binding as a single module, so its constants are internal.mts's copies
 * (a test holds them equal, through `headers` on the default export: workerd refuses any other named export of a
 * Worker module that is not a handler).
 */
import type { DispatchInfo, Fetcher } from "./internal.mjs";

const INTERNAL_PREFIX = "x-wfp-internal-";
const SCRIPT_HEADER = `${INTERNAL_PREFIX}script`;
const MISSING_HEADER = `${INTERNAL_PREFIX}missing`;
const EXCEPTION_HEADER = `${INTERNAL_PREFIX}exception`;

function stripInternal(request: Request): Request {
  for (const name of [...request.headers.keys()]) if (name.startsWith(INTERNAL_PREFIX)) request.headers.delete(name);
  return request;
}

interface BindingEnv {
  HOST: Fetcher;
  OUTBOUND?: number | null;
  PARAMS?: string[];
  /** The plan's CPU budget per invocation, in ms, and the supervisor (both absent inside the pool). */
  CPU_MS?: number;
  SUPERVISOR?: Fetcher;
}

const ERRORS: Record<string, string> = {
  exceededCpu: "Worker exceeded CPU time limit.",
  exceededMemory: "Worker exceeded memory limit.",
};
/** How often a long invocation is checked again once past its budget (ms): waiting on I/O costs no CPU. */
const RECHECK_MS = 250;

const TIMEOUT = Symbol("timeout");

/** `promise`'s value, or TIMEOUT after `ms` (the timer cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `request` to the host under the supervisor: see the module's comment. */
async function supervised(env: BindingEnv & { SUPERVISOR: Fetcher }, request: Request, script: string, budget: number): Promise<Response> {
  const ask = async (path: string, body: Record<string, unknown>): Promise<string> => {
    const r = await env.SUPERVISOR.fetch(`http://supervisor/${path}`, { method: "POST", body: JSON.stringify(body) });
    return ((await r.json()) as { verdict: string }).verdict;
  };
  const what = { script, url: request.url, method: request.method };
  // The body, kept for a second attempt.
  const spare = request.body === null ? undefined : request.clone();
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    type Sent = { response?: Response; error?: unknown };
    const sent = env.HOST.fetch(attempt === 0 || !spare ? request : spare).then(
      (response): Sent => ({ response }),
      (error: unknown): Sent => ({ error }),
    );
    let outcome = await within(sent, budget);
    const every = Math.max(budget, RECHECK_MS);
    while (outcome === TIMEOUT) {
      const verdict = await ask("check", { started, budget, every, ...what });
      if (ERRORS[verdict]) throw new Error(ERRORS[verdict]);
      outcome = await within(sent, every);
    }
    if (outcome.response) return outcome.response;
    const verdict = await ask("lost", { started, attempt, ...what });
    if (verdict === "retry" && attempt === 0) continue;
    throw ERRORS[verdict] ? new Error(ERRORS[verdict]) : outcome.error;
  }
}

interface GetOptions {
  outbound?: Record<string, unknown>;
  limits?: DispatchInfo["l"];
}

function dispatchNamespace(env: BindingEnv) {
  return {
    get(name: unknown, _args?: unknown, options?: GetOptions): Fetcher {
      const outbound = options?.outbound ?? {};
      const params: Record<string, unknown> = {};
      for (const n of env.PARAMS ?? []) if (n in outbound) params[n] = outbound[n];
      const info: DispatchInfo = { name: String(name), o: env.OUTBOUND ?? null, p: params, l: options?.limits ?? null };
      return {
        async fetch(input, init) {
          // A new Request: its headers are its own to change.
          const request = stripInternal(new Request(input, init));
          request.headers.set(SCRIPT_HEADER, JSON.stringify(info));
          const budget = typeof info.l?.cpuMs === "number" && info.l.cpuMs > 0 ? info.l.cpuMs : env.CPU_MS;
          const response =
            env.SUPERVISOR && budget !== undefined
              ? await supervised(env as BindingEnv & { SUPERVISOR: Fetcher }, request, info.name, budget)
              : await env.HOST.fetch(request);
          if (response.headers.has(MISSING_HEADER)) throw new Error("Worker not found.");
          // The user Worker's exception (internal.mts `exceptionResponse`), thrown as Cloudflare's binding does.
          const e = response.headers.get(EXCEPTION_HEADER);
          if (e !== null) {
            const { name, message } = JSON.parse(decodeURIComponent(e)) as { name: string; message: string };
            throw Object.assign(new Error(message), { name });
          }
          return response;
        },
      };
    },
  };
}

export default Object.assign(dispatchNamespace, { headers: { INTERNAL_PREFIX, SCRIPT_HEADER, MISSING_HEADER, EXCEPTION_HEADER } });
