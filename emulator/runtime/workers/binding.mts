/**
 * @module
 * The dispatch namespace binding (a wrapped binding): `get(name, args?, {limits?, outbound?})` returns a Fetcher
 * for the namespace's user Worker `name`, run by the namespace's host (`HOST`). A missing Worker: get() succeeds
 * and fetch() rejects, as on Cloudflare. `OUTBOUND` (index of the host's `__WFP_OUT_<i>`) and `PARAMS` come from
 * the binding's config; the caller's own internal headers are dropped.
 *
 * Self-contained: workerd takes a wrapped binding as a single module, so its constants are internal.mts's copies
 * (a test holds them equal, through `headers` on the default export: workerd refuses any other named export of a
 * Worker module that is not a handler).
 */
import type { DispatchInfo, Fetcher } from "./internal.mjs";

const INTERNAL_PREFIX = "x-wfp-internal-";
const SCRIPT_HEADER = `${INTERNAL_PREFIX}script`;
const MISSING_HEADER = `${INTERNAL_PREFIX}missing`;

function stripInternal(request: Request): Request {
  for (const name of [...request.headers.keys()]) if (name.startsWith(INTERNAL_PREFIX)) request.headers.delete(name);
  return request;
}

interface BindingEnv {
  HOST: Fetcher;
  OUTBOUND?: number | null;
  PARAMS?: string[];
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
          const response = await env.HOST.fetch(request);
          if (response.headers.has(MISSING_HEADER)) throw new Error("Worker not found.");
          return response;
        },
      };
    },
  };
}

export default Object.assign(dispatchNamespace, { headers: { INTERNAL_PREFIX, SCRIPT_HEADER, MISSING_HEADER } });
