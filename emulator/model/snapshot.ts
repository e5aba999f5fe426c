/**
 * @module
 * `GET /__emulator/state`: a JSON snapshot for tests. Secret values never appear; secrets are listed by name.
 *
 * Shape: `{ accounts: { <account id>: { namespaces: { <name>: NamespaceSnapshot }, workers: ContainerSnapshot, domains } },
 * sessions: N }` where ContainerSnapshot = `{ script_count, scripts: { <name>: ScriptSnapshot }, blobs: string[],
 * blob_content_types }` (account-level Workers), NamespaceSnapshot = ContainerSnapshot + `{ id, name,
 * trusted_workers }`, and ScriptSnapshot = `{ name, tag, etag, tags, main_module, body_part, modules: [{name, type,
 * size}], bindings: [{name, type}], secrets: string[], has_assets, has_modules, assets: {manifest: {path: hash},
 * config} | null, compatibility_date, compatibility_flags, usage_model, logpush, created_on, modified_on }`, plus
 * `subdomain: {enabled, previews_enabled}` for account-level Workers; `zones: { <name>: {id, account, routes,
 * custom_hostnames: [{id, hostname, status}], fallback_origin} }`.; each account also has
 * `kv: { <title>: { id, keys: string[] } }` (KV values are left out).
 */
import type { Script, ScriptContainer, Store } from "./store";

function scriptSnapshot(s: Script): Record<string, unknown> {
  const out: Record<string, unknown> = {
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
  if (s.subdomain) out.subdomain = s.subdomain;
  return out;
}

function containerSnapshot(c: ScriptContainer | undefined): Record<string, unknown> {
  const scripts = Object.values(c?.scripts ?? {}).sort((a, b) => a.name.localeCompare(b.name));
  const blobs = c?.blobs ?? {};
  return {
    script_count: scripts.length,
    scripts: Object.fromEntries(scripts.map((s) => [s.name, scriptSnapshot(s)])),
    blobs: Object.keys(blobs).sort(),
    blob_content_types: Object.fromEntries(Object.entries(blobs).map(([h, b]) => [h, b.contentType])),
  };
}

export function stateSnapshot(store: Store): Record<string, unknown> {
  const accounts: Record<string, unknown> = {};
  for (const [accId, acc] of Object.entries(store.state.accounts)) {
    const namespaces = Object.fromEntries(
      Object.values(acc.namespaces).map((ns) => [
        ns.name,
        { id: ns.id, name: ns.name, trusted_workers: ns.trusted_workers, ...containerSnapshot(ns) },
      ]),
    );
    // KV namespaces by title, with their keys (values are left out: they may be secrets).
    const kv = Object.fromEntries(
      Object.values(acc.kv ?? {}).map((k) => [k.title, { id: k.id, keys: store.kv.keys({ account: accId, id: k.id }).sort() }]),
    );
    accounts[accId] = { namespaces, workers: containerSnapshot(acc.workers), domains: Object.values(acc.domains ?? {}), kv };
  }
  const zones = Object.fromEntries(
    Object.values(store.state.zones).map((z) => [
      z.name,
      {
        id: z.id,
        account: z.account,
        routes: Object.values(z.routes),
        custom_hostnames: Object.values(z.custom_hostnames).map((ch) => ({ id: ch.id, hostname: ch.hostname, status: ch.status })),
        fallback_origin: z.fallback_origin?.origin ?? null,
      },
    ]),
  );
  return { accounts, sessions: Object.keys(store.state.sessions).length, zones };
}
