/**
 * @module
 * The wrapper of a modules-format Worker's default export (the entry the runtime generates imports the deployed
 * main module and this). An account-level Worker (no budget) drops internal env keys, takes outbound params only with
 * the runtime's token, and reports unsupported bindings; a user Worker (with its subrequest budget) counts its
 * subrequests. Every internal header is stripped before the deployed code sees the request.
 */
import type { AsyncLocalStorage } from "node:async_hooks";
import {
  DISPATCH_HEADER,
  exceptionResponse,
  OUTBOUND_HEADER,
  stripInternal,
  TOKEN_HEADER,
  type Unsupported,
  unsupported,
} from "./internal.mjs";
import type { Budget } from "./patch.mjs";
import { storageBindings } from "./storage-client.mjs";

type Env = Record<string, unknown>;
type Handler = (this: unknown, arg: unknown, env: Env, ctx: unknown) => unknown;
type Handlers = Record<string, unknown>;

const cleaned = new WeakMap<Env, Env>();

/** The env without the runtime's `__WFP_*` keys, its D1 and R2 bindings built. */
function clean(env: Env): Env {
  let e = cleaned.get(env);
  if (!e) {
    e = {};
    for (const k of Object.keys(env)) if (!k.startsWith("__WFP_")) e[k] = env[k];
    storageBindings(env, e);
    cleaned.set(env, e);
  }
  return e;
}

function accountFetch(h: Handlers, request: Request, env: Env, ctx: unknown): unknown {
  const refused = unsupported((env.__WFP_CONFIG as { unsupported?: Unsupported[] } | undefined)?.unsupported);
  if (refused) return refused;
  const trusted = env.__WFP_TOKEN !== undefined && request.headers.get(TOKEN_HEADER) === env.__WFP_TOKEN;
  const p = trusted ? request.headers.get(OUTBOUND_HEADER) : null;
  const e = p === null ? clean(env) : { ...clean(env), ...(JSON.parse(p) as Env) };
  const run = () => (h.fetch as Handler).call(h, stripInternal(request), e, ctx);
  if (!trusted) return run();
  // From a namespace's host in the tenant pool (an outbound call): its exception goes back as one.
  return (async () => {
    try {
      return await run();
    } catch (error) {
      return exceptionResponse(error);
    }
  })();
}

function userFetch(h: Handlers, als: AsyncLocalStorage<Budget>, request: Request, env: Env, ctx: unknown): unknown {
  const d = request.headers.get(DISPATCH_HEADER);
  const limits = d === null ? null : (JSON.parse(d) as { l?: { subRequests?: unknown } }).l;
  const remaining = typeof limits?.subRequests === "number" ? limits.subRequests : Number.POSITIVE_INFINITY;
  return als.run({ remaining }, () => (h.fetch as Handler).call(h, stripInternal(request), clean(env), ctx));
}

export function wrap(h: unknown, als?: AsyncLocalStorage<Budget>): unknown {
  if (typeof h !== "object" || h === null) return h;
  const handlers = h as Handlers;
  const out: Handlers = {};
  for (const [k, v] of Object.entries(handlers))
    out[k] = typeof v === "function" ? (a: unknown, env: Env, ctx: unknown) => (v as Handler).call(handlers, a, clean(env), ctx) : v;
  if (typeof handlers.fetch === "function")
    out.fetch = (request: Request, env: Env, ctx: unknown) =>
      als ? userFetch(handlers, als, request, env, ctx) : accountFetch(handlers, request, env, ctx);
  return out;
}
