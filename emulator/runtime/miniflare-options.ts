/**
 * @module
 * The emulator's state as Miniflare worker options: every account-level Worker with its bindings, and per dispatch
 * namespace its binding Worker and its host (namespace-host.ts), which runs the namespace's user Workers. Static
 * assets are written out to a directory per deployed asset set, since Miniflare's assets plugin reads a directory.
 */
import { createHash } from "node:crypto";
import type { Log, WorkerOptions } from "miniflare";
import { DEFAULT_CPU_MS } from "../../cloudflare/limits";
import type { Module, Namespace, Script, ScriptContainer, Store } from "../model/store";
import type { MiniflareModule } from "./miniflare-internals";
import { kvBindingTarget } from "./kv";
import { buildNamespaceHost, namespaceHostName, type ScriptPayload, SCRIPTS_BINDING } from "./namespace-host";
import {
  accountWorkerName,
  assetOptions,
  type BuildContext,
  externalService,
  RUNTIME_COMPATIBILITY_DATE,
  FALLBACK_WORKER,
  FRONT_WORKER,
  loaderModule,
  TAIL_WORKER,
  MODULES_ROOT,
  materializeAssets,
  namespaceWorkerName,
  outboundOf,
  PUBLIC_NETWORK,
  resolveBindings,
  type RuntimeState,
  runtimeFlags,
  serviceWorkerBody,
  STORAGE_LINK_WORKER,
  targetPortKey,
} from "./worker-build";
import { entryModules, RESERVED_MODULE_PREFIX, runtimeWorker } from "./worker-sources";
import type { HostTable } from "./workers/front.mjs" with { "resolution-mode": "import" };
import { KV_WORKER, kvService } from "./kv";

/** An account-level Worker the workers port serves: on workers.dev (`dev`), or the target of a domain or route. */
interface PublicWorker {
  script: string;
  mfName: string;
  account: string;
  dev: boolean;
}

export interface RuntimeConfig {
  /** The account-level Workers' process. */
  workers: WorkerOptions[];
  /** The tenant pool's process (pool.ts): the namespaces' hosts. */
  poolWorkers: WorkerOptions[];
  /** Per namespace host (Miniflare name): its user Workers, which change without a restart. */
  namespaces: Map<string, Record<string, ScriptPayload>>;
  /** Digests of what needs a restart of each process to change (the namespaces' user Workers do not). */
  fingerprint: string;
  poolFingerprint: string;
}

const digest = (workers: WorkerOptions[]): string =>
  createHash("sha256")
    .update(
      JSON.stringify(workers, (k, v) =>
        k === SCRIPTS_BINDING ? undefined : v instanceof Uint8Array ? createHash("sha256").update(v).digest("hex") : v,
      ),
    )
    .digest("hex");

type ModuleDef = { type: "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm"; path: string; contents: string | Uint8Array };
/** A module of a Worker that Miniflare's config holds (account-level Workers). */
function moduleDef(m: Module): ModuleDef {
  const path = `${MODULES_ROOT}/${m.name}`;
  const l = loaderModule(m);
  if ("js" in l) return { type: "ESModule", path, contents: l.js };
  if ("cjs" in l) return { type: "CommonJS", path, contents: l.cjs };
  if ("text" in l) return { type: "Text", path, contents: l.text };
  // A JSON module imports as its parsed value.
  if ("json" in l) return { type: "ESModule", path, contents: `export default ${JSON.stringify(l.json)};` };
  const bytes = new Uint8Array(Buffer.from("wasm" in l ? l.wasm : l.data, "base64"));
  return { type: "wasm" in l ? "CompiledWasm" : "Data", path, contents: bytes };
}

/** An account-level Worker as Miniflare options. */
async function accountWorker(bc: BuildContext, container: ScriptContainer, script: Script, mfName: string): Promise<WorkerOptions> {
  const error = await bc.startupError(script);
  // The tenant pool reaches it (as an outbound Worker or a user Worker's service binding) at a socket of its own,
  // per entrypoint it exports (workerd refuses a socket to one it does not).
  const exported = (e: string) => e === "" || e === "default" || (error === undefined && bc.entrypoints.get(script.name)?.has(e));
  const sockets = await Promise.all(
    [...(bc.poolTargets.get(script.name) ?? [])]
      .filter(exported)
      .sort()
      .map(async (e) => ({
        host: "127.0.0.1",
        port: await bc.port(targetPortKey(bc.account, script.name, e)),
        ...(e === "" || e === "default" ? {} : { entrypoint: e }),
      })),
  );
  // In its place, a Worker that answers its error: the others still start.
  if (error !== undefined)
    return {
      name: mfName,
      ...runtimeWorker("broken.mjs"),
      compatibilityDate: RUNTIME_COMPATIBILITY_DATE,
      bindings: { ERROR: error },
      ...(sockets.length > 0 ? { unsafeDirectSockets: sockets } : {}),
    } as WorkerOptions;
  const r = resolveBindings(bc, script);
  const flags = runtimeFlags(script);
  const local = bc.localNetworkWorkers.has(script.name) || bc.localNetworkWorkers.has(`${bc.account}/${script.name}`);
  const compatibilityDate = script.compatibility_date || RUNTIME_COMPATIBILITY_DATE;
  const options: Record<string, unknown> = {
    name: mfName,
    compatibilityDate,
    compatibilityFlags: flags,
    bindings: { ...r.values, __WFP_CONFIG: { unsupported: r.unsupported }, __WFP_TOKEN: bc.token },
    serviceBindings: { ...r.services, ...Object.fromEntries(Object.entries(r.kv).map(([n, key]) => [n, kvBindingTarget(key)])) },
    wrappedBindings: r.dispatch,
    // Its own classes, run by workerd as Durable Objects (the entry re-exports the main module's classes), their
    // storage keyed by the Durable Object namespace's id, which a renamed class keeps (not by the class's name).
    durableObjects: Object.fromEntries(
      Object.entries(r.objects).map(([n, d]) => [n, { className: d.cls, useSQLite: d.sqlite, unsafeUniqueKey: d.id }]),
    ),
    // As on Cloudflare, public addresses only: not this machine, so not the emulator's API, operator endpoints or
    // ports, whatever chain of Workers a tenant's fetch() comes through.
    ...(local ? {} : { outboundService: PUBLIC_NETWORK }),
  };
  if (sockets.length > 0) options.unsafeDirectSockets = sockets;
  if (bc.tailSink) options.tails = [{ name: TAIL_WORKER, entrypoint: "Tail", props: { account: bc.account, script: script.name } }];
  if (script.main_module !== undefined) {
    options.modulesRoot = MODULES_ROOT;
    // The entry first (the main module); the deployed modules cannot take the runtime's names.
    const own = script.modules.filter((m) => !m.name.startsWith(RESERVED_MODULE_PREFIX)).map(moduleDef);
    const [entry, ...internal] = Object.entries(entryModules(script.main_module, "account")).map(([name, contents]) => ({
      type: "ESModule",
      path: `${MODULES_ROOT}/${name}`,
      contents,
    }));
    options.modules = [entry, ...own, ...internal];
  } else {
    // Service-worker format: no entry wrapper (no outbound params, limits or unsupported-binding check).
    const body = serviceWorkerBody(script);
    options.script = body ? Buffer.from(body.data, "base64").toString("utf8") : "";
  }
  if (script.assets) {
    const directory = await materializeAssets(bc, container, script);
    options.assets = { directory, ...assetOptions(script), ...(r.assetsBinding ? { binding: r.assetsBinding } : {}) };
  }
  return options as WorkerOptions;
}

/** The placeholder `Request.cf` of a request from outside (Cloudflare's fields, local values). */
const PLACEHOLDER_CF = {
  asn: 395747,
  asOrganization: "",
  colo: "DFW",
  country: "US",
  continent: "NA",
  city: "Austin",
  region: "Texas",
  regionCode: "TX",
  metroCode: "635",
  postalCode: "78701",
  timezone: "America/Chicago",
  latitude: "30.27130",
  longitude: "-97.74260",
  clientTcpRtt: 0,
  httpProtocol: "HTTP/1.1",
  tlsVersion: "TLSv1.3",
  tlsCipher: "AEAD-AES128-GCM-SHA256",
};

/** Scripts of an account that a custom domain or a zone route names. */
function hostTargets(store: Store, account: string): Set<string> {
  const out = new Set<string>(Object.values(store.state.accounts[account]?.domains ?? {}).map((d) => d.service));
  for (const z of Object.values(store.state.zones))
    if (z.account === account) for (const r of Object.values(z.routes)) if (r.script) out.add(r.script);
  return out;
}

/** The front's host table (workers/front.mts `HostTable`): targets by their binding among the public Workers. */
function hostTable(store: Store, publicWorkers: PublicWorker[]): HostTable {
  const binding = (account: string, script: string | undefined) => {
    const i = publicWorkers.findIndex((w) => w.account === account && w.script === script);
    return i < 0 ? undefined : `W${i}`;
  };
  const domains: HostTable["domains"] = [];
  for (const [account, acc] of Object.entries(store.state.accounts))
    for (const d of Object.values(acc.domains ?? {})) {
      const b = binding(account, d.service);
      if (b) domains.push({ hostname: d.hostname, binding: b });
    }
  const zones = Object.values(store.state.zones).map((z) => {
    const hosts = Object.values(z.custom_hostnames);
    const zone: HostTable["zones"][number] = {
      name: z.name,
      routes: Object.values(z.routes).map((r) => {
        const b = binding(z.account, r.script);
        // No undefined values: Miniflare refuses a binding that is not JSON, and every Worker with it.
        if (b) return { pattern: r.pattern, binding: b };
        return r.script === undefined ? { pattern: r.pattern } : { pattern: r.pattern, missing: r.script };
      }),
      active: hosts.filter((ch) => ch.status === "active").map((ch) => ch.hostname),
      pending: hosts.filter((ch) => ch.status !== "active").map((ch) => ch.hostname),
    };
    if (z.fallback_origin) zone.fallbackOrigin = z.fallback_origin.origin;
    return zone;
  });
  // Longer zone names first: a host under a subdomain zone belongs to it, not to its parent.
  zones.sort((a, b) => b.name.length - a.name.length);
  return { domains, zones };
}

/** The front Worker: a socket of its own (no Miniflare entry Worker on the way), a service binding per public Worker. */
function frontWorker(publicWorkers: PublicWorker[], hosts: HostTable): WorkerOptions {
  return {
    name: FRONT_WORKER,
    ...runtimeWorker("front.mjs"),
    compatibilityDate: RUNTIME_COMPATIBILITY_DATE,
    bindings: {
      __WFP_PUBLIC: publicWorkers.map((w, i) => ({ script: w.script, binding: `W${i}`, dev: w.dev })),
      __WFP_HOSTS: hosts,
      __WFP_CF: PLACEHOLDER_CF,
    },
    serviceBindings: Object.fromEntries(publicWorkers.map((w, i) => [`W${i}`, w.mfName])),
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  } as WorkerOptions;
}

/** The account-level Workers the tenant pool reaches: outbound Workers, and user Workers' service bindings. */
function poolTargets(namespaces: Namespace[], outbounds: Map<string, string[]>): Map<string, Set<string>> {
  const targets = new Map<string, Set<string>>();
  const add = (script: string, entrypoint: string) => {
    const set = targets.get(script) ?? new Set<string>();
    set.add(entrypoint);
    targets.set(script, set);
  };
  for (const list of outbounds.values()) for (const out of list) add(out, "");
  for (const ns of namespaces)
    for (const s of Object.values(ns.scripts))
      for (const b of s.bindings)
        if (b.type === "service" && typeof b.service === "string") add(b.service, typeof b.entrypoint === "string" ? b.entrypoint : "");
  return targets;
}

/** The Worker every request without one falls back to (each process's first). */
const fallbackWorker = (): WorkerOptions =>
  ({ name: FALLBACK_WORKER, ...runtimeWorker("fallback.mjs"), compatibilityDate: RUNTIME_COMPATIBILITY_DATE }) as WorkerOptions;

/** Every KV binding: the store's namespaces, through a function of this process (not in the fingerprint). */
const kvWorker = (store: Store, changed: (key: string) => Promise<void>): WorkerOptions =>
  ({
    name: KV_WORKER,
    ...runtimeWorker("kv.mjs"),
    compatibilityDate: RUNTIME_COMPATIBILITY_DATE,
    serviceBindings: { STORE: kvService(store, Date.now, changed) },
  }) as WorkerOptions;

/** Builds the worker options for every account in the store. */
export async function buildRuntimeConfig(store: Store, mf: MiniflareModule, log: Log, state: RuntimeState): Promise<RuntimeConfig> {
  const usedAssetSets = new Set<string>();
  const workers: WorkerOptions[] = [fallbackWorker(), kvWorker(store, state.kvChanged)];
  const poolWorkers: WorkerOptions[] = [fallbackWorker(), kvWorker(store, state.kvChanged)];
  // D1 and R2 bindings, in each process.
  if (state.storage)
    for (const list of [workers, poolWorkers])
      list.push({
        name: STORAGE_LINK_WORKER,
        ...runtimeWorker("storage-link.mjs"),
        compatibilityDate: RUNTIME_COMPATIBILITY_DATE,
        serviceBindings: { STORAGE: state.storage },
      } as WorkerOptions);
  if (state.tailSink)
    workers.push({
      name: TAIL_WORKER,
      ...runtimeWorker("tail.mjs"),
      compatibilityDate: RUNTIME_COMPATIBILITY_DATE,
      serviceBindings: { SINK: state.tailSink },
    } as WorkerOptions);
  const publicWorkers: PublicWorker[] = [];
  const namespaceTables = new Map<string, Record<string, ScriptPayload>>();
  for (const [account, acc] of Object.entries(store.state.accounts)) {
    const accountScripts = acc.workers?.scripts ?? {};
    const namespaces = new Map(Object.values(acc.namespaces).map((ns) => [ns.name, ns]));
    const outbounds = new Map<string, string[]>([...namespaces.values()].map((ns) => [ns.id, []]));
    const allScripts = [...Object.values(accountScripts), ...Object.values(acc.namespaces).flatMap((ns) => Object.values(ns.scripts))];
    // Namespaces some Worker binds to: only those get a binding Worker (workerd takes an unbound one for a service).
    const bound = new Set<string>();
    for (const s of allScripts)
      for (const b of s.bindings) {
        const ns = b.type === "dispatch_namespace" ? namespaces.get(String(b.namespace ?? "")) : undefined;
        if (ns) bound.add(ns.id);
        const out = ns && outboundOf(b);
        if (ns && out !== undefined && !outbounds.get(ns.id)!.includes(out)) outbounds.get(ns.id)!.push(out);
      }
    for (const list of outbounds.values()) list.sort();
    const entrypoints = new Map(
      await Promise.all(Object.values(accountScripts).map(async (s) => [s.name, new Set(await state.entrypointsOf(s))] as const)),
    );
    const targets = poolTargets(Object.values(acc.namespaces), outbounds);
    const bc: BuildContext = {
      ...state,
      store,
      mf,
      log,
      account,
      namespaces,
      outbounds,
      accountScripts,
      entrypoints,
      usedAssetSets,
      poolTargets: targets,
    };

    const hosted = hostTargets(store, account);
    if (acc.workers)
      for (const script of Object.values(accountScripts)) {
        const mfName = accountWorkerName(account, script.name);
        workers.push(await accountWorker(bc, acc.workers, script, mfName));
        const dev = script.subdomain?.enabled === true;
        if (dev || hosted.has(script.name)) publicWorkers.push({ script: script.name, mfName, account, dev });
      }
    for (const ns of Object.values(acc.namespaces)) {
      const host = await buildNamespaceHost(bc, ns);
      poolWorkers.push(host.options);
      namespaceTables.set(namespaceHostName(ns.id), host.scripts);
      if (!bound.has(ns.id)) continue;
      // A wrapped binding's Worker takes the compatibility date of the Worker holding the binding: none of its own.
      // An account-level Worker's reaches the host in the pool, under the supervisor; a user Worker's is beside it.
      workers.push({
        name: namespaceWorkerName(ns.id),
        ...runtimeWorker("binding.mjs"),
        bindings: { CPU_MS: DEFAULT_CPU_MS },
        serviceBindings: {
          HOST: externalService(await bc.port(namespaceHostName(ns.id))),
          SUPERVISOR: state.supervise({ account, namespace: ns.name }),
        },
      } as WorkerOptions);
      poolWorkers.push({
        name: namespaceWorkerName(ns.id),
        ...runtimeWorker("binding.mjs"),
        serviceBindings: { HOST: namespaceHostName(ns.id) },
      } as WorkerOptions);
    }
  }
  publicWorkers.sort((a, b) => (a.script < b.script ? -1 : a.script > b.script ? 1 : 0));
  workers.push(frontWorker(publicWorkers, hostTable(store, publicWorkers)));
  // Asset sets no Worker has any more are forgotten.
  for (const key of state.assetSets.keys()) if (!usedAssetSets.has(key)) state.assetSets.delete(key);
  return { workers, poolWorkers, namespaces: namespaceTables, fingerprint: digest(workers), poolFingerprint: digest(poolWorkers) };
}
