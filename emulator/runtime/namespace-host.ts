/**
 * @module
 * A dispatch namespace's host (workers/host.mts) as Miniflare options, and the table of user Workers it runs:
 * per Worker its code, binding values, which of the host's bindings it gets, and its asset set. Only the host's
 * bindings are in workerd's config (the union of what its Workers bind to), so a Worker added, changed or deleted
 * needs no restart. Asset sets are described by Miniflare's own assets plugin (Cloudflare's manifest encoding and
 * `_headers` / `_redirects` parsing) and served by Cloudflare's asset and router Workers, which the host loads.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { WorkerOptions } from "miniflare";
import type { Namespace, Script } from "../model/store";
import { describeAssets } from "./miniflare-internals";
import {
  accountWorkerName,
  assetOptions,
  type BuildContext,
  externalService,
  RUNTIME_COMPATIBILITY_DATE,
  FALLBACK_WORKER,
  loaderModules,
  materializeAssets,
  PUBLIC_NETWORK,
  resolveBindings,
  runtimeFlags,
  STORAGE_LINK_WORKER,
  targetPortKey,
} from "./worker-build";
import { kvBindingTarget } from "./kv";
import { ENTRY_MODULE, runtimeWorker } from "./worker-sources";
import type { AssetSet, Entry as HostEntry } from "./workers/internal.mjs" with { "resolution-mode": "import" };

/** The host's binding with its table at start, left out of the config's fingerprint. */
export const SCRIPTS_BINDING = "__WFP_SCRIPTS";
export const namespaceHostName = (namespaceId: string): string => `nshost:${namespaceId}`;

/** A user Worker as the host takes it: the host's own type (workers/host.mts). */
export type ScriptPayload = HostEntry;

/** Cloudflare's asset and router Workers: their sources, and the router's compatibility settings. */
interface AssetWorkers {
  asset: string;
  router: { date: string; flags: string[]; source: string };
}

/** Runs Miniflare's assets plugin on a written-out asset set; once per set and settings while a Worker has it. */
async function describeAssetSet(bc: BuildContext, directory: string, script: Script): Promise<{ set: AssetSet; workers: AssetWorkers }> {
  const { routerConfig, assetConfig } = assetOptions(script);
  const compat = { compatibilityDate: script.compatibility_date || RUNTIME_COMPATIBILITY_DATE, compatibilityFlags: runtimeFlags(script) };
  const key = JSON.stringify([directory, routerConfig, assetConfig, compat]);
  bc.usedAssetSets.add(key);
  let entry = bc.assetSets.get(key);
  if (!entry) {
    entry = describeAssets(bc.mf, bc.log, { directory, routerConfig, assetConfig, ...compat });
    bc.assetSets.set(key, entry);
    entry.catch(() => bc.assetSets.delete(key));
  }
  const d = await entry;
  const base = relative(bc.assetsRoot, directory).split(sep).join("/");
  const files: AssetSet["files"] = {};
  for (const [etag, f] of Object.entries(d.reverseMap))
    files[etag] = { path: `${base}/${f.filePath.split(sep).join("/")}`, contentType: f.contentType };
  const set: AssetSet = {
    id: createHash("sha256").update(key).digest("hex").slice(0, 24),
    config: d.assetConfig,
    routerConfig: d.routerConfig,
    manifest: Buffer.from(d.manifest).toString("base64"),
    files,
  };
  return { set, workers: { asset: d.assetSource, router: d.router } };
}

/** Cloudflare's asset and router Workers, from an empty asset set. */
async function assetWorkers(bc: BuildContext): Promise<AssetWorkers> {
  const empty = join(bc.assetsRoot, "wfp-empty-asset-set");
  await mkdir(empty, { recursive: true });
  const script = { compatibility_date: RUNTIME_COMPATIBILITY_DATE, compatibility_flags: [] } as unknown as Script;
  return (await describeAssetSet(bc, empty, script)).workers;
}

/** Gives each distinct value one binding name (`<prefix><n>`). */
function interner(prefix: string): (value: string) => string {
  const keys = new Map<string, string>();
  return (value) => {
    const key = keys.get(value) ?? `${prefix}${keys.size}`;
    keys.set(value, key);
    return key;
  };
}

export async function buildNamespaceHost(
  bc: BuildContext,
  ns: Namespace,
): Promise<{ options: WorkerOptions; scripts: Record<string, ScriptPayload> }> {
  const serviceBindings: Record<string, unknown> = {
    __WFP_FILES: { disk: { path: bc.assetsRoot, writable: false } },
    // A user Worker's outbound without an outbound Worker: the internet, not this machine or its network.
    __WFP_NET: PUBLIC_NETWORK,
  };
  // The user Workers' traces, through the host's WfpTail, to the runtime.
  if (bc.tailSink) serviceBindings.__WFP_SINK = bc.tailSink;
  const wrappedBindings: Record<string, unknown> = {};
  const [service, kv, dispatch] = [interner("__WFP_S"), interner("__WFP_K"), interner("__WFP_D")];
  const outbounds = bc.outbounds.get(ns.id)!;
  // Account-level Workers run in the other workerd process: reached at their sockets.
  const target = async (script: string, entrypoint: string) =>
    externalService(await bc.port(targetPortKey(bc.account, script, entrypoint)));
  for (const [i, out] of outbounds.entries())
    serviceBindings[`__WFP_OUT_${i}`] = bc.accountScripts[out] ? await target(out, "") : FALLBACK_WORKER;
  // Which outbound Workers have the runtime's wrapper (modules format), which alone takes params and the token.
  const wrapped = outbounds.map((out) => bc.accountScripts[out]?.main_module !== undefined);

  // Tenants name the keys: "__proto__" or "constructor" is a Worker like any other.
  const scripts: Record<string, ScriptPayload> = Object.create(null);
  for (const script of Object.values(ns.scripts)) {
    const r = resolveBindings(bc, script);
    const shape: ScriptPayload["shape"] = { pass: {}, kv: {}, dispatch: {} };
    for (const [name, t] of Object.entries(r.services)) {
      const key = service(JSON.stringify(t));
      // D1 and R2 through the pool's own storage link; an account-level Worker at its socket.
      serviceBindings[key] =
        t.name === STORAGE_LINK_WORKER ? t : await target(t.name.slice(accountWorkerName(bc.account, "").length), t.entrypoint ?? "");
      shape.pass[name] = key;
    }
    for (const [name, id] of Object.entries(r.kv)) {
      const key = kv(id);
      serviceBindings[key] = kvBindingTarget(id);
      shape.kv[name] = key;
    }
    for (const [name, binding] of Object.entries(r.dispatch)) {
      const key = dispatch(JSON.stringify(binding));
      wrappedBindings[key] = binding;
      shape.dispatch[name] = key;
    }
    if (r.assetsBinding && script.assets) shape.assets = r.assetsBinding;
    if (Object.keys(r.objects).length)
      shape.objects = Object.fromEntries(Object.entries(r.objects).map(([n, d]) => [n, { cls: d.cls, id: d.id }]));
    const payload: Omit<ScriptPayload, "version"> = { shape };
    if (script.main_module !== undefined)
      payload.code = {
        compatibilityDate: script.compatibility_date || RUNTIME_COMPATIBILITY_DATE,
        compatibilityFlags: runtimeFlags(script),
        mainModule: ENTRY_MODULE,
        // The namespace's trust is in the modules: switching it loads its Workers anew.
        modules: loaderModules(script as Script & { main_module: string }, ns.trusted_workers),
        // A user Worker's Durable Object bindings are namespaces of its host (workers/storage-client.mts).
        values: Object.keys(r.objects).length
          ? {
              ...r.values,
              __WFP_STORAGE: {
                ...(r.values.__WFP_STORAGE as object | undefined),
                ...Object.fromEntries(Object.keys(r.objects).map((n) => [n, "do"])),
              },
            }
          : r.values,
        unsupported: r.unsupported,
      };
    if (script.assets) payload.assets = (await describeAssetSet(bc, await materializeAssets(bc, ns, script), script)).set;
    scripts[script.name] = { version: createHash("sha256").update(JSON.stringify(payload)).digest("hex"), ...payload };
  }

  const workers = await assetWorkers(bc);
  // The host runs the router and asset Workers in-process: it takes the router's compatibility settings.
  const host = runtimeWorker("host.mjs");
  const options = {
    name: namespaceHostName(ns.id),
    compatibilityDate: workers.router.date,
    // service_binding_extra_handlers: a loaded Worker's scheduled() for its cron triggers.
    compatibilityFlags: [...new Set([...workers.router.flags, "enable_ctx_exports", "service_binding_extra_handlers"])],
    modulesRoot: host.modulesRoot,
    modules: [
      ...host.modules,
      { type: "ESModule", path: join(host.modulesRoot, "router-worker.js"), contents: workers.router.source },
      { type: "ESModule", path: join(host.modulesRoot, "asset-worker.js"), contents: workers.asset },
    ],
    workerLoaders: { LOADER: {} },
    // The user Workers' Durable Objects (host.mts WfpObject), SQLite-backed: each runs its class as a facet.
    durableObjects: { __WFP_DO: { className: "WfpObject", useSQLite: true } },
    bindings: {
      // As entries: Miniflare's option parsing drops a "__proto__" key.
      [SCRIPTS_BINDING]: Object.entries(scripts),
      __WFP_TOKEN: bc.token,
      __WFP_OUT_WRAPPED: wrapped,
      __WFP_WHO: { account: bc.account, namespace: ns.name },
    },
    serviceBindings,
    wrappedBindings,
    // The dispatch binding, in the other workerd process, reaches the host here.
    unsafeDirectSockets: [{ host: "127.0.0.1", port: await bc.port(namespaceHostName(ns.id)) }],
  };
  return { options: options as unknown as WorkerOptions, scripts };
}
