/**
 * The one place an asset source becomes what diffs and deploys compare: its manifest, the wire-format config
 * (with `_headers` and `_redirects` folded in, as Cloudflare takes them) and the digest over both. StaticAssets
 * computes it at check and upload; UserScript recomputes it to confirm a directory still matches an attachment.
 */
import { toWireConfig, type AssetConfig, type WireAssetConfig } from "./serving-config";
import { buildManifest, manifestDigest, type AssetManifest, type ManifestOptions } from "./manifest";

export type AssetSource = Pick<ManifestOptions, "directory" | "include" | "exclude" | "isolationSalt" | "maxFiles">;

export async function describeAssets(
  source: AssetSource,
  config: AssetConfig | undefined,
): Promise<{ manifest: AssetManifest; config: WireAssetConfig; digest: string }> {
  const manifest = await buildManifest({
    directory: source.directory,
    include: source.include,
    exclude: source.exclude,
    isolationSalt: source.isolationSalt,
    maxFiles: source.maxFiles,
  });
  const wire = toWireConfig(config, { headers: manifest.headers, redirects: manifest.redirects });
  return { manifest, config: wire, digest: manifestDigest(manifest.files, wire) };
}
