"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.buildRuntimeConfig = buildRuntimeConfig;
/**
 * @module
 * The emulator's state as Miniflare worker options: every account-level Worker with its bindings, and per dispatch
 * namespace its binding Worker and its host (namespace-host.ts), which runs the namespace's user Workers. Static
 * assets are written out to a directory per deployed asset set, since Miniflare's assets plugin reads a directory.
 */
const node_crypto_1 = require("node:crypto");
const kv_service_1 = require("./kv-service");
const namespace_host_1 = require("./namespace-host");
const scripts_1 = require("./scripts");
const worker_sources_1 = require("./worker-sources");
const kv_service_2 = require("./kv-service");
/** A module of a Worker that Miniflare's config holds (account-level Workers). */
function moduleDef(m) {
    const path = `${scripts_1.MODULES_ROOT}/${m.name}`;
    const l = (0, scripts_1.loaderModule)(m);
    if ("js" in l)
        return { type: "ESModule", path, contents: l.js };
    if ("cjs" in l)
        return { type: "CommonJS", path, contents: l.cjs };
    if ("text" in l)
        return { type: "Text", path, contents: l.text };
    // A JSON module imports as its parsed value.
    if ("json" in l)
        return { type: "ESModule", path, contents: `export default ${JSON.stringify(l.json)};` };
    const bytes = new Uint8Array(Buffer.from("wasm" in l ? l.wasm : l.data, "base64"));
    return { type: "wasm" in l ? "CompiledWasm" : "Data", path, contents: bytes };
}
/** An account-level Worker as Miniflare options. */
async function accountWorker(bc, container, script, mfName) {
    const error = await bc.startupError(script);
    // In its place, a Worker that answers its error: the others still start.
    if (error !== undefined)
        return {
            name: mfName,
            ...(0, worker_sources_1.runtimeWorker)("broken.mjs"),
            compatibilityDate: scripts_1.RUNTIME_COMPATIBILITY_DATE,
            bindings: { ERROR: error },
        };
    const r = (0, scripts_1.resolveBindings)(bc, script);
    const flags = (0, scripts_1.runtimeFlags)(script);
    const compatibilityDate = script.compatibility_date || scripts_1.RUNTIME_COMPATIBILITY_DATE;
    const options = {
        name: mfName,
        compatibilityDate,
        compatibilityFlags: flags,
        bindings: { ...r.values, __WFP_CONFIG: { unsupported: r.unsupported }, __WFP_TOKEN: bc.token },
        serviceBindings: { ...r.services, ...Object.fromEntries(Object.entries(r.kv).map(([n, key]) => [n, (0, kv_service_1.kvBindingTarget)(key)])) },
        wrappedBindings: r.dispatch,
    };
    if (bc.tailSink)
        options.tails = [{ name: scripts_1.TAIL_WORKER, entrypoint: "Tail", props: { account: bc.account, script: script.name } }];
    if (script.main_module !== undefined) {
        options.modulesRoot = scripts_1.MODULES_ROOT;
        // The entry first (the main module); the deployed modules cannot take the runtime's names.
        const own = script.modules.filter((m) => !m.name.startsWith(worker_sources_1.RESERVED_MODULE_PREFIX)).map(moduleDef);
        const [entry, ...internal] = Object.entries((0, worker_sources_1.entryModules)(script.main_module, "account")).map(([name, contents]) => ({
            type: "ESModule",
            path: `${scripts_1.MODULES_ROOT}/${name}`,
            contents,
        }));
        options.modules = [entry, ...own, ...internal];
    }
    else {
        // Service-worker format: no entry wrapper (no outbound params, limits or unsupported-binding check).
        const body = script.modules.find((m) => m.name === script.body_part) ?? script.modules[0];
        options.script = body ? Buffer.from(body.data, "base64").toString("utf8") : "";
    }
    if (script.assets) {
        const directory = await (0, scripts_1.materializeAssets)(bc, container, script);
        options.assets = { directory, ...(0, scripts_1.assetOptions)(script), ...(r.assetsBinding ? { binding: r.assetsBinding } : {}) };
    }
    return options;
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
function hostTargets(store, account) {
    const out = new Set(Object.values(store.state.accounts[account]?.domains ?? {}).map((d) => d.service));
    for (const z of Object.values(store.state.zones))
        if (z.account === account)
            for (const r of Object.values(z.routes))
                if (r.script)
                    out.add(r.script);
    return out;
}
/** The front's host table (workers/front.mts `HostTable`): targets by their binding among the public Workers. */
function hostTable(store, publicWorkers) {
    const binding = (account, script) => {
        const i = publicWorkers.findIndex((w) => w.account === account && w.script === script);
        return i < 0 ? undefined : `W${i}`;
    };
    const domains = [];
    for (const [account, acc] of Object.entries(store.state.accounts))
        for (const d of Object.values(acc.domains ?? {})) {
            const b = binding(account, d.service);
            if (b)
                domains.push({ hostname: d.hostname, binding: b });
        }
    const zones = Object.values(store.state.zones).map((z) => {
        const hosts = Object.values(z.custom_hostnames);
        const zone = {
            name: z.name,
            routes: Object.values(z.routes).map((r) => ({ pattern: r.pattern, binding: binding(z.account, r.script) })),
            active: hosts.filter((ch) => ch.status === "active").map((ch) => ch.hostname),
            pending: hosts.filter((ch) => ch.status !== "active").map((ch) => ch.hostname),
        };
        if (z.fallback_origin)
            zone.fallbackOrigin = z.fallback_origin.origin;
        return zone;
    });
    // Longer zone names first: a host under a subdomain zone belongs to it, not to its parent.
    zones.sort((a, b) => b.name.length - a.name.length);
    return { domains, zones };
}
/** The front Worker: a socket of its own (no Miniflare entry Worker on the way), a service binding per public Worker. */
function frontWorker(publicWorkers, hosts) {
    return {
        name: scripts_1.FRONT_WORKER,
        ...(0, worker_sources_1.runtimeWorker)("front.mjs"),
        compatibilityDate: scripts_1.RUNTIME_COMPATIBILITY_DATE,
        bindings: {
            __WFP_PUBLIC: publicWorkers.map((w, i) => ({ script: w.script, binding: `W${i}`, dev: w.dev })),
            __WFP_HOSTS: hosts,
            __WFP_CF: PLACEHOLDER_CF,
        },
        serviceBindings: Object.fromEntries(publicWorkers.map((w, i) => [`W${i}`, w.mfName])),
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    };
}
/** Builds the worker options for every account in the store. */
async function buildRuntimeConfig(store, mf, log, state) {
    const usedAssetSets = new Set();
    const workers = [
        { name: scripts_1.FALLBACK_WORKER, ...(0, worker_sources_1.runtimeWorker)("fallback.mjs"), compatibilityDate: scripts_1.RUNTIME_COMPATIBILITY_DATE },
        // Every KV binding: the store's namespaces, through a function of this process (not in the fingerprint).
        {
            name: kv_service_2.KV_WORKER,
            ...(0, worker_sources_1.runtimeWorker)("kv.mjs"),
            compatibilityDate: scripts_1.RUNTIME_COMPATIBILITY_DATE,
            serviceBindings: { STORE: (0, kv_service_2.kvService)(store, Date.now) },
        },
    ];
    if (state.tailSink)
        workers.push({
            name: scripts_1.TAIL_WORKER,
            ...(0, worker_sources_1.runtimeWorker)("tail.mjs"),
            compatibilityDate: scripts_1.RUNTIME_COMPATIBILITY_DATE,
            serviceBindings: { SINK: state.tailSink },
        });
    const publicWorkers = [];
    const namespaceTables = new Map();
    for (const [account, acc] of Object.entries(store.state.accounts)) {
        const accountScripts = acc.workers?.scripts ?? {};
        const namespaces = new Map(Object.values(acc.namespaces).map((ns) => [ns.name, ns]));
        const outbounds = new Map([...namespaces.values()].map((ns) => [ns.id, []]));
        const allScripts = [...Object.values(accountScripts), ...Object.values(acc.namespaces).flatMap((ns) => Object.values(ns.scripts))];
        // Namespaces some Worker binds to: only those get a binding Worker (workerd takes an unbound one for a service).
        const bound = new Set();
        for (const s of allScripts)
            for (const b of s.bindings) {
                const ns = b.type === "dispatch_namespace" ? namespaces.get(String(b.namespace ?? "")) : undefined;
                if (ns)
                    bound.add(ns.id);
                const out = ns && (0, scripts_1.outboundOf)(b);
                if (ns && out !== undefined && !outbounds.get(ns.id).includes(out))
                    outbounds.get(ns.id).push(out);
            }
        for (const list of outbounds.values())
            list.sort();
        const bc = { ...state, store, mf, log, account, namespaces, outbounds, accountScripts, usedAssetSets };
        const targets = hostTargets(store, account);
        if (acc.workers)
            for (const script of Object.values(accountScripts)) {
                const mfName = (0, scripts_1.accountWorkerName)(account, script.name);
                workers.push(await accountWorker(bc, acc.workers, script, mfName));
                const dev = script.subdomain?.enabled === true;
                if (dev || targets.has(script.name))
                    publicWorkers.push({ script: script.name, mfName, account, dev });
            }
        for (const ns of Object.values(acc.namespaces)) {
            const host = await (0, namespace_host_1.buildNamespaceHost)(bc, ns);
            workers.push(host.options);
            namespaceTables.set((0, namespace_host_1.namespaceHostName)(ns.id), host.scripts);
            // A wrapped binding's Worker takes the compatibility date of the Worker holding the binding: none of its own.
            if (bound.has(ns.id))
                workers.push({
                    name: (0, scripts_1.namespaceWorkerName)(ns.id),
                    ...(0, worker_sources_1.runtimeWorker)("binding.mjs"),
                    serviceBindings: { HOST: (0, namespace_host_1.namespaceHostName)(ns.id) },
                });
        }
    }
    publicWorkers.sort((a, b) => (a.script < b.script ? -1 : a.script > b.script ? 1 : 0));
    workers.push(frontWorker(publicWorkers, hostTable(store, publicWorkers)));
    const fingerprint = (0, node_crypto_1.createHash)("sha256")
        .update(JSON.stringify(workers, (k, v) => k === namespace_host_1.SCRIPTS_BINDING ? undefined : v instanceof Uint8Array ? (0, node_crypto_1.createHash)("sha256").update(v).digest("hex") : v))
        .digest("hex");
    // Asset sets no Worker has any more are forgotten.
    for (const key of state.assetSets.keys())
        if (!usedAssetSets.has(key))
            state.assetSets.delete(key);
    return { workers, namespaces: namespaceTables, fingerprint };
}
