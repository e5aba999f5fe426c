/**
 * @module
 * Every use of Miniflare's internals, in one place: its assets plugin (`ASSETS_PLUGIN.getServices`), the names of
 * the services it makes (`assets:storage`, `assets:kv:<id>`, `assets:assets-service:<id>`, `assets:router:<id>`) and
 * their bindings (`ASSETS_REVERSE_MAP`, `ASSETS_MANIFEST`, `CONFIG`). None of it is Miniflare's public API:
 * test/unit/miniflare-internals.test.ts pins the shape this module relies on.
 */
import type { Log } from "miniflare";

export type MiniflareModule = typeof import("miniflare");

type Binding = { name?: string; json?: string; data?: Uint8Array; service?: { name?: string } };
type ServiceWorker = {
  compatibilityDate?: string;
  compatibilityFlags?: string[];
  modules?: Array<{ esModule?: string }>;
  bindings?: Binding[];
};
type Service = { name?: string; worker?: ServiceWorker };
type AssetsPlugin = { getServices: (args: { options: Record<string, unknown>; log?: Log }) => Promise<unknown> };

const assetsPlugin = (mf: MiniflareModule): AssetsPlugin => mf.ASSETS_PLUGIN as unknown as AssetsPlugin;
const patched = new WeakSet<object>();
const STORAGE = "assets:storage";

/**
 * Miniflare's assets plugin names its disk service `assets:storage` for every Worker, so one instance serves one
 * directory: every other site would read the first one's files. Naming it per Worker gives each site its own.
 * The plugin is the module's, shared by every instance in the process: patched once.
 */
export function separateAssetStorage(mf: MiniflareModule): void {
  const plugin = assetsPlugin(mf);
  if (patched.has(plugin)) return;
  patched.add(plugin);
  const original = plugin.getServices.bind(plugin);
  plugin.getServices = async (args) => {
    const services = await original(args);
    const id = (args.options.assets as { workerName?: string } | undefined)?.workerName;
    if (!Array.isArray(services) || id === undefined) return services;
    const storage = (services as Service[]).find((s) => s.name === STORAGE);
    if (!storage) return services;
    const name = `${STORAGE}:${id}`;
    storage.name = name;
    for (const s of services as Service[]) for (const b of s.worker?.bindings ?? []) if (b.service?.name === STORAGE) b.service.name = name;
    return services;
  };
}

/** What the assets plugin makes of a directory: Cloudflare's manifest and configs, and its Workers' sources. */
export interface DescribedAssets {
  /** ETag → the file (relative to the directory, platform separators) and its content type. */
  reverseMap: Record<string, { filePath: string; contentType: string | null }>;
  /** The asset Worker's CONFIG (with parsed `_headers` and `_redirects`). */
  assetConfig: unknown;
  /** The router Worker's CONFIG. */
  routerConfig: unknown;
  /** Cloudflare's binary manifest (path hash → ETag). */
  manifest: Uint8Array;
  /** The asset Worker's module source. */
  assetSource: string;
  /** The router Worker's module source and compatibility settings. */
  router: { date: string; flags: string[]; source: string };
}

export async function describeAssets(
  mf: MiniflareModule,
  log: Log,
  a: { directory: string; routerConfig: unknown; assetConfig: unknown; compatibilityDate: string; compatibilityFlags: string[] },
): Promise<DescribedAssets> {
  const services = (await assetsPlugin(mf).getServices({
    options: {
      assets: { directory: a.directory, workerName: "wfp-asset-set", routerConfig: a.routerConfig, assetConfig: a.assetConfig },
      compatibilityDate: a.compatibilityDate,
      compatibilityFlags: a.compatibilityFlags,
    },
    log,
  })) as Service[];
  const service = (prefix: string): ServiceWorker => {
    const found = services.find((s) => s.name?.startsWith(prefix))?.worker;
    if (!found) throw new Error(`Miniflare's assets plugin made no ${prefix}* service: its internals changed`);
    return found;
  };
  const binding = (w: ServiceWorker, name: string): Binding => {
    const found = w.bindings?.find((b) => b.name === name);
    if (!found) throw new Error(`Miniflare's assets plugin gave no ${name} binding: its internals changed`);
    return found;
  };
  const [kv, asset, router] = [service("assets:kv:"), service("assets:assets-service:"), service("assets:router:")];
  return {
    reverseMap: JSON.parse(binding(kv, "ASSETS_REVERSE_MAP").json!),
    assetConfig: JSON.parse(binding(asset, "CONFIG").json!),
    routerConfig: JSON.parse(binding(router, "CONFIG").json!),
    manifest: binding(asset, "ASSETS_MANIFEST").data!,
    assetSource: asset.modules![0]!.esModule!,
    router: { date: router.compatibilityDate!, flags: router.compatibilityFlags ?? [], source: router.modules![0]!.esModule! },
  };
}
