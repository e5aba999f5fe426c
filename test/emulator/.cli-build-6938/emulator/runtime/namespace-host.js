"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.namespaceHostName = exports.SCRIPTS_BINDING = void 0;
exports.buildNamespaceHost = buildNamespaceHost;
/**
 * @module
 * A dispatch namespace's host (workers/host.mts) as Miniflare options, and the table of user Workers it runs:
 * per Worker its code, binding values, which of the host's bindings it gets, and its asset set. Only the host's
 * bindings are in workerd's config (the union of what its Workers bind to), so a Worker added, changed or deleted
 * needs no restart. Asset sets are described by Miniflare's own assets plugin (Cloudflare's manifest encoding and
 * `_headers` / `_redirects` parsing) and served by Cloudflare's asset and router Workers, which the host loads.
 */
const node_crypto_1 = require("node:crypto");
const promises_1 = require("node:fs/promises");
const node_path_1 = require("node:path");
const miniflare_internals_1 = require("./miniflare-internals");
const scripts_1 = require("./scripts");
const kv_service_1 = require("./kv-service");
const worker_sources_1 = require("./worker-sources");
/** The host's binding with its table at start, left out of the config's fingerprint. */
exports.SCRIPTS_BINDING = "__WFP_SCRIPTS";
const namespaceHostName = (namespaceId) => `nshost:${namespaceId}`;
exports.namespaceHostName = namespaceHostName;
/** Runs Miniflare's assets plugin on a written-out asset set; once per set and settings while a Worker has it. */
async function describeAssetSet(bc, directory, script) {
    const { routerConfig, assetConfig } = (0, scripts_1.assetOptions)(script);
    const compat = { compatibilityDate: script.compatibility_date || scripts_1.RUNTIME_COMPATIBILITY_DATE, compatibilityFlags: (0, scripts_1.runtimeFlags)(script) };
    const key = JSON.stringify([directory, routerConfig, assetConfig, compat]);
    bc.usedAssetSets.add(key);
    let entry = bc.assetSets.get(key);
    if (!entry) {
        entry = (0, miniflare_internals_1.describeAssets)(bc.mf, bc.log, { directory, routerConfig, assetConfig, ...compat });
        bc.assetSets.set(key, entry);
        entry.catch(() => bc.assetSets.delete(key));
    }
    const d = await entry;
    const base = (0, node_path_1.relative)(bc.assetsRoot, directory).split(node_path_1.sep).join("/");
    const files = {};
    for (const [etag, f] of Object.entries(d.reverseMap))
        files[etag] = { path: `${base}/${f.filePath.split(node_path_1.sep).join("/")}`, contentType: f.contentType };
    const set = {
        id: (0, node_crypto_1.createHash)("sha256").update(key).digest("hex").slice(0, 24),
        config: d.assetConfig,
        routerConfig: d.routerConfig,
        manifest: Buffer.from(d.manifest).toString("base64"),
        files,
    };
    return { set, workers: { asset: d.assetSource, router: d.router } };
}
/** Cloudflare's asset and router Workers, from an empty asset set. */
async function assetWorkers(bc) {
    const empty = (0, node_path_1.join)(bc.assetsRoot, "wfp-empty-asset-set");
    await (0, promises_1.mkdir)(empty, { recursive: true });
    const script = { compatibility_date: scripts_1.RUNTIME_COMPATIBILITY_DATE, compatibility_flags: [] };
    return (await describeAssetSet(bc, empty, script)).workers;
}
/** Gives each distinct value one binding name (`<prefix><n>`). */
function interner(prefix) {
    const keys = new Map();
    return (value) => {
        const key = keys.get(value) ?? `${prefix}${keys.size}`;
        keys.set(value, key);
        return key;
    };
}
async function buildNamespaceHost(bc, ns) {
    const serviceBindings = {
        __WFP_FILES: { disk: { path: bc.assetsRoot, writable: false } },
        // A user Worker's outbound without an outbound Worker: the internet, not this machine or its network.
        __WFP_NET: { network: { allow: ["public"], deny: ["private", "local"] } },
    };
    // The user Workers' traces, through the host's WfpTail, to the runtime.
    if (bc.tailSink)
        serviceBindings.__WFP_SINK = bc.tailSink;
    const wrappedBindings = {};
    const [service, kv, dispatch] = [interner("__WFP_S"), interner("__WFP_K"), interner("__WFP_D")];
    const outbounds = bc.outbounds.get(ns.id);
    outbounds.forEach((out, i) => {
        serviceBindings[`__WFP_OUT_${i}`] = bc.accountScripts[out] ? (0, scripts_1.accountWorkerName)(bc.account, out) : scripts_1.FALLBACK_WORKER;
    });
    // Which outbound Workers have the runtime's wrapper (modules format), which alone takes params and the token.
    const wrapped = outbounds.map((out) => bc.accountScripts[out]?.main_module !== undefined);
    const scripts = {};
    for (const script of Object.values(ns.scripts)) {
        const r = (0, scripts_1.resolveBindings)(bc, script);
        const shape = { pass: {}, kv: {}, dispatch: {} };
        for (const [name, target] of Object.entries(r.services)) {
            const key = service(JSON.stringify(target));
            serviceBindings[key] = target;
            shape.pass[name] = key;
        }
        for (const [name, id] of Object.entries(r.kv)) {
            const key = kv(id);
            serviceBindings[key] = (0, kv_service_1.kvBindingTarget)(id);
            shape.kv[name] = key;
        }
        for (const [name, binding] of Object.entries(r.dispatch)) {
            const key = dispatch(JSON.stringify(binding));
            wrappedBindings[key] = binding;
            shape.dispatch[name] = key;
        }
        if (r.assetsBinding && script.assets)
            shape.assets = r.assetsBinding;
        const payload = { shape };
        if (script.main_module !== undefined)
            payload.code = {
                compatibilityDate: script.compatibility_date || scripts_1.RUNTIME_COMPATIBILITY_DATE,
                compatibilityFlags: (0, scripts_1.runtimeFlags)(script),
                mainModule: worker_sources_1.ENTRY_MODULE,
                modules: (0, scripts_1.loaderModules)(script),
                values: r.values,
                unsupported: r.unsupported,
            };
        if (script.assets)
            payload.assets = (await describeAssetSet(bc, await (0, scripts_1.materializeAssets)(bc, ns, script), script)).set;
        scripts[script.name] = { version: (0, node_crypto_1.createHash)("sha256").update(JSON.stringify(payload)).digest("hex"), ...payload };
    }
    const workers = await assetWorkers(bc);
    // The host runs the router and asset Workers in-process: it takes the router's compatibility settings.
    const host = (0, worker_sources_1.runtimeWorker)("host.mjs");
    const options = {
        name: (0, exports.namespaceHostName)(ns.id),
        compatibilityDate: workers.router.date,
        // service_binding_extra_handlers: a loaded Worker's scheduled() for its cron triggers.
        compatibilityFlags: [...new Set([...workers.router.flags, "enable_ctx_exports", "service_binding_extra_handlers"])],
        modulesRoot: host.modulesRoot,
        modules: [
            ...host.modules,
            { type: "ESModule", path: (0, node_path_1.join)(host.modulesRoot, "router-worker.js"), contents: workers.router.source },
            { type: "ESModule", path: (0, node_path_1.join)(host.modulesRoot, "asset-worker.js"), contents: workers.asset },
        ],
        workerLoaders: { LOADER: {} },
        bindings: {
            [exports.SCRIPTS_BINDING]: scripts,
            __WFP_TOKEN: bc.token,
            __WFP_OUT_WRAPPED: wrapped,
            __WFP_WHO: { account: bc.account, namespace: ns.name },
        },
        serviceBindings,
        wrappedBindings,
    };
    return { options: options, scripts };
}
