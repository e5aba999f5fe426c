/**
 * @module
 * JavaScript that runs inside workerd beside the deployed code: the entry wrapper every modules-format Worker gets,
 * the global fetch() hook that sends a dispatched user Worker's subrequests to its outbound Worker, the dispatch
 * namespace binding, the host that loads a user Worker's current code, and the upload validator.
 *
 * Internal state travels in `x-wfp-internal-*` request headers, which the workers port strips from outside
 * requests and the wrapper strips before the deployed code sees the request.
 */

/** Set by the dispatch binding on a request to a user Worker: `{o: outbound index | null, p: params, l: limits}`. */
export const DISPATCH_HEADER = "x-wfp-internal-dispatch";
/** Set by the fetch hook on a request to an outbound Worker: the outbound params, as JSON. */
export const OUTBOUND_HEADER = "x-wfp-internal-outbound";
/** Carries the runtime's token on a request that hands a user Worker's host its new code. */
export const CONTROL_HEADER = "x-wfp-internal-control";
export const INTERNAL_HEADER_PREFIX = "x-wfp-internal-";

export const PATCH_MODULE = "__wfp_patch.js";
export const ENTRY_MODULE = "__wfp_entry.js";

/**
 * Evaluated before the deployed modules (the entry imports it first), so even a fetch captured at startup is the
 * hooked one. Per-request state lives in AsyncLocalStorage: concurrent requests in one isolate stay apart.
 */
export const PATCH_SOURCE = `import { AsyncLocalStorage } from "node:async_hooks";
export const als = new AsyncLocalStorage();
const realFetch = globalThis.fetch;
globalThis.fetch = function fetch(input, init) {
  const c = als.getStore();
  if (!c) return realFetch(input, init);
  if (c.remaining <= 0) return Promise.reject(new Error("Too many subrequests."));
  c.remaining--;
  if (!c.outbound) return realFetch(input, init);
  const request = new Request(input, init);
  request.headers.set(${JSON.stringify(OUTBOUND_HEADER)}, JSON.stringify(c.params));
  return c.outbound.fetch(request);
};
`;

/** The entry of a modules-format Worker: re-exports the deployed main module, wrapping its default handlers. */
export function entrySource(mainModule: string): string {
  const main = JSON.stringify(`./${mainModule}`);
  return `import { als } from "./${PATCH_MODULE}";
import * as user from ${main};
export * from ${main};
const DISPATCH = ${JSON.stringify(DISPATCH_HEADER)};
const OUTBOUND = ${JSON.stringify(OUTBOUND_HEADER)};
const cleaned = new WeakMap();
function clean(env) {
  let e = cleaned.get(env);
  if (!e) {
    e = {};
    for (const k of Object.keys(env)) if (!k.startsWith("__WFP_")) e[k] = env[k];
    cleaned.set(env, e);
  }
  return e;
}
function unsupported(env) {
  const list = env.__WFP_CONFIG.unsupported;
  if (list.length === 0) return undefined;
  const what = list.map((b) => b.name + " (" + b.type + (b.reason ? ": " + b.reason : "") + ")").join(", ");
  return new Response("wfp-emulator: this Worker has bindings the local runtime cannot provide: " + what + "\\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
}
function wrap(h) {
  if (typeof h !== "object" || h === null) return h;
  const out = {};
  for (const k of Object.keys(h)) {
    out[k] = typeof h[k] === "function" ? (a, env, ctx) => h[k].call(h, a, clean(env), ctx) : h[k];
  }
  if (typeof h.fetch === "function") {
    out.fetch = (request, env, ctx) => {
      const refused = unsupported(env);
      if (refused) return refused;
      const d = request.headers.get(DISPATCH);
      const p = request.headers.get(OUTBOUND);
      let e = clean(env);
      if (d !== null || p !== null) {
        request = new Request(request);
        request.headers.delete(DISPATCH);
        request.headers.delete(OUTBOUND);
      }
      if (p !== null) e = { ...e, ...JSON.parse(p) };
      const info = d === null ? null : JSON.parse(d);
      const limit = info && info.l && typeof info.l.subRequests === "number" ? info.l.subRequests : Infinity;
      const outbound = info && info.o !== null ? env["__WFP_OUT_" + info.o] : undefined;
      const state = { outbound, params: (info && info.p) || {}, remaining: limit };
      return als.run(state, () => h.fetch(request, e, ctx));
    };
  }
  return out;
}
export default wrap(user.default);
`;
}

/**
 * The dispatch namespace binding (a wrapped binding): `get(name, args?, {limits?, outbound?})` returns a Fetcher
 * for the user Worker `S_<name>`. A missing Worker: get() succeeds and fetch() rejects, as on Cloudflare.
 * `OUTBOUND` (index into the user Workers' `__WFP_OUT_<i>`) and `PARAMS` come from the binding's config.
 */
export const NAMESPACE_SOURCE = `export default function (env) {
  return {
    get(name, args, options) {
      const target = env["S_" + name];
      const outbound = (options && options.outbound) || {};
      const params = {};
      for (const n of env.PARAMS || []) if (n in outbound) params[n] = outbound[n];
      const info = JSON.stringify({ o: env.OUTBOUND ?? null, p: params, l: (options && options.limits) || null });
      return {
        fetch(input, init) {
          if (!target) return Promise.reject(new Error("Worker not found."));
          const request = new Request(input, init);
          request.headers.set(${JSON.stringify(DISPATCH_HEADER)}, info);
          return target.fetch(request);
        },
      };
    },
  };
}
`;

/** Turns the wire form of loader modules (binary as base64) into what the Worker Loader takes. */
const DECODE_SOURCE = `function decode(b64) { const s = atob(b64); const u = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return u.buffer; }
function loaderModules(modules) {
  const all = {};
  for (const [name, m] of Object.entries(modules)) all[name] = m.wasm !== undefined ? { wasm: decode(m.wasm) } : m.data !== undefined ? { data: decode(m.data) } : m;
  return all;
}`;

/**
 * The service of a modules-format user Worker: it loads the Worker's code with the Worker Loader, so new code, new
 * secrets or new binding values are live without restarting workerd. The code comes in the `__WFP_CODE` binding
 * at start and from the runtime (a request with the control header and token) after each change; a version is
 * loaded once. The loaded Worker gets the host's bindings: Fetchers as they are, KV and dispatch namespaces through
 * RPC entrypoints (they cannot be passed).
 */
export const HOST_SOURCE = `import { RpcTarget, WorkerEntrypoint } from "cloudflare:workers";
${DECODE_SOURCE}
export class WfpKv extends WorkerEntrypoint {
  get(...a) { return this.env[this.ctx.props.b].get(...a); }
  getWithMetadata(...a) { return this.env[this.ctx.props.b].getWithMetadata(...a); }
  put(...a) { return this.env[this.ctx.props.b].put(...a); }
  delete(...a) { return this.env[this.ctx.props.b].delete(...a); }
  list(...a) { return this.env[this.ctx.props.b].list(...a); }
}
class Target extends RpcTarget {
  constructor(fetcher) { super(); this.fetcher = fetcher; }
  fetch(input, init) { return this.fetcher.fetch(input, init); }
}
export class WfpDispatch extends WorkerEntrypoint {
  get(name, args, options) { return new Target(this.env[this.ctx.props.b].get(name, args, options)); }
}
let pushed;
export default {
  async fetch(request, env, ctx) {
    if (request.headers.get(${JSON.stringify(CONTROL_HEADER)}) === env.__WFP_TOKEN) {
      pushed = await request.json();
      return new Response(null, { status: 204 });
    }
    const code = pushed ?? env.__WFP_CODE;
    const shape = env.__WFP_SHAPE;
    const worker = env.LOADER.get(code.version, () => {
      const e = { ...code.values, __WFP_CONFIG: { unsupported: code.unsupported } };
      for (const n of shape.pass) e[n] = env[n];
      for (const n of shape.kv) e[n] = ctx.exports.WfpKv({ props: { b: n } });
      for (const n of shape.dispatch) e[n] = ctx.exports.WfpDispatch({ props: { b: n } });
      return { compatibilityDate: code.compatibilityDate, compatibilityFlags: code.compatibilityFlags, mainModule: code.mainModule, modules: loaderModules(code.modules), env: e };
    });
    return worker.getEntrypoint().fetch(request);
  },
};
`;

/**
 * Loads an uploaded Worker with the Worker Loader and reports its handlers, or the startup error. The probe module
 * imports the main module, so a syntax error or a throw at startup fails the load.
 */
export const VALIDATOR_SOURCE = `const PROBE = "__wfp_probe.js";
const HANDLERS = ["fetch", "scheduled", "queue", "tail", "email", "trace", "alarm"];
${DECODE_SOURCE}
export default {
  async fetch(request, env) {
    const { id, modules, mainModule, compatibilityDate, compatibilityFlags } = await request.json();
    const all = loaderModules(modules);
    all[PROBE] = { js: "import * as m from " + JSON.stringify("./" + mainModule) + ";" +
      "const H = " + JSON.stringify(HANDLERS) + ";" +
      "export default { fetch() { const d = m.default; const handlers = [];" +
      " if (typeof d === 'function') handlers.push('class');" +
      " else if (d && typeof d === 'object') for (const k of H) if (typeof d[k] === 'function') handlers.push(k);" +
      " for (const [k, v] of Object.entries(m)) if (k !== 'default' && typeof v === 'function') handlers.push(k);" +
      " return Response.json({ handlers }); } };" };
    const worker = env.LOADER.get(id, () => ({ compatibilityDate, compatibilityFlags, mainModule: PROBE, modules: all, globalOutbound: null }));
    try {
      const r = await worker.getEntrypoint().fetch("http://validate/");
      return new Response(await r.text(), { status: 200 });
    } catch (e) {
      return Response.json({ error: String(e && e.message ? e.message : e) });
    }
  },
};
`;
