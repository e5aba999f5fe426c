/**
 * @module
 * The emulator's state as Miniflare worker options: every account-level Worker with its bindings, and per dispatch
 * namespace its binding Worker and its host (namespace-host.ts), which runs the namespace's user Workers. Static
 * assets are written out to a directory per deployed asset set, since Miniflare's assets plugin reads a directory.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Log, WorkerOptions } from "miniflare";
import type { Binding, Module, Namespace, Script, ScriptContainer, Store } from "../store";
import { buildNamespaceHost, namespaceHostName, type ScriptPayload, SCRIPTS_BINDING } from "./namespace-host";
import { ENTRY_MODULE, entrySource, FRONT_SOURCE, NAMESPACE_SOURCE, PATCH_MODULE, PATCH_SOURCE, RESERVED_MODULE_PREFIX } from "./shims";

export type MiniflareModule = typeof import("miniflare");

/** The options of the Worker every request falls back to (Miniflare's first Worker). */
export const FALLBACK_WORKER = "wfp:fallback";
/** The Worker behind the workers port (FRONT_SOURCE), on a socket of its own. */
export const FRONT_WORKER = "wfp:front";
const FALLBACK_SOURCE = `export default { fetch() { return new Response("wfp-emulator: no Worker here\\n", { status: 404 }); } };`;
const BROKEN_SOURCE = `export default { fetch(request, env) { return new Response("wfp-emulator: this Worker failed to start: " + env.ERROR + "\\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } }); } };`;
export const DEFAULT_COMPATIBILITY_DATE = "2025-06-01";
const MODULES_ROOT = "/wfp";

export const accountWorkerName = (account: string, script: string): string => `acct:${account}:${script}`;
const namespaceWorkerName = (namespaceId: string): string => `nsbinding:${namespaceId}`;

/** Per Miniflare Worker name: the compatibility settings its asset Worker resolves behaviour with. */
export const assetCompatibility = new Map<string, { compatibility_date: string; compatibility_flags: string[] }>();

/** An account-level Worker with its workers.dev subdomain on: what the workers port serves. */
interface PublicWorker {
  script: string;
  mfName: string;
}

export interface RuntimeConfig {
  workers: WorkerOptions[];
  /** Per namespace host (Miniflare name): its user Workers, which change without a restart. */
  namespaces: Map<string, Record<string, ScriptPayload>>;
  /** Digest of what needs a restart to change: all of the above but the namespaces' user Workers. */
  fingerprint: string;
}

export interface Unsupported {
  name: string;
  type: string;
  reason?: string;
}

type ModuleDef = { type: "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm"; path: string; contents: string | Uint8Array };
/** A module as the Worker Loader takes it, binary content as base64 (decoded inside workerd). */
export type LoaderModule = { js: string } | { cjs: string } | { text: string } | { json: unknown } | { wasm: string } | { data: string };

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
    case "application/json":
      return { json: JSON.parse(text()) };
    case "application/wasm":
      return { wasm: m.data };
    default:
      return { data: m.data };
  }
}

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

export interface BuildContext {
  store: Store;
  mf: MiniflareModule;
  log: Log;
  account: string;
  /** The account's dispatch namespaces by name. */
  namespaces: Map<string, Namespace>;
  /** Per namespace id: the outbound Workers its dispatch bindings name, in a fixed order. */
  outbounds: Map<string, string[]>;
  accountScripts: Record<string, Script>;
  assetsRoot: string;
  /** Authenticates the runtime's requests that hand a namespace's host its changed Workers. */
  token: string;
  /** Why an account-level Worker would not start, or undefined: workerd would refuse every Worker with it. */
  startupError: (script: Script) => Promise<string | undefined>;
}

function outboundOf(b: Binding): string | undefined {
  const o = b.outbound as { worker?: { service?: unknown } } | undefined;
  return typeof o?.worker?.service === "string" ? o.worker.service : undefined;
}

function paramsOf(b: Binding): string[] {
  const o = b.outbound as { params?: Array<{ name?: unknown } | string> } | undefined;
  return (o?.params ?? []).map((p) => (typeof p === "string" ? p : String(p?.name ?? ""))).filter((n) => n !== "");
}

export type ServiceTarget = { name: string; entrypoint?: string };
export type WrappedBinding = { scriptName: string; bindings: Record<string, unknown> };

/** A script's bindings, sorted by how the runtime provides them. */
export interface Resolved {
  /** Plain values: text, secrets, JSON, version metadata. */
  values: Record<string, unknown>;
  /** Binding name → KV namespace id. */
  kv: Record<string, string>;
  services: Record<string, ServiceTarget>;
  dispatch: Record<string, WrappedBinding>;
  assetsBinding?: string;
  unsupported: Unsupported[];
}

export function resolveBindings(bc: BuildContext, script: Script): Resolved {
  const r: Resolved = { values: {}, kv: {}, services: {}, dispatch: {}, unsupported: [] };
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
        r.kv[b.name] = String(b.namespace_id ?? "");
        break;
      case "service": {
        const target = typeof b.service === "string" ? b.service : "";
        if (!bc.accountScripts[target]) r.unsupported.push({ name: b.name, type: b.type, reason: `no Worker named "${target}"` });
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
export function loaderModules(script: Script & { main_module: string }): Record<string, LoaderModule> {
  const modules: Record<string, LoaderModule> = {};
  for (const m of script.modules) modules[m.name] = loaderModule(m);
  modules[ENTRY_MODULE] = { js: entrySource(script.main_module, "user") };
  modules[PATCH_MODULE] = { js: PATCH_SOURCE };
  return modules;
}

/** An account-level Worker as Miniflare options. */
async function accountWorker(bc: BuildContext, container: ScriptContainer, script: Script, mfName: string): Promise<WorkerOptions> {
  const error = await bc.startupError(script);
  // In its place, a Worker that answers its error: the others still start.
  if (error !== undefined)
    return {
      name: mfName,
      modules: true,
      script: BROKEN_SOURCE,
      compatibilityDate: DEFAULT_COMPATIBILITY_DATE,
      bindings: { ERROR: error },
    };
  const r = resolveBindings(bc, script);
  const flags = runtimeFlags(script);
  const compatibilityDate = script.compatibility_date || DEFAULT_COMPATIBILITY_DATE;
  const options: Record<string, unknown> = {
    name: mfName,
    compatibilityDate,
    compatibilityFlags: flags,
    bindings: { ...r.values, __WFP_CONFIG: { unsupported: r.unsupported }, __WFP_TOKEN: bc.token },
    kvNamespaces: r.kv,
    serviceBindings: r.services,
    wrappedBindings: r.dispatch,
  };
  if (script.main_module !== undefined) {
    options.modulesRoot = MODULES_ROOT;
    const entry = { type: "ESModule", path: `${MODULES_ROOT}/${ENTRY_MODULE}`, contents: entrySource(script.main_module, "account") };
    options.modules = [entry, ...script.modules.filter((m) => !m.name.startsWith(RESERVED_MODULE_PREFIX)).map(moduleDef)];
  } else {
    // Service-worker format: no entry wrapper (no outbound params, limits or unsupported-binding check).
    const body = script.modules.find((m) => m.name === script.body_part) ?? script.modules[0];
    options.script = body ? Buffer.from(body.data, "base64").toString("utf8") : "";
  }
  if (script.assets) {
    const directory = await materializeAssets(bc, container, script);
    options.assets = { directory, ...assetOptions(script), ...(r.assetsBinding ? { binding: r.assetsBinding } : {}) };
    assetCompatibility.set(mfName, { compatibility_date: compatibilityDate, compatibility_flags: flags });
  }
  return options as WorkerOptions;
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

/** The front Worker: a socket of its own (no Miniflare entry Worker on the way), a service binding per public Worker. */
function frontWorker(publicWorkers: PublicWorker[]): WorkerOptions {
  return {
    name: FRONT_WORKER,
    modules: true,
    script: FRONT_SOURCE,
    compatibilityDate: DEFAULT_COMPATIBILITY_DATE,
    bindings: { __WFP_PUBLIC: publicWorkers.map((w, i) => ({ script: w.script, binding: `W${i}` })), __WFP_CF: PLACEHOLDER_CF },
    serviceBindings: Object.fromEntries(publicWorkers.map((w, i) => [`W${i}`, w.mfName])),
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  } as WorkerOptions;
}

/** Builds the worker options for every account in the store. */
export async function buildRuntimeConfig(
  store: Store,
  mf: MiniflareModule,
  log: Log,
  assetsRoot: string,
  token: string,
  startupError: BuildContext["startupError"],
): Promise<RuntimeConfig> {
  const workers: WorkerOptions[] = [
    { name: FALLBACK_WORKER, modules: true, script: FALLBACK_SOURCE, compatibilityDate: DEFAULT_COMPATIBILITY_DATE },
  ];
  const publicWorkers: PublicWorker[] = [];
  const namespaceTables = new Map<string, Record<string, ScriptPayload>>();
  for (const [account, acc] of Object.entries(store.state.accounts)) {
    const accountScripts = acc.workers?.scripts ?? {};
    const namespaces = new Map(Object.values(acc.namespaces).map((ns) => [ns.name, ns]));
    const outbounds = new Map<string, string[]>([...namespaces.values()].map((ns) => [ns.id, []]));
    const allScripts = [...Object.values(accountScripts), ...Object.values(acc.namespaces).flatMap((ns) => Object.values(ns.scripts))];
    for (const s of allScripts)
      for (const b of s.bindings) {
        const ns = b.type === "dispatch_namespace" ? namespaces.get(String(b.namespace ?? "")) : undefined;
        const out = ns && outboundOf(b);
        if (ns && out !== undefined && !outbounds.get(ns.id)!.includes(out)) outbounds.get(ns.id)!.push(out);
      }
    for (const list of outbounds.values()) list.sort();
    const bc: BuildContext = { store, mf, log, account, namespaces, outbounds, accountScripts, assetsRoot, token, startupError };

    if (acc.workers)
      for (const script of Object.values(accountScripts)) {
        const mfName = accountWorkerName(account, script.name);
        workers.push(await accountWorker(bc, acc.workers, script, mfName));
        if (script.subdomain?.enabled) publicWorkers.push({ script: script.name, mfName });
      }
    for (const ns of Object.values(acc.namespaces)) {
      const host = await buildNamespaceHost(bc, ns);
      workers.push(host.options);
      namespaceTables.set(namespaceHostName(ns.id), host.scripts);
      // A wrapped binding's Worker takes the compatibility date of the Worker holding the binding: none of its own.
      workers.push({
        name: namespaceWorkerName(ns.id),
        modules: true,
        script: NAMESPACE_SOURCE,
        serviceBindings: { HOST: namespaceHostName(ns.id) },
      } as WorkerOptions);
    }
  }
  publicWorkers.sort((a, b) => (a.script < b.script ? -1 : a.script > b.script ? 1 : 0));
  workers.push(frontWorker(publicWorkers));
  const compat = workers.map((w) => (w.assets ? assetCompatibility.get(w.name ?? "") : null));
  const fingerprint = createHash("sha256")
    .update(
      JSON.stringify([workers, compat], (k, v) =>
        k === SCRIPTS_BINDING ? undefined : v instanceof Uint8Array ? createHash("sha256").update(v).digest("hex") : v,
      ),
    )
    .digest("hex");
  return { workers, namespaces: namespaceTables, fingerprint };
}
