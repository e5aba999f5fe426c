"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.namespaceWorkerName = exports.accountWorkerName = exports.MODULES_ROOT = exports.RUNTIME_COMPATIBILITY_DATE = exports.TAIL_WORKER = exports.FRONT_WORKER = exports.FALLBACK_WORKER = void 0;
exports.loaderModule = loaderModule;
exports.outboundOf = outboundOf;
exports.resolveBindings = resolveBindings;
exports.runtimeFlags = runtimeFlags;
exports.loaderModules = loaderModules;
exports.assetOptions = assetOptions;
exports.materializeAssets = materializeAssets;
/**
 * @module
 * What the runtime's config and the namespace hosts share: Worker names, a script's bindings sorted by how the
 * runtime provides them, its modules for the Worker Loader, and its asset set written out to disk.
 */
const node_crypto_1 = require("node:crypto");
const node_fs_1 = require("node:fs");
const promises_1 = require("node:fs/promises");
const node_path_1 = require("node:path");
const worker_sources_1 = require("./worker-sources");
/** The options of the Worker every request falls back to (Miniflare's first Worker). */
exports.FALLBACK_WORKER = "wfp:fallback";
/** The Worker behind the workers port (workers/front.mts), on a socket of its own. */
exports.FRONT_WORKER = "wfp:front";
/** The account-level Workers' tail Worker (workers/tail.mts). */
exports.TAIL_WORKER = "wfp:tail";
/** The date the local runtime runs its own Workers with, and a stored script that has none. */
exports.RUNTIME_COMPATIBILITY_DATE = "2025-06-01";
exports.MODULES_ROOT = "/wfp";
const accountWorkerName = (account, script) => `acct:${account}:${script}`;
exports.accountWorkerName = accountWorkerName;
const namespaceWorkerName = (namespaceId) => `nsbinding:${namespaceId}`;
exports.namespaceWorkerName = namespaceWorkerName;
function loaderModule(m) {
    const type = m.type.split(";")[0].trim().toLowerCase();
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
function outboundOf(b) {
    const o = b.outbound;
    return typeof o?.worker?.service === "string" ? o.worker.service : undefined;
}
function paramsOf(b) {
    const o = b.outbound;
    return (o?.params ?? []).map((p) => (typeof p === "string" ? p : String(p?.name ?? ""))).filter((n) => n !== "");
}
function resolveBindings(bc, script) {
    const r = { values: {}, kv: {}, services: {}, dispatch: {}, unsupported: [] };
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
                if (!bc.accountScripts[target])
                    r.unsupported.push({ name: b.name, type: b.type, reason: `no Worker named "${target}"` });
                else
                    r.services[b.name] = {
                        name: (0, exports.accountWorkerName)(bc.account, target),
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
                const index = out === undefined ? null : bc.outbounds.get(ns.id).indexOf(out);
                r.dispatch[b.name] = { scriptName: (0, exports.namespaceWorkerName)(ns.id), bindings: { OUTBOUND: index, PARAMS: paramsOf(b) } };
                break;
            }
            default:
                r.unsupported.push({ name: b.name, type: b.type });
        }
    }
    return r;
}
/** The compatibility flags a modules-format Worker runs with: the entry wrapper needs AsyncLocalStorage. */
function runtimeFlags(script) {
    const flags = [...script.compatibility_flags];
    if (script.main_module !== undefined && !flags.includes("nodejs_compat") && !flags.includes("nodejs_als"))
        flags.push("nodejs_als");
    return flags;
}
/** The deployed modules, then the entry wrapper and the subrequest count (last: no upload replaces them). */
function loaderModules(script) {
    const modules = {};
    for (const m of script.modules)
        modules[m.name] = loaderModule(m);
    for (const [name, js] of Object.entries((0, worker_sources_1.entryModules)(script.main_module, "user")))
        modules[name] = { js };
    return modules;
}
/** Miniflare's router and asset Worker settings for a script's asset config. */
function assetOptions(script) {
    const config = script.assets?.config ?? {};
    const routerConfig = { has_user_worker: true };
    const rwf = config.run_worker_first;
    if (rwf === true)
        routerConfig.invoke_user_worker_ahead_of_assets = true;
    if (Array.isArray(rwf)) {
        const rules = rwf.map(String);
        routerConfig.static_routing = {
            user_worker: rules.filter((r) => !r.startsWith("!")),
            asset_worker: rules.filter((r) => r.startsWith("!")).map((r) => r.slice(1)),
        };
    }
    const assetConfig = {};
    if (typeof config.html_handling === "string")
        assetConfig.html_handling = config.html_handling;
    if (typeof config.not_found_handling === "string")
        assetConfig.not_found_handling = config.not_found_handling;
    return { routerConfig, assetConfig };
}
/** Writes a deployed asset set (and its `_headers` / `_redirects`) to a directory named by its digest, once. */
async function materializeAssets(bc, container, script) {
    const assets = script.assets;
    const config = assets.config ?? {};
    const special = { _headers: config._headers, _redirects: config._redirects };
    const digest = (0, node_crypto_1.createHash)("sha256")
        .update(JSON.stringify([Object.entries(assets.manifest).sort(([a], [b]) => (a < b ? -1 : 1)), special]))
        .digest("hex")
        .slice(0, 24);
    const dir = (0, node_path_1.join)(bc.assetsRoot, container.id, script.name, digest);
    if ((0, node_fs_1.existsSync)(dir))
        return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    await (0, promises_1.rm)(tmp, { recursive: true, force: true });
    await (0, promises_1.mkdir)(tmp, { recursive: true });
    for (const [path, entry] of Object.entries(assets.manifest)) {
        const bytes = (await bc.store.readBlob(container.id, entry.hash)) ?? Buffer.alloc(0);
        const file = (0, node_path_1.join)(tmp, path);
        await (0, promises_1.mkdir)((0, node_path_1.dirname)(file), { recursive: true });
        await (0, promises_1.writeFile)(file, bytes);
    }
    for (const [file, text] of Object.entries(special))
        if (typeof text === "string")
            await (0, promises_1.writeFile)((0, node_path_1.join)(tmp, file), text);
    await (0, promises_1.rename)(tmp, dir);
    return dir;
}
