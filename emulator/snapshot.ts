/**
 * @module
 * `GET /__emulator/state`: a JSON snapshot for tests. Secret values never appear; secrets are listed by name.
 *
 * Shape: `{ accounts: { <account id>: { namespaces: { <name>: NamespaceSnapshot } } } }` where
 * NamespaceSnapshot = `{ id, name, trusted_workers, script_count, scripts: { <name>: ScriptSnapshot }, blobs: string[] }`
 * and ScriptSnapshot = `{ name, tag, etag, tags, main_module, body_part, modules: [{name, type, size}],
 * bindings: [{name, type}], secrets: string[], has_assets, has_modules, assets: {manifest: {path: hash}, config} | null,
 * compatibility_date, compatibility_flags, usage_model, logpush, created_on, modified_on }`.
 */
import type { Store } from "./store";

export function stateSnapshot(store: Store): Record<string, unknown> {
  const accounts: Record<string, unknown> = {};
  for (const [accId, acc] of Object.entries(store.state.accounts)) {
    const namespaces: Record<string, unknown> = {};
    for (const ns of Object.values(acc.namespaces)) {
      const scripts: Record<string, unknown> = {};
      for (const s of Object.values(ns.scripts).sort((a, b) => a.name.localeCompare(b.name))) {
        scripts[s.name] = {
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
      }
      namespaces[ns.name] = {
        id: ns.id,
        name: ns.name,
        trusted_workers: ns.trusted_workers,
        script_count: Object.keys(ns.scripts).length,
        scripts,
        blobs: Object.keys(ns.blobs).sort(),
        blob_content_types: Object.fromEntries(Object.entries(ns.blobs).map(([h, b]) => [h, b.contentType])),
      };
    }
    accounts[accId] = { namespaces };
  }
  return { accounts, sessions: Object.keys(store.state.sessions).length };
}
