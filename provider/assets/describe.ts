/**
 * The one place an asset source becomes what diffs and deploys compare: its manifest, the wire-format config
 * (with `_headers` and `_redirects` folded in, as Cloudflare takes them) and the digest over both.
 *
 * Check describes a source once per run and keeps the description in the run's {@link AssetDescriptions}; the step
 * that deploys it in the same run (StaticAssets' upload, or a script's fresh upload session when its attachment's
 * token has expired) takes it by digest instead of walking the directory again. A description is taken once: a
 * later deploy describes afresh, so a directory changed since shows as a different digest.
 *
 * A Tenant's state keeps the digest's first {@link SHORT_ASSETS_DIGEST} characters (64 bits), in its inputs and its
 * outputs; StaticAssets and earlier states keep it whole: {@link sameAssetsDigest} compares either with either.
 */
import { buildManifest, manifestDigest, type AssetManifest, type ManifestOptions } from "./manifest";
import { withSpecialFiles, type WireAssetConfig } from "./serving-config";

export type AssetSource = Pick<ManifestOptions, "directory" | "include" | "exclude" | "isolationSalt" | "maxFiles">;

export interface AssetDescription {
  manifest: AssetManifest;
  config: WireAssetConfig;
  digest: string;
}

/** Describes `source` with the wire-format settings `settings` (no `_headers` / `_redirects`: they come from the files). */
export async function describeAssets(source: AssetSource, settings: WireAssetConfig): Promise<AssetDescription> {
  const manifest = await buildManifest({
    directory: source.directory,
    include: source.include,
    exclude: source.exclude,
    isolationSalt: source.isolationSalt,
    maxFiles: source.maxFiles,
  });
  const config = withSpecialFiles(settings, { headers: manifest.headers, redirects: manifest.redirects });
  return { manifest, config, digest: manifestDigest(manifest.files, config) };
}

const MAX_UNTAKEN_FILES = 200_000;

/** The characters of the assets digest a compact state keeps: 64 bits of hex. */
export const SHORT_ASSETS_DIGEST = 16;

/** Whether two assets digests are of the same files: equal, or one the other's first characters (64 bits at least). */
export function sameAssetsDigest(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short === long || (short.length >= SHORT_ASSETS_DIGEST && long.startsWith(short));
}

/** The descriptions a run's checks made and its deploys have not taken yet, oldest first; bounded by the files they hold. */
export class AssetDescriptions {
  /** By the digest's short form, which a Tenant's state keeps. */
  private readonly untaken = new Map<string, AssetDescription>();

  /** Describes `source` (as {@link describeAssets}) and keeps the description for this run's deploy. */
  async describe(source: AssetSource, settings: WireAssetConfig): Promise<AssetDescription> {
    const described = await describeAssets(source, settings);
    this.keep(described);
    return described;
  }

  /** The description this run's check made with `digest` (whole or short), taken (a second call gets undefined). */
  take(digest: string | undefined): AssetDescription | undefined {
    if (digest === undefined) return undefined;
    const key = digest.slice(0, SHORT_ASSETS_DIGEST);
    const described = this.untaken.get(key);
    if (!described || !sameAssetsDigest(described.digest, digest)) return undefined;
    this.untaken.delete(key);
    return described;
  }

  private keep(described: AssetDescription): void {
    const untaken = this.untaken;
    const key = described.digest.slice(0, SHORT_ASSETS_DIGEST);
    untaken.delete(key);
    untaken.set(key, described);
    let files = 0;
    for (const d of untaken.values()) files += d.manifest.files.length;
    for (const [oldest, d] of untaken) {
      if (files <= MAX_UNTAKEN_FILES || untaken.size === 1) break;
      untaken.delete(oldest);
      files -= d.manifest.files.length;
    }
  }
}
