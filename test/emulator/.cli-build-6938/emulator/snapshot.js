"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.stateSnapshot = stateSnapshot;
function scriptSnapshot(s) {
    const out = {
        name: s.name,
        tag: s.tag,
        etag: s.etag,
        tags: s.tags,
        main_module: s.main_module ?? null,
        body_part: s.body_part ?? null,
        modules: s.modules.map((m) => ({ name: m.name, type: m.type, size: Buffer.from(m.data, "base64").length })),
        bindings: s.bindings.map((b) => ({ name: b.name, type: b.type })),
        secrets: s.bindings.filter((b) => b.type === "secret_text" || b.type === "secret_key").map((b) => b.name),
        has_assets: s.assets !== null,
        has_modules: s.main_module !== undefined,
        assets: s.assets
            ? { manifest: Object.fromEntries(Object.entries(s.assets.manifest).map(([p, e]) => [p, e.hash])), config: s.assets.config }
            : null,
        compatibility_date: s.compatibility_date,
        compatibility_flags: s.compatibility_flags,
        usage_model: s.usage_model,
        logpush: s.logpush,
        created_on: s.created_on,
        modified_on: s.modified_on,
    };
    if (s.subdomain)
        out.subdomain = s.subdomain;
    return out;
}
function containerSnapshot(c) {
    const scripts = Object.values(c?.scripts ?? {}).sort((a, b) => a.name.localeCompare(b.name));
    const blobs = c?.blobs ?? {};
    return {
        script_count: scripts.length,
        scripts: Object.fromEntries(scripts.map((s) => [s.name, scriptSnapshot(s)])),
        blobs: Object.keys(blobs).sort(),
        blob_content_types: Object.fromEntries(Object.entries(blobs).map(([h, b]) => [h, b.contentType])),
    };
}
function stateSnapshot(store) {
    const accounts = {};
    for (const [accId, acc] of Object.entries(store.state.accounts)) {
        const namespaces = Object.fromEntries(Object.values(acc.namespaces).map((ns) => [
            ns.name,
            { id: ns.id, name: ns.name, trusted_workers: ns.trusted_workers, ...containerSnapshot(ns) },
        ]));
        // KV namespaces by title, with their keys (values are left out: they may be secrets).
        const kv = Object.fromEntries(Object.values(acc.kv ?? {}).map((k) => [k.title, { id: k.id, keys: Object.keys(k.entries).sort() }]));
        accounts[accId] = { namespaces, workers: containerSnapshot(acc.workers), domains: Object.values(acc.domains ?? {}), kv };
    }
    const zones = Object.fromEntries(Object.values(store.state.zones).map((z) => [
        z.name,
        {
            id: z.id,
            account: z.account,
            routes: Object.values(z.routes),
            custom_hostnames: Object.values(z.custom_hostnames).map((ch) => ({ id: ch.id, hostname: ch.hostname, status: ch.status })),
            fallback_origin: z.fallback_origin?.origin ?? null,
        },
    ]));
    return { accounts, sessions: Object.keys(store.state.sessions).length, zones };
}
