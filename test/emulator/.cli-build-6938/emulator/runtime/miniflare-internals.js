"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.separateAssetStorage = separateAssetStorage;
exports.describeAssets = describeAssets;
const assetsPlugin = (mf) => mf.ASSETS_PLUGIN;
const patched = new WeakSet();
const STORAGE = "assets:storage";
/**
 * Miniflare's assets plugin names its disk service `assets:storage` for every Worker, so one instance serves one
 * directory: every other site would read the first one's files. Naming it per Worker gives each site its own.
 * The plugin is the module's, shared by every instance in the process: patched once.
 */
function separateAssetStorage(mf) {
    const plugin = assetsPlugin(mf);
    if (patched.has(plugin))
        return;
    patched.add(plugin);
    const original = plugin.getServices.bind(plugin);
    plugin.getServices = async (args) => {
        const services = await original(args);
        const id = args.options.assets?.workerName;
        if (!Array.isArray(services) || id === undefined)
            return services;
        const storage = services.find((s) => s.name === STORAGE);
        if (!storage)
            return services;
        const name = `${STORAGE}:${id}`;
        storage.name = name;
        for (const s of services)
            for (const b of s.worker?.bindings ?? [])
                if (b.service?.name === STORAGE)
                    b.service.name = name;
        return services;
    };
}
async function describeAssets(mf, log, a) {
    const services = (await assetsPlugin(mf).getServices({
        options: {
            assets: { directory: a.directory, workerName: "wfp-asset-set", routerConfig: a.routerConfig, assetConfig: a.assetConfig },
            compatibilityDate: a.compatibilityDate,
            compatibilityFlags: a.compatibilityFlags,
        },
        log,
    }));
    const service = (prefix) => {
        const found = services.find((s) => s.name?.startsWith(prefix))?.worker;
        if (!found)
            throw new Error(`Miniflare's assets plugin made no ${prefix}* service: its internals changed`);
        return found;
    };
    const binding = (w, name) => {
        const found = w.bindings?.find((b) => b.name === name);
        if (!found)
            throw new Error(`Miniflare's assets plugin gave no ${name} binding: its internals changed`);
        return found;
    };
    const [kv, asset, router] = [service("assets:kv:"), service("assets:assets-service:"), service("assets:router:")];
    return {
        reverseMap: JSON.parse(binding(kv, "ASSETS_REVERSE_MAP").json),
        assetConfig: JSON.parse(binding(asset, "CONFIG").json),
        routerConfig: JSON.parse(binding(router, "CONFIG").json),
        manifest: binding(asset, "ASSETS_MANIFEST").data,
        assetSource: asset.modules[0].esModule,
        router: { date: router.compatibilityDate, flags: router.compatibilityFlags ?? [], source: router.modules[0].esModule },
    };
}
