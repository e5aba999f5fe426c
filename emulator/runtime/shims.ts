/**
 * @module
 * JavaScript that runs inside workerd beside the deployed code: the entry wrapper every modules-format Worker gets,
 * the global fetch() hook that sends a dispatched user Worker's subrequests to its outbound Worker, the dispatch
 * namespace binding, the host that loads a user Worker's current code, and the upload validator.
 *
 * Internal state travels in `x-wfp-internal-*` request headers, which the front Worker strips from outside
 * requests and the wrapper strips before the deployed code sees the request.
 */

/** Set by a namespace's host on a request to a user Worker: `{l: limits}`. */
export const DISPATCH_HEADER = "x-wfp-internal-dispatch";
/** Set by a namespace's host on a request to an outbound Worker: the outbound params, as JSON. */
export const OUTBOUND_HEADER = "x-wfp-internal-outbound";
/** The runtime's token: an account-level Worker takes outbound params only from a request that carries it. */
export const TOKEN_HEADER = "x-wfp-internal-token";
/** Carries the runtime's token on a request that hands a namespace's host its changed Workers. */
export const CONTROL_HEADER = "x-wfp-internal-control";
/** Set by the dispatch binding: which of the namespace's Workers a request is for, and its outbound and limits. */
export const SCRIPT_HEADER = "x-wfp-internal-script";
/** Set by a namespace's host on its answer for a Worker it does not have. */
export const MISSING_HEADER = "x-wfp-internal-missing";
export const INTERNAL_HEADER_PREFIX = "x-wfp-internal-";

/** Module names the runtime adds to a Worker: an upload may not use the prefix. */
export const RESERVED_MODULE_PREFIX = "__wfp_";
export const PATCH_MODULE = "__wfp_patch.js";
export const ENTRY_MODULE = "__wfp_entry.js";

/** Drops every internal header (a function's source, inlined into the Workers below: keep it self-contained). */
export function stripInternal(request: Request): Request {
  const names = [...request.headers.keys()].filter((name) => name.startsWith("x-wfp-internal-"));
  if (names.length === 0) return request;
  const headers = new Headers(request.headers);
  for (const name of names) headers.delete(name);
  return new Request(request, { headers });
}

/**
 * A user Worker's subrequest count (custom limits), evaluated before the deployed modules (the entry imports it
 * first). It routes nothing: the Worker's outbound is set by its host at workerd's level. The count lives in the
 * Worker's own isolate, so it is fidelity, not a boundary; its AsyncLocalStorage is handed out once, to the entry.
 */
export const PATCH_SOURCE = `import { AsyncLocalStorage } from "node:async_hooks";
let als = new AsyncLocalStorage();
const store = als;
const realFetch = globalThis.fetch;
globalThis.fetch = function fetch(input, init) {
  const c = store.getStore();
  if (c) {
    if (c.remaining <= 0) return Promise.reject(new Error("Too many subrequests."));
    c.remaining--;
  }
  return realFetch(input, init);
};
export function take() {
  const a = als;
  als = undefined;
  if (!a) throw new Error("wfp-emulator: the runtime's module was imported by the Worker");
  return a;
}
`;

const UNSUPPORTED = `function unsupported(list) {
  if (!list || list.length === 0) return undefined;
  const what = list.map((b) => b.name + " (" + b.type + (b.reason ? ": " + b.reason : "") + ")").join(", ");
  return new Response("wfp-emulator: this Worker has bindings the local runtime cannot provide: " + what + "\\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
}`;

/**
 * The entry of a modules-format Worker: re-exports the deployed main module, wrapping its default handlers.
 * An account-level Worker (`account`) drops internal env keys, takes outbound params only with the runtime's
 * token, and reports unsupported bindings; a user Worker counts its subrequests against its custom limits. Every
 * internal header is stripped before the deployed code sees the request.
 */
export function entrySource(mainModule: string, kind: "account" | "user"): string {
  const main = JSON.stringify(`./${mainModule}`);
  const account = kind === "account";
  return `${account ? "" : `import { take } from "./${PATCH_MODULE}";\n`}import * as user from ${main};
export * from ${main};
${account ? "" : "const als = take();"}
const stripInternal = ${stripInternal.toString()};
${UNSUPPORTED}
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
function wrap(h) {
  if (typeof h !== "object" || h === null) return h;
  const out = {};
  for (const k of Object.keys(h)) {
    out[k] = typeof h[k] === "function" ? (a, env, ctx) => h[k].call(h, a, clean(env), ctx) : h[k];
  }
  if (typeof h.fetch === "function") {
    out.fetch = (request, env, ctx) => {
${
  account
    ? `      const refused = unsupported(env.__WFP_CONFIG && env.__WFP_CONFIG.unsupported);
      if (refused) return refused;
      const trusted = env.__WFP_TOKEN !== undefined && request.headers.get(${JSON.stringify(TOKEN_HEADER)}) === env.__WFP_TOKEN;
      const p = trusted ? request.headers.get(${JSON.stringify(OUTBOUND_HEADER)}) : null;
      const e = p === null ? clean(env) : { ...clean(env), ...JSON.parse(p) };
      return h.fetch(stripInternal(request), e, ctx);`
    : `      const d = request.headers.get(${JSON.stringify(DISPATCH_HEADER)});
      const limits = d === null ? null : JSON.parse(d).l;
      const remaining = limits && typeof limits.subRequests === "number" ? limits.subRequests : Infinity;
      return als.run({ remaining }, () => h.fetch(stripInternal(request), clean(env), ctx));`
}
    };
  }
  return out;
}
export default wrap(user.default);
`;
}

/**
 * The dispatch namespace binding (a wrapped binding): `get(name, args?, {limits?, outbound?})` returns a Fetcher
 * for the namespace's user Worker `name`, run by the namespace's host (`HOST`). A missing Worker: get() succeeds
 * and fetch() rejects, as on Cloudflare. `OUTBOUND` (index of the host's `__WFP_OUT_<i>`) and `PARAMS` come from
 * the binding's config; the caller's own internal headers are dropped.
 */
export const NAMESPACE_SOURCE = `const stripInternal = ${stripInternal.toString()};
export default function (env) {
  return {
    get(name, args, options) {
      const outbound = (options && options.outbound) || {};
      const params = {};
      for (const n of env.PARAMS || []) if (n in outbound) params[n] = outbound[n];
      const info = JSON.stringify({ name: String(name), o: env.OUTBOUND ?? null, p: params, l: (options && options.limits) || null });
      return {
        async fetch(input, init) {
          const request = stripInternal(new Request(input, init));
          request.headers.set(${JSON.stringify(SCRIPT_HEADER)}, info);
          const response = await env.HOST.fetch(request);
          if (response.headers.has(${JSON.stringify(MISSING_HEADER)})) throw new Error("Worker not found.");
          return response;
        },
      };
    },
  };
}
`;

/**
 * Which Worker a hostname reaches, or undefined. Runs in the front Worker (its source is inlined there): keep it
 * self-contained.
 */
export function pickWorker<W extends { script: string }>(hostname: string, workers: W[]): W | undefined {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  // `<worker>.localhost` and anything under it; Cloudflare's own `<worker>.<subdomain>.workers.dev`.
  const named = workers.find((w) => h === `${w.script}.localhost` || h.endsWith(`.${w.script}.localhost`));
  if (named) return named;
  const dev = /^([^.]+)\.[^.]+\.workers\.dev$/.exec(h);
  if (dev) return workers.find((w) => w.script === dev[1]);
  // With a single public Worker, every other host is its: `acme.localhost` reaches the dispatcher as is.
  return workers.length === 1 ? workers[0] : undefined;
}

/**
 * The Worker behind the workers port: picks the account-level Worker by Host, drops internal headers an outside
 * request may carry, and gives the request the placeholder `cf` object.
 */
export const FRONT_SOURCE = `const pickWorker = ${pickWorker.toString()};
const PREFIX = ${JSON.stringify(INTERNAL_HEADER_PREFIX)};
export default {
  fetch(request, env) {
    const hostname = new URL(request.url).hostname.replace(/^\\[(.*)\\]$/, "$1");
    const target = pickWorker(hostname, env.__WFP_PUBLIC);
    if (!target) {
      const names = env.__WFP_PUBLIC.map((w) => w.script + ".localhost").join(", ") || "none deployed";
      return new Response("wfp-emulator: no Worker with workers.dev on for host \\"" + hostname + "\\" (Workers: " + names + ")\\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    let headers;
    for (const [name] of request.headers) if (name.startsWith(PREFIX)) (headers ??= new Headers(request.headers)).delete(name);
    return env[target.binding].fetch(new Request(request, { headers: headers ?? request.headers, cf: env.__WFP_CF }));
  },
};
`;

/** Turns the wire form of loader modules (binary as base64) into what the Worker Loader takes. */
const DECODE_SOURCE = `function decode(b64) { const s = atob(b64); const u = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return u.buffer; }
function loaderModules(modules) {
  const all = {};
  for (const [name, m] of Object.entries(modules)) all[name] = m.wasm !== undefined ? { wasm: decode(m.wasm) } : m.data !== undefined ? { data: decode(m.data) } : m;
  return all;
}`;

/**
 * A dispatch namespace's service: it runs the namespace's user Workers with the Worker Loader, so a Worker added,
 * changed or deleted is live without restarting workerd. The table of Workers (code, compatibility, binding
 * values, asset set) comes in the `__WFP_SCRIPTS` binding at start and from the runtime after each change (a
 * request with the control header and token); each version is loaded once, on its first request.
 *
 * A Worker with assets runs as Cloudflare's does: the router Worker in front, then the asset Worker or the user
 * Worker. The router and asset Workers are Cloudflare's own code (from Miniflare) and run in-process, as modules
 * of this host, so a request to a site crosses one isolate boundary, into the user Worker, as with no site. Loaded
 * Workers cannot be handed to each other, nor can KV or dispatch bindings be passed in: entrypoints of this host
 * stand between them (the assets binding, KV, dispatch).
 */
export const NAMESPACE_HOST_SOURCE = `import { RpcTarget, WorkerEntrypoint } from "cloudflare:workers";
import Router from "./router-worker.js";
import Assets from "./asset-worker.js";
${DECODE_SOURCE}
${UNSUPPORTED}
const stripInternal = ${stripInternal.toString()};
let table;
const scripts = (env) => (table ??= env.__WFP_SCRIPTS);

/** Per asset set: the asset Worker's env, its manifest decoded once. */
let assetEnvs = new Map();
function assetEnv(env, a) {
  let e = assetEnvs.get(a.id);
  if (!e) {
    const files = {
      // The asset Worker's KV namespace: its files, by ETag, from the written-out asset sets.
      async getWithMetadata(key) {
        const f = a.files[key];
        if (!f) return { value: null, metadata: null };
        const r = await env.__WFP_FILES.fetch("http://files/" + f.path.split("/").map(encodeURIComponent).join("/"));
        if (!r.ok) return { value: null, metadata: null };
        return { value: r.body, metadata: f.contentType === null ? null : { contentType: f.contentType } };
      },
    };
    e = { CONFIG: a.config, ASSETS_MANIFEST: decode(a.manifest), ASSETS_KV_NAMESPACE: files };
    assetEnvs.set(a.id, e);
  }
  return e;
}
const assetWorker = (env, ctx, name) => new Assets(ctx, assetEnv(env, scripts(env)[name].assets));

/**
 * The user Worker's current version, loaded once per outbound: its fetch() and connect() go to workerd's
 * globalOutbound, the outbound Worker through WfpOutbound (its params fixed per load), or without one a network
 * that refuses loopback and private addresses.
 */
function userWorker(env, ctx, name, info) {
  const s = scripts(env)[name];
  const o = info.o;
  const id = "u:" + name + ":" + s.version + (o === null ? "" : ":" + o + ":" + JSON.stringify(info.p));
  return env.LOADER.get(id, () => {
    const e = { ...s.code.values };
    for (const [n, key] of Object.entries(s.shape.pass)) e[n] = env[key];
    for (const [n, key] of Object.entries(s.shape.kv)) e[n] = ctx.exports.WfpKv({ props: { key } });
    for (const [n, key] of Object.entries(s.shape.dispatch)) e[n] = ctx.exports.WfpDispatch({ props: { key } });
    if (s.shape.assets) e[s.shape.assets] = ctx.exports.WfpAssets({ props: { name } });
    const globalOutbound = o === null ? env.__WFP_NET : ctx.exports.WfpOutbound({ props: { o, p: info.p } });
    const c = s.code;
    return { compatibilityDate: c.compatibilityDate, compatibilityFlags: c.compatibilityFlags, mainModule: c.mainModule, modules: loaderModules(c.modules), env: e, globalOutbound };
  }).getEntrypoint();
}

/** A site: Cloudflare's router, asking the asset Worker in-process and loading the user Worker only when it routes there. */
function site(env, ctx, name, info) {
  const user = { fetch: (request) => userWorker(env, ctx, name, info).fetch(request) };
  return new Router(ctx, { CONFIG: scripts(env)[name].assets.routerConfig, ASSET_WORKER: assetWorker(env, ctx, name), USER_WORKER: user });
}

export class WfpAssets extends WorkerEntrypoint {
  fetch(request) { return assetWorker(this.env, this.ctx, this.ctx.props.name).fetch(request); }
  unstable_canFetch(...a) { return assetWorker(this.env, this.ctx, this.ctx.props.name).unstable_canFetch(...a); }
  unstable_getByETag(...a) { return assetWorker(this.env, this.ctx, this.ctx.props.name).unstable_getByETag(...a); }
  unstable_getByPathname(...a) { return assetWorker(this.env, this.ctx, this.ctx.props.name).unstable_getByPathname(...a); }
  unstable_exists(...a) { return assetWorker(this.env, this.ctx, this.ctx.props.name).unstable_exists(...a); }
}
export class WfpKv extends WorkerEntrypoint {
  get(...a) { return this.env[this.ctx.props.key].get(...a); }
  getWithMetadata(...a) { return this.env[this.ctx.props.key].getWithMetadata(...a); }
  put(...a) { return this.env[this.ctx.props.key].put(...a); }
  delete(...a) { return this.env[this.ctx.props.key].delete(...a); }
  list(...a) { return this.env[this.ctx.props.key].list(...a); }
}
class Target extends RpcTarget {
  constructor(fetcher) { super(); this.fetcher = fetcher; }
  fetch(input, init) { return this.fetcher.fetch(input, init); }
}
/** A user Worker's outbound: the request, with the runtime's params and token, to the outbound Worker. */
export class WfpOutbound extends WorkerEntrypoint {
  fetch(request) {
    const r = stripInternal(new Request(request));
    r.headers.set(${JSON.stringify(OUTBOUND_HEADER)}, JSON.stringify(this.ctx.props.p));
    r.headers.set(${JSON.stringify(TOKEN_HEADER)}, this.env.__WFP_TOKEN);
    return this.env["__WFP_OUT_" + this.ctx.props.o].fetch(r);
  }
}
export class WfpDispatch extends WorkerEntrypoint {
  get(name, args, options) { return new Target(this.env[this.ctx.props.key].get(name, args, options)); }
}

export default {
  async fetch(request, env, ctx) {
    if (request.headers.get(${JSON.stringify(CONTROL_HEADER)}) === env.__WFP_TOKEN) {
      const { upserts, deletes } = await request.json();
      table = { ...scripts(env), ...upserts };
      for (const name of deletes) delete table[name];
      // Asset sets no Worker has any more go.
      const live = new Set(Object.values(table).flatMap((s) => (s.assets ? [s.assets.id] : [])));
      assetEnvs = new Map([...assetEnvs].filter(([id]) => live.has(id)));
      return new Response(null, { status: 204 });
    }
    const info = JSON.parse(request.headers.get(${JSON.stringify(SCRIPT_HEADER)}));
    const name = info.name;
    // Own entries only: a tenant named "constructor" is not Object's.
    const s = Object.hasOwn(scripts(env), name) ? scripts(env)[name] : undefined;
    if (!s) return new Response(null, { status: 404, headers: { ${JSON.stringify(MISSING_HEADER)}: "1" } });
    if (!s.code) return new Response("wfp-emulator: the local runtime runs ES-module Workers only (this one is in service-worker syntax)\\n", { status: 500 });
    const refused = unsupported(s.code.unsupported);
    if (refused) return refused;
    // The user Worker sees no internal header but its limits, set here.
    const inner = stripInternal(request);
    if (info.l) inner.headers.set(${JSON.stringify(DISPATCH_HEADER)}, JSON.stringify({ l: info.l }));
    return (s.assets ? site(env, ctx, name, info) : userWorker(env, ctx, name, info)).fetch(inner);
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
