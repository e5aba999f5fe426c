/**
 * @module
 * What the runtime's config and the namespace hosts share: Worker names, a script's bindings sorted by how the
 * runtime provides them, its modules for the Worker Loader, and its asset set written out to disk (under a
 * temporary directory per process).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Log } from "miniflare";
import type { Binding, Module, Namespace, Script, ScriptContainer, Store } from "../model/store";
import type { DescribedAssets, MiniflareModule } from "./miniflare-internals";
import { entryModules } from "./worker-sources";
import { d1BindingId, r2BindingJurisdiction, r2StorageKey } from "../model/storage";
import type { Unsupported, WireModule } from "./workers/internal.mjs" with { "resolution-mode": "import" };

/** The options of the Worker every request falls back to (Miniflare's first Worker). */
export const FALLBACK_WORKER = "wfp:fallback";
/** The Worker behind the workers port (workers/front.mts), on a socket of its own. */
export const FRONT_WORKER = "wfp:front";
/** The Worker behind every D1 and R2 binding (workers/storage-link.mts; its entrypoint WfpStorage). */
export const STORAGE_LINK_WORKER = "wfp:storage-link";
/** The account-level Workers' tail Worker (workers/tail.mts). */
export const TAIL_WORKER = "wfp:tail";

/** The date the local runtime runs its own Workers with, and a stored script that has none. */
export const RUNTIME_COMPATIBILITY_DATE = "2025-06-01";
export const MODULES_ROOT = "/wfp";
/** workerd's network reaching public addresses only (no loopback, private or link-local address). */
export const PUBLIC_NETWORK = { network: { allow: ["public"], deny: ["private", "local"] } };

export const accountWorkerName = (account: string, script: string): string => `acct:${account}:${script}`;
export const namespaceWorkerName = (namespaceId: string): string => `nsbinding:${namespaceId}`;

/** A binding the runtime cannot provide, as the Workers' shared module (workers/internal.mts) reports it. */
export type { Unsupported };

/** A module as the Worker Loader takes it, binary content as base64 (decoded inside workerd). */
export type LoaderModule = WireModule;

export function loaderModule(m: Module): LoaderModule {
  const type = m.type.split(";")[0]!.trim().toLowerCase();
  const text = () => Buffer.from(m.data, "base64").toString("utf8");
  switch (type) {
    case "application/javascript+module":
    case "text/javascript+module":
      return { js: text() };
    case "application/javascript":
    case "text/javascript":
      return m.name.endsWith(".mjs") ? { js: text() } : { cjs: text() };
    case "text/plain":
      return { text: text() };
    case "application/wasm":
      return { wasm: m.data };
    default:
      return { data: m.data };
  }
}

/** A service-worker script's code: the part `body_part` names, else the first. */
export function serviceWorkerBody(script: Script): Module | undefined {
  return script.modules.find((m) => m.name === script.body_part) ?? script.modules[0];
}

/** What a runtime keeps across builds: fields of the runtime object, handed to each build. */
export interface RuntimeState {
  /** Where asset sets are written out. */
  assetsRoot: string;
  /** Authenticates the runtime's requests that hand a namespace's host its changed Workers. */
  token: string;
  /** Why an account-level Worker would not start, or undefined: workerd would refuse every Worker with it. */
  startupError: (script: Script) => Promise<string | undefined>;
  /** The entrypoints a service binding may name on an account-level Worker (validator.ts `entrypoints`). */
  entrypointsOf: (script: Script) => Promise<string[]>;
  /** Asset sets as Miniflare's assets plugin described them, by directory and settings. */
  assetSets: Map<string, Promise<DescribedAssets>>;
  /** The operator's account-level Workers (`NAME` or `ACCOUNT_ID/NAME`) that may reach this machine's network. */
  localNetworkWorkers: Set<string>;
  /** Answers D1 and R2 bindings' calls (the storage host); undefined: such bindings are unsupported. */
  storage?: (request: Request) => Promise<Response>;
  /** Receives the tail Workers' traces (a service binding into this process); undefined: no tails. */
  tailSink?: (request: Request) => Promise<Response>;
  /** A loopback port per key, the same for the runtime's life: sockets one workerd process reaches in the other. */
  port: (key: string) => Promise<number>;
  /** A Worker wrote to a KV namespace (`account:id`): the other process's KV Worker drops its cached reads. */
  kvChanged: (key: string) => Promise<void>;
  /** The tenant pool's supervisor, as a service of a namespace's dispatch binding (pool.ts). */
  supervise: (who: { account: string; namespace: string }) => (request: Request) => Promise<Response>;
}

export interface BuildContext extends RuntimeState {
  store: Store;
  mf: MiniflareModule;
  log: Log;
  account: string;
  /** The account's dispatch namespaces by name. */
  namespaces: Map<string, Namespace>;
  /** Per namespace id: the outbound Workers its dispatch bindings name, in a fixed order. */
  outbounds: Map<string, string[]>;
  accountScripts: Record<string, Script>;
  /** Per account-level Worker: the entrypoints a service binding may name on it. */
  entrypoints: Map<string, Set<string>>;
  /** The keys of assetSets this build used: the others are dropped after it. */
  usedAssetSets: Set<string>;
  /** Per account-level Worker the tenant pool reaches (outbound Worker, service binding): its entrypoints ("" default). */
  poolTargets: Map<string, Set<string>>;
}

/** Miniflare's header for `request.cf` on its sockets: an external service binding sends it the same way. */
const CF_BLOB_HEADER = "MF-CF-Blob";

/** A service in the other workerd process, at a loopback port of the runtime's. */
export const externalService = (port: number): { external: { address: string; http: { cfBlobHeader: string } } } => ({
  external: { address: `127.0.0.1:${port}`, http: { cfBlobHeader: CF_BLOB_HEADER } },
});

/** The port key of an account-level Worker's socket for the tenant pool. */
export const targetPortKey = (account: string, script: string, entrypoint: string): string =>
  `${accountWorkerName(account, script)}#${entrypoint}`;

export function outboundOf(b: Binding): string | undefined {
  const o = b.outbound as { worker?: { service?: unknown } } | undefined;
  return typeof o?.worker?.service === "string" ? o.worker.service : undefined;
}

function paramsOf(b: Binding): string[] {
  const o = b.outbound as { params?: Array<{ name?: unknown } | string> } | undefined;
  return (o?.params ?? []).map((p) => (typeof p === "string" ? p : String(p?.name ?? ""))).filter((n) => n !== "");
}

export type ServiceTarget = { name: string; entrypoint?: string; props?: Record<string, string> };
export type WrappedBinding = { scriptName: string; bindings: Record<string, unknown> };

/** A script's bindings, sorted by how the runtime provides them. */
export interface Resolved {
  /** Plain values: text, secrets, JSON, version metadata. */
  values: Record<string, unknown>;
  /** Binding name → KV namespace id. */
  kv: Record<string, string>;
  services: Record<string, ServiceTarget>;
  dispatch: Record<string, WrappedBinding>;
  /** Binding name → the Worker's own Durable Object class (its name, namespace id, storage kind). */
  objects: Record<string, { cls: string; id: string; sqlite: boolean }>;
  assetsBinding?: string;
  unsupported: Unsupported[];
}

export function resolveBindings(bc: BuildContext, script: Script): Resolved {
  const r: Resolved = { values: {}, kv: {}, services: {}, dispatch: {}, objects: {}, unsupported: [] };
  for (const b of script.bindings) {
    switch (b.type) {
      case "plain_text":
      case "secret_text":
        r.values[b.name] = String(b.text ?? "");
        break;
      case "json":
        r.values[b.name] = b.json;
        break;
      case "version_metadata":
        r.values[b.name] = { id: script.etag, tag: "", timestamp: script.modified_on };
        break;
      case "assets":
        r.assetsBinding = b.name;
        break;
      case "kv_namespace":
        // One store per account and id: another account binding the same id must not see these keys.
        r.kv[b.name] = `${bc.account}:${String(b.namespace_id ?? "")}`;
        break;
      case "service": {
        const target = typeof b.service === "string" ? b.service : "";
        const entrypoint = typeof b.entrypoint === "string" && b.entrypoint !== "default" ? b.entrypoint : undefined;
        if (!bc.accountScripts[target]) r.unsupported.push({ name: b.name, type: b.type, reason: `no Worker named "${target}"` });
        // workerd would refuse its whole config for a binding to an entrypoint that is not there.
        else if (entrypoint !== undefined && !bc.entrypoints.get(target)?.has(entrypoint))
          r.unsupported.push({ name: b.name, type: b.type, reason: `Worker "${target}" exports no entrypoint "${entrypoint}"` });
        else
          r.services[b.name] = {
            name: accountWorkerName(bc.account, target),
            ...(typeof b.entrypoint === "string" ? { entrypoint: b.entrypoint } : {}),
          };
        break;
      }
      case "dispatch_namespace": {
        const ns = bc.namespaces.get(String(b.namespace ?? ""));
        if (!ns) {
          r.unsupported.push({ name: b.name, type: b.type, reason: `no namespace named "${String(b.namespace)}"` });
          break;
        }
        const out = outboundOf(b);
        const index = out === undefined ? null : bc.outbounds.get(ns.id)!.indexOf(out);
        r.dispatch[b.name] = { scriptName: namespaceWorkerName(ns.id), bindings: { OUTBOUND: index, PARAMS: paramsOf(b) } };
        break;
      }
      case "durable_object_namespace": {
        const cls = String(b.class_name ?? "");
        const own = b.script_name === undefined || b.script_name === script.name;
        const d = own && Object.hasOwn(script.durable_objects ?? {}, cls) ? script.durable_objects![cls]! : undefined;
        if (!d)
          r.unsupported.push({
            name: b.name,
            type: b.type,
            reason: `class "${cls}" of another Worker (only a Worker's own classes run locally)`,
          });
        else r.objects[b.name] = { cls, id: d.id, sqlite: d.sqlite };
        break;
      }
      case "d1":
      case "r2_bucket": {
        if (!bc.storage) {
          r.unsupported.push({ name: b.name, type: b.type, reason: "no storage host" });
          break;
        }
        // The target is fixed here, per binding: the Worker's code cannot name another database or bucket.
        const target =
          b.type === "d1"
            ? `d1:${d1BindingId(b) ?? ""}`
            : `r2:${r2StorageKey(bc.account, { jurisdiction: r2BindingJurisdiction(b), name: String(b.bucket_name ?? "") })}`;
        r.services[b.name] = { name: STORAGE_LINK_WORKER, entrypoint: "WfpStorage", props: { target, account: bc.account } };
        r.values.__WFP_STORAGE = { ...(r.values.__WFP_STORAGE as object | undefined), [b.name]: b.type === "d1" ? "d1" : "r2" };
        break;
      }
      default:
        r.unsupported.push({ name: b.name, type: b.type });
    }
  }
  return r;
}

/** The compatibility flags a modules-format Worker runs with: the entry wrapper needs AsyncLocalStorage. */
export function runtimeFlags(script: Script): string[] {
  const flags = [...script.compatibility_flags];
  if (script.main_module !== undefined && !flags.includes("nodejs_compat") && !flags.includes("nodejs_als")) flags.push("nodejs_als");
  return flags;
}

/** The deployed modules, then the entry wrapper and the subrequest count (last: no upload replaces them). */
export function loaderModules(script: Script & { main_module: string }, trusted: boolean): Record<string, LoaderModule> {
  const modules: Record<string, LoaderModule> = {};
  for (const m of script.modules) modules[m.name] = loaderModule(m);
  for (const [name, js] of Object.entries(entryModules(script.main_module, trusted ? "user" : "untrusted-user"))) modules[name] = { js };
  return modules;
}

/** Miniflare's router and asset Worker settings for a script's asset config. */
export function assetOptions(script: Script): { routerConfig: Record<string, unknown>; assetConfig: Record<string, unknown> } {
  const config = script.assets?.config ?? {};
  const routerConfig: Record<string, unknown> = { has_user_worker: true };
  const rwf = config.run_worker_first;
  if (rwf === true) routerConfig.invoke_user_worker_ahead_of_assets = true;
  if (Array.isArray(rwf)) {
    const rules = rwf.map(String);
    routerConfig.static_routing = {
      user_worker: rules.filter((r) => !r.startsWith("!")),
      asset_worker: rules.filter((r) => r.startsWith("!")).map((r) => r.slice(1)),
    };
  }
  const assetConfig: Record<string, unknown> = {};
  if (typeof config.html_handling === "string") assetConfig.html_handling = config.html_handling;
  if (typeof config.not_found_handling === "string") assetConfig.not_found_handling = config.not_found_handling;
  return { routerConfig, assetConfig };
}

const ASSETS_PREFIX = "wfp-runtime-";

/**
 * A fresh directory for the written-out assets, named by our pid; those of processes that are gone (killed before
 * they could clean up: a re-raised SIGTERM skips exit handlers) are removed first.
 */
export function newAssetsRoot(): string {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^wfp-runtime-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  return mkdtempSync(join(tmpdir(), `${ASSETS_PREFIX}${process.pid}-`));
}

/** Writes a deployed asset set (and its `_headers` / `_redirects`) to a directory named by its digest, once. */
export async function materializeAssets(bc: BuildContext, container: ScriptContainer, script: Script): Promise<string> {
  const assets = script.assets!;
  const config = assets.config ?? {};
  const special = { _headers: config._headers, _redirects: config._redirects };
  const digest = createHash("sha256")
    .update(JSON.stringify([Object.entries(assets.manifest).sort(([a], [b]) => (a < b ? -1 : 1)), special]))
    .digest("hex")
    .slice(0, 24);
  const dir = join(bc.assetsRoot, container.id, script.name, digest);
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [path, entry] of Object.entries(assets.manifest)) {
    const bytes = (await bc.store.readBlob(container.id, entry.hash)) ?? Buffer.alloc(0);
    const file = join(tmp, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
  for (const [file, text] of Object.entries(special)) if (typeof text === "string") await writeFile(join(tmp, file), text);
  await rename(tmp, dir);
  return dir;
}
