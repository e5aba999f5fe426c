/**
 * @module
 * A dispatch namespace's host: it runs the namespace's user Workers with the Worker Loader, so a Worker added,
 * changed or deleted is live without restarting workerd. The table of Workers (code, compatibility, binding
 * values, asset set) comes in the `__WFP_SCRIPTS` binding at start and from the runtime after each change (a
 * request with the control header and token); each version is loaded once per outbound, on its first request.
 *
 * A user Worker's fetch() and connect() go to workerd's globalOutbound of the loaded Worker: the outbound Worker
 * through WfpOutbound (its params fixed per load), or without one `__WFP_NET`, a network that refuses loopback and
 * private addresses. A Worker with assets runs as Cloudflare's does: the router Worker in front, then the asset
 * Worker or the user Worker; both are Cloudflare's own code (from Miniflare), modules of this host, so a request to
 * a site crosses one isolate boundary. Entrypoints of this host stand between a user Worker and its KV, dispatch
 * and assets bindings: loaded Workers cannot be handed to each other.
 */
import { DurableObject, RpcTarget, WorkerEntrypoint } from "cloudflare:workers";
import {
  type AssetSet,
  CONTROL_HEADER,
  DISPATCH_HEADER,
  type DispatchInfo,
  type Entry,
  exceptionResponse,
  type Fetcher,
  loaderModules,
  MISSING_HEADER,
  OUTBOUND_HEADER,
  rethrown,
  SCRIPT_HEADER,
  stripInternal,
  TOKEN_HEADER,
  textResponse,
  unsupported,
  type WorkerLoader,
} from "./internal.mjs";
// @ts-expect-error Cloudflare's asset Worker, added beside this module by the runtime (from Miniflare, untyped).
import Assets from "./asset-worker.js";
// @ts-expect-error Cloudflare's router Worker, added beside this module by the runtime (from Miniflare, untyped).
import Router from "./router-worker.js";

type Table = Record<string, Entry>;
type HostEnv = Record<string, unknown> & {
  __WFP_SCRIPTS: Array<[string, Entry]>;
  __WFP_TOKEN: string;
  __WFP_FILES: Fetcher;
  __WFP_NET: Fetcher;
  /** Per outbound Worker: whether it has the runtime's wrapper. */
  __WFP_OUT_WRAPPED: boolean[];
  /** Where the user Workers' traces go (absent: no tails), and whose they are. */
  __WFP_SINK?: Fetcher;
  __WFP_WHO: { account: string; namespace: string };
  LOADER: WorkerLoader;
  /** The user Workers' Durable Objects: each object is one of these, running the Worker's class as a facet. */
  __WFP_DO: { getByName(name: string): { run(o: ObjectCall): Promise<unknown> } };
};
type Ctx = { exports: Record<string, (o: { props: unknown }) => unknown>; props?: unknown };
type KvNamespace = Record<string, (...a: unknown[]) => unknown>;
type AssetWorker = Record<string, (...a: unknown[]) => unknown> & Fetcher;

let table: Table | undefined;
const scripts = (env: HostEnv): Table => {
  table ??= Object.fromEntries(env.__WFP_SCRIPTS);
  return table;
};

/** Per asset set: the asset Worker's env, its manifest decoded once. */
let assetEnvs = new Map<string, unknown>();
function assetEnv(env: HostEnv, a: AssetSet): unknown {
  let e = assetEnvs.get(a.id);
  if (!e) {
    const files = {
      // The asset Worker's KV namespace: its files, by ETag, from the written-out asset sets.
      async getWithMetadata(key: string) {
        const f = a.files[key];
        if (!f) return { value: null, metadata: null };
        const r = await env.__WFP_FILES.fetch(`http://files/${f.path.split("/").map(encodeURIComponent).join("/")}`);
        if (!r.ok) return { value: null, metadata: null };
        return { value: r.body, metadata: f.contentType === null ? null : { contentType: f.contentType } };
      },
    };
    const manifest = (loaderModules({ m: { data: a.manifest } }).m as { data: ArrayBuffer }).data;
    e = { CONFIG: a.config, ASSETS_MANIFEST: manifest, ASSETS_KV_NAMESPACE: files };
    assetEnvs.set(a.id, e);
  }
  return e;
}
const assetWorker = (env: HostEnv, ctx: Ctx, name: string): AssetWorker => new Assets(ctx, assetEnv(env, scripts(env)[name]!.assets!));

/** The user Worker's current version, loaded once per outbound and parameter set. */
function userWorker(env: HostEnv, ctx: Ctx, name: string, info: DispatchInfo): Fetcher {
  return loadUser(env, ctx, name, info).getEntrypoint();
}

function loadUser(env: HostEnv, ctx: Ctx, name: string, info: DispatchInfo): ReturnType<WorkerLoader["get"]> {
  const s = scripts(env)[name]!;
  const o = info.o;
  const id = `u:${name}:${s.version}${o === null ? "" : `:${o}:${JSON.stringify(info.p)}`}`;
  return env.LOADER.get(id, () => {
    const c = s.code!;
    const e: Record<string, unknown> = { ...c.values };
    for (const [n, key] of Object.entries(s.shape.pass)) e[n] = env[key];
    for (const [n, key] of Object.entries(s.shape.kv)) e[n] = ctx.exports.WfpKv!({ props: { key } });
    for (const [n, key] of Object.entries(s.shape.dispatch)) e[n] = ctx.exports.WfpDispatch!({ props: { key } });
    if (s.shape.assets) e[s.shape.assets] = ctx.exports.WfpAssets!({ props: { name } });
    for (const [n, d] of Object.entries(s.shape.objects ?? {})) e[n] = ctx.exports.WfpObjects!({ props: { script: name, ...d } });
    const globalOutbound = o === null ? env.__WFP_NET : ctx.exports.WfpOutbound!({ props: { o, p: info.p } });
    const modules = loaderModules(c.modules);
    return {
      compatibilityDate: c.compatibilityDate,
      compatibilityFlags: c.compatibilityFlags,
      mainModule: c.mainModule,
      modules,
      env: e,
      globalOutbound,
      tails: env.__WFP_SINK ? [ctx.exports.WfpTail!({ props: { name } })] : [],
    };
  });
}

/** A site: Cloudflare's router, asking the asset Worker in-process and loading the user Worker only when it routes there. */
function site(env: HostEnv, ctx: Ctx, name: string, info: DispatchInfo): Fetcher {
  const user = { fetch: (request: Request) => userWorker(env, ctx, name, info).fetch(request) };
  return new Router(ctx, {
    CONFIG: scripts(env)[name]!.assets!.routerConfig,
    ASSET_WORKER: assetWorker(env, ctx, name),
    USER_WORKER: user,
  });
}

/** A user Worker's tail: its traces, with its name and namespace, to the runtime. */
export class WfpTail extends WorkerEntrypoint<HostEnv, { name: string }> {
  async tail(traces: unknown[]) {
    const source = { ...this.env.__WFP_WHO, script: this.ctx.props.name };
    await this.env.__WFP_SINK?.fetch("http://sink/", { method: "POST", body: JSON.stringify({ source, traces }) });
  }
}

type AssetsProps = { name: string };
export class WfpAssets extends WorkerEntrypoint<HostEnv, AssetsProps> {
  private get worker(): AssetWorker {
    return assetWorker(this.env, this.ctx as unknown as Ctx, this.ctx.props.name);
  }
  fetch(request: Request) {
    return this.worker.fetch(request);
  }
  unstable_canFetch(...a: unknown[]) {
    return this.worker.unstable_canFetch!(...a);
  }
  unstable_getByETag(...a: unknown[]) {
    return this.worker.unstable_getByETag!(...a);
  }
  unstable_getByPathname(...a: unknown[]) {
    return this.worker.unstable_getByPathname!(...a);
  }
  unstable_exists(...a: unknown[]) {
    return this.worker.unstable_exists!(...a);
  }
}

export class WfpKv extends WorkerEntrypoint<HostEnv, { key: string }> {
  private get kv(): KvNamespace {
    return this.env[this.ctx.props.key] as KvNamespace;
  }
  get(...a: unknown[]) {
    return this.kv.get!(...a);
  }
  getWithMetadata(...a: unknown[]) {
    return this.kv.getWithMetadata!(...a);
  }
  put(...a: unknown[]) {
    return this.kv.put!(...a);
  }
  delete(...a: unknown[]) {
    return this.kv.delete!(...a);
  }
  list(...a: unknown[]) {
    return this.kv.list!(...a);
  }
}

/** A user Worker's outbound: the request, with the runtime's params and token, to the outbound Worker. */
export class WfpOutbound extends WorkerEntrypoint<HostEnv, { o: number; p: Record<string, unknown> }> {
  fetch(request: Request) {
    const r = stripInternal(new Request(request));
    // A Worker without the wrapper (service-worker syntax) would pass the token on with the request.
    if (this.env.__WFP_OUT_WRAPPED[this.ctx.props.o]) {
      r.headers.set(OUTBOUND_HEADER, JSON.stringify(this.ctx.props.p));
      r.headers.set(TOKEN_HEADER, this.env.__WFP_TOKEN);
    }
    // The outbound Worker's exception, thrown here as it would be in one process.
    return (this.env[`__WFP_OUT_${this.ctx.props.o}`] as Fetcher).fetch(r).then(rethrown);
  }
}

class Target extends RpcTarget {
  constructor(private readonly fetcher: Fetcher) {
    super();
  }
  fetch(input: RequestInfo | URL, init?: RequestInit) {
    return this.fetcher.fetch(input, init);
  }
}

type DispatchBinding = { get(name: string, args?: unknown, options?: unknown): Fetcher };
export class WfpDispatch extends WorkerEntrypoint<HostEnv, { key: string }> {
  get(name: string, args?: unknown, options?: unknown) {
    return new Target((this.env[this.ctx.props.key] as DispatchBinding).get(name, args, options));
  }
}

/** A call to a user Worker's Durable Object: its class and namespace, the object's id, and the fetch or method. */
type ObjectCall = { script: string; cls: string; ns: string; id: string } & ({ request: Request } | { method: string; args: unknown[] });

/**
 * A user Worker's Durable Object namespace (props: the Worker, class and namespace id): the object of an id is a
 * `WfpObject` of this host, named by namespace and id, so it lives on one instance with its storage.
 */
export class WfpObjects extends WorkerEntrypoint<HostEnv, { script: string; cls: string; id: string }> {
  private object(id: string) {
    return this.env.__WFP_DO.getByName(`${this.ctx.props.id}:${id}`);
  }
  fetchObject(id: string, request: Request) {
    const p = this.ctx.props;
    return this.object(id).run({ script: p.script, cls: p.cls, ns: p.id, id, request });
  }
  call(id: string, method: string, args: unknown[]) {
    const p = this.ctx.props;
    return this.object(id).run({ script: p.script, cls: p.cls, ns: p.id, id, method, args });
  }
}

/**
 * One Durable Object of a user Worker: the Worker's class, loaded with the Worker Loader, runs as this object's facet
 * (named by the namespace id, so a renamed class keeps its storage); a new version of the Worker restarts the facet
 * on the same storage.
 */
export class WfpObject extends DurableObject<HostEnv> {
  private version: string | undefined;
  async run(o: ObjectCall): Promise<unknown> {
    const s = Object.hasOwn(scripts(this.env), o.script) ? scripts(this.env)[o.script] : undefined;
    if (!s?.code) throw new Error(`wfp-emulator: no Worker ${o.script} for this Durable Object`);
    if (this.version !== undefined && this.version !== s.version) this.ctx.facets.abort(o.ns, new Error("the Worker was updated"));
    this.version = s.version;
    const worker = loadUser(this.env, this.ctx as unknown as Ctx, o.script, { name: o.script, o: null, p: {}, l: null });
    const facet = this.ctx.facets.get(o.ns, () => ({ class: worker.getDurableObjectClass(o.cls) }));
    if ("request" in o) return facet.fetch!(o.request);
    return facet[o.method]!(...o.args);
  }
}

type ScheduledRun = { name: string; cron: string; scheduledTime: number };
type ScheduledFetcher = Fetcher & { scheduled(o: { cron: string; scheduledTime: Date }): Promise<{ outcome: string; noRetry: boolean }> };

/** A cron trigger: the user Worker's scheduled(), run directly (no dispatch Worker, so no outbound Worker). */
async function runScheduled(env: HostEnv, ctx: Ctx, run: ScheduledRun): Promise<Response> {
  const s = Object.hasOwn(scripts(env), run.name) ? scripts(env)[run.name] : undefined;
  if (!s?.code) return textResponse(s ? "the local runtime runs ES-module Workers only" : `no Worker ${run.name}`, 404);
  const worker = userWorker(env, ctx, run.name, { name: run.name, o: null, p: {}, l: null }) as ScheduledFetcher;
  const result = await worker.scheduled({ cron: run.cron, scheduledTime: new Date(run.scheduledTime) });
  return Response.json({ outcome: result.outcome, noRetry: result.noRetry });
}

export default {
  async fetch(request: Request, env: HostEnv, ctx: Ctx): Promise<Response> {
    if (request.headers.get(CONTROL_HEADER) === env.__WFP_TOKEN) {
      const body = (await request.json()) as { upserts: Table; deletes: string[] } | { scheduled: ScheduledRun };
      if ("scheduled" in body) return runScheduled(env, ctx, body.scheduled);
      const { upserts, deletes } = body;
      const next: Table = { ...scripts(env), ...upserts };
      for (const name of deletes) delete next[name];
      table = next;
      // Asset sets no Worker has any more go.
      const live = new Set(Object.values(next).flatMap((s) => (s.assets ? [s.assets.id] : [])));
      assetEnvs = new Map([...assetEnvs].filter(([id]) => live.has(id)));
      return new Response(null, { status: 204 });
    }
    const info = JSON.parse(request.headers.get(SCRIPT_HEADER) ?? "null") as DispatchInfo | null;
    const name = info?.name ?? "";
    // Own entries only: a tenant named "constructor" is not Object's.
    const s = info && Object.hasOwn(scripts(env), name) ? scripts(env)[name] : undefined;
    if (!info || !s) return new Response(null, { status: 404, headers: { [MISSING_HEADER]: "1" } });
    if (!s.code) return textResponse("the local runtime runs ES-module Workers only (this one is in service-worker syntax)", 500);
    const refused = unsupported(s.code.unsupported);
    if (refused) return refused;
    // The user Worker sees no internal header but its limits, set here.
    const inner = stripInternal(request);
    if (info.l) inner.headers.set(DISPATCH_HEADER, JSON.stringify({ l: info.l }));
    try {
      return await (s.assets ? site(env, ctx, name, info) : userWorker(env, ctx, name, info)).fetch(inner);
    } catch (e) {
      // The dispatch binding, in the other process, throws it again for the dispatcher.
      return exceptionResponse(e);
    }
  },
};
