/**
 * @module
 * The emulator's state as Miniflare worker options: every account-level Worker and every user Worker, their
 * bindings, and one wrapped binding Worker per dispatch namespace. Static assets are written out to a directory
 * per deployed asset set, since Miniflare's assets plugin serves a directory.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { WorkerOptions } from "miniflare";
import type { Binding, Module, Namespace, Script, ScriptContainer, Store } from "../store";
import { ENTRY_MODULE, entrySource, HOST_SOURCE, NAMESPACE_SOURCE, PATCH_MODULE, PATCH_SOURCE } from "./shims";

/** The options of the Worker every request falls back to (Miniflare's first Worker). */
export const FALLBACK_WORKER = "wfp:fallback";
const FALLBACK_SOURCE = `export default { fetch() { return new Response("wfp-emulator: no Worker here\\n", { status: 404 }); } };`;
const DEFAULT_COMPATIBILITY_DATE = "2025-06-01";
const HOST_COMPATIBILITY_DATE = "2025-06-01";
const MODULES_ROOT = "/wfp";

export const accountWorkerName = (account: string, script: string): string => `acct:${account}:${script}`;
export const userWorkerName = (namespaceId: string, script: string): string => `ns:${namespaceId}:${script}`;
const namespaceWorkerName = (namespaceId: string): string => `nsbinding:${namespaceId}`;

/** Per Miniflare Worker name: the compatibility settings its asset Worker resolves behaviour with. */
export const assetCompatibility = new Map<string, { compatibility_date: string; compatibility_flags: string[] }>();

/** An account-level Worker with its workers.dev subdomain on: what the workers port serves. */
export interface PublicWorker {
  account: string;
  script: string;
  mfName: string;
}

/** What a user Worker's host loads (see HOST_SOURCE): its code, compatibility and binding values. */
export interface LoadedCode {
  /** Digest of the rest: the Worker Loader's id. */
  version: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  mainModule: string;
  modules: Record<string, LoaderModule>;
  values: Record<string, unknown>;
  unsupported: Unsupported[];
}

export interface RuntimeConfig {
  workers: WorkerOptions[];
  publicWorkers: PublicWorker[];
  /** Per user Worker (Miniflare name): the code its host loads, which changes without a restart. */
  code: Map<string, LoadedCode>;
  /** Digest of everything that needs a restart to change: all of the above but the loaded code. */
  fingerprint: string;
}

/** The binding of a host's code at start, left out of the fingerprint. */
const CODE_BINDING = "__WFP_CODE";

interface Unsupported {
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

/** The workers.dev-style options shared by account-level and user Workers. */
interface Built {
  options: WorkerOptions;
  code?: LoadedCode;
}

interface BuildContext {
  store: Store;
  account: string;
  /** The account's dispatch namespaces by name. */
  namespaces: Map<string, Namespace>;
  /** Per namespace id: the outbound Workers its dispatch bindings name, in a fixed order. */
  outbounds: Map<string, string[]>;
  accountScripts: Record<string, Script>;
  assetsRoot: string;
  /** Authenticates the runtime's requests that hand a host new code. */
  token: string;
}

function outboundOf(b: Binding): string | undefined {
  const o = b.outbound as { worker?: { service?: unknown } } | undefined;
  return typeof o?.worker?.service === "string" ? o.worker.service : undefined;
}

function paramsOf(b: Binding): string[] {
  const o = b.outbound as { params?: Array<{ name?: unknown } | string> } | undefined;
  return (o?.params ?? []).map((p) => (typeof p === "string" ? p : String(p?.name ?? ""))).filter((n) => n !== "");
}

async function buildScript(
  bc: BuildContext,
  container: ScriptContainer,
  script: Script,
  mfName: string,
  userOfNamespace?: Namespace,
): Promise<Built> {
  const bindings: Record<string, unknown> = {};
  const kvNamespaces: Record<string, string> = {};
  const serviceBindings: Record<string, unknown> = {};
  const wrappedBindings: Record<string, { scriptName: string; bindings: Record<string, unknown> }> = {};
  const unsupported: Unsupported[] = [];
  let assetsBinding: string | undefined;

  for (const b of script.bindings) {
    switch (b.type) {
      case "plain_text":
      case "secret_text":
        bindings[b.name] = String(b.text ?? "");
        break;
      case "json":
        bindings[b.name] = b.json;
        break;
      case "version_metadata":
        bindings[b.name] = { id: script.etag, tag: "", timestamp: script.modified_on };
        break;
      case "assets":
        assetsBinding = b.name;
        break;
      case "kv_namespace":
        kvNamespaces[b.name] = String(b.namespace_id ?? "");
        break;
      case "service": {
        const target = typeof b.service === "string" ? b.service : "";
        if (!bc.accountScripts[target]) unsupported.push({ name: b.name, type: b.type, reason: `no Worker named "${target}"` });
        else
          serviceBindings[b.name] = {
            name: accountWorkerName(bc.account, target),
            ...(typeof b.entrypoint === "string" ? { entrypoint: b.entrypoint } : {}),
          };
        break;
      }
      case "dispatch_namespace": {
        const ns = bc.namespaces.get(String(b.namespace ?? ""));
        if (!ns) {
          unsupported.push({ name: b.name, type: b.type, reason: `no namespace named "${String(b.namespace)}"` });
          break;
        }
        const out = outboundOf(b);
        const index = out === undefined ? null : bc.outbounds.get(ns.id)!.indexOf(out);
        wrappedBindings[b.name] = { scriptName: namespaceWorkerName(ns.id), bindings: { OUTBOUND: index, PARAMS: paramsOf(b) } };
        break;
      }
      default:
        unsupported.push({ name: b.name, type: b.type });
    }
  }

  if (userOfNamespace) {
    bc.outbounds.get(userOfNamespace.id)!.forEach((out, i) => {
      if (bc.accountScripts[out]) serviceBindings[`__WFP_OUT_${i}`] = accountWorkerName(bc.account, out);
      else serviceBindings[`__WFP_OUT_${i}`] = FALLBACK_WORKER;
    });
  }

  const flags = [...script.compatibility_flags];
  if (script.main_module !== undefined && !flags.includes("nodejs_compat") && !flags.includes("nodejs_als")) flags.push("nodejs_als");
  const compatibilityDate = script.compatibility_date || DEFAULT_COMPATIBILITY_DATE;
  const options: Record<string, unknown> = { name: mfName, kvNamespaces, serviceBindings, wrappedBindings };
  let code: LoadedCode | undefined;
  if (userOfNamespace && script.main_module !== undefined) {
    const modules: Record<string, LoaderModule> = {
      [ENTRY_MODULE]: { js: entrySource(script.main_module) },
      [PATCH_MODULE]: { js: PATCH_SOURCE },
    };
    for (const m of script.modules) modules[m.name] = loaderModule(m);
    const loaded = { compatibilityDate, compatibilityFlags: flags, mainModule: ENTRY_MODULE, modules, values: bindings, unsupported };
    code = { version: createHash("sha256").update(JSON.stringify(loaded)).digest("hex"), ...loaded };
    const pass = [...Object.keys(serviceBindings), ...(assetsBinding ? [assetsBinding] : [])];
    Object.assign(options, {
      compatibilityDate: HOST_COMPATIBILITY_DATE,
      compatibilityFlags: ["enable_ctx_exports"],
      modules: [{ type: "ESModule", path: "host.js", contents: HOST_SOURCE }],
      workerLoaders: { LOADER: {} },
      bindings: {
        [CODE_BINDING]: code,
        __WFP_TOKEN: bc.token,
        __WFP_SHAPE: { pass, kv: Object.keys(kvNamespaces), dispatch: Object.keys(wrappedBindings) },
      },
    });
  } else {
    Object.assign(options, { compatibilityDate, compatibilityFlags: flags, bindings: { ...bindings, __WFP_CONFIG: { unsupported } } });
    if (script.main_module !== undefined) {
      options.modulesRoot = MODULES_ROOT;
      options.modules = [
        { type: "ESModule", path: `${MODULES_ROOT}/${ENTRY_MODULE}`, contents: entrySource(script.main_module) },
        { type: "ESModule", path: `${MODULES_ROOT}/${PATCH_MODULE}`, contents: PATCH_SOURCE },
        ...script.modules.map(moduleDef),
      ];
    } else {
      // Service-worker format: no entry wrapper (no outbound params, limits or unsupported-binding check).
      const body = script.modules.find((m) => m.name === script.body_part) ?? script.modules[0];
      options.script = body ? Buffer.from(body.data, "base64").toString("utf8") : "";
    }
  }
  if (script.assets) {
    const directory = await materializeAssets(bc, container, script);
    const config = script.assets.config ?? {};
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
    options.assets = { directory, routerConfig, assetConfig, ...(assetsBinding ? { binding: assetsBinding } : {}) };
    assetCompatibility.set(mfName, { compatibility_date: compatibilityDate, compatibility_flags: flags });
  }
  return { options: options as WorkerOptions, code };
}

/** Writes a deployed asset set (and its `_headers` / `_redirects`) to a directory named by its digest, once. */
async function materializeAssets(bc: BuildContext, container: ScriptContainer, script: Script): Promise<string> {
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

/** Builds the worker options for every account in the store. */
export async function buildRuntimeConfig(store: Store, assetsRoot: string, token: string): Promise<RuntimeConfig> {
  const workers: WorkerOptions[] = [
    { name: FALLBACK_WORKER, modules: true, script: FALLBACK_SOURCE, compatibilityDate: DEFAULT_COMPATIBILITY_DATE },
  ];
  const publicWorkers: PublicWorker[] = [];
  const code = new Map<string, LoadedCode>();
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
    const bc: BuildContext = { store, account, namespaces, outbounds, accountScripts, assetsRoot, token };

    if (acc.workers)
      for (const script of Object.values(accountScripts)) {
        const mfName = accountWorkerName(account, script.name);
        workers.push((await buildScript(bc, acc.workers, script, mfName)).options);
        if (script.subdomain?.enabled) publicWorkers.push({ account, script: script.name, mfName });
      }
    for (const ns of Object.values(acc.namespaces)) {
      const serviceBindings: Record<string, string> = {};
      for (const script of Object.values(ns.scripts)) {
        const mfName = userWorkerName(ns.id, script.name);
        serviceBindings[`S_${script.name}`] = mfName;
        const built = await buildScript(bc, ns, script, mfName, ns);
        workers.push(built.options);
        if (built.code) code.set(mfName, built.code);
      }
      // A wrapped binding's Worker takes the compatibility date of the Worker holding the binding: none of its own.
      workers.push({ name: namespaceWorkerName(ns.id), modules: true, script: NAMESPACE_SOURCE, serviceBindings } as WorkerOptions);
    }
  }
  publicWorkers.sort((a, b) => (a.script < b.script ? -1 : a.script > b.script ? 1 : 0));
  const compat = workers.map((w) => (w.assets ? assetCompatibility.get(w.name ?? "") : null));
  const fingerprint = createHash("sha256")
    .update(
      JSON.stringify([workers, compat], (k, v) =>
        k === CODE_BINDING ? undefined : v instanceof Uint8Array ? createHash("sha256").update(v).digest("hex") : v,
      ),
    )
    .digest("hex");
  return { workers, publicWorkers, code, fingerprint };
}
