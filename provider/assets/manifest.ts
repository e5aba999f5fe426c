/**
 * The asset manifest: which files of a directory are uploaded, under which paths, hashes and types.
 *
 * Steps, in order (wrangler's rules):
 * 1. resolve the directory and read `.assetsignore` (gitignore semantics, applied to the relative POSIX path;
 *    `/.assetsignore`, `/_headers` and `/_redirects` are always left out of the upload);
 * 2. check every symlink: it must resolve inside the directory and must not form a loop;
 * 3. list the files (walk.ts; with fast-glob instead when there are `include` / `exclude` patterns or symlinks to
 *    follow: `include` default `**`, `exclude` as fast-glob ignore patterns), then apply the ignore file; refuse
 *    `_worker.js` unless an `.assetsignore` exists;
 * 4. enforce the limits before reading any content: file count, then per-file size;
 * 5. hash every file by streaming it in 1 MiB chunks through one buffer (memory bounded whatever the site size),
 *    yielding to the event loop every few milliseconds;
 * 6. read `_headers` / `_redirects` from the top of the directory: they go into the asset config as strings.
 *
 * Hash formula {@link HASH_FORMULA}: `hex(sha256(salt ‖ 0x00 ‖ ext ‖ 0x00 ‖ bytes))[0:32]`, where `salt` is the
 * isolation salt ("" without one) and `ext` the file extension without the dot, as written (wrangler's choice).
 */
import { createHash } from "node:crypto";
import { readFileSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import type FastGlob from "fast-glob";
import { forgetLoadedHashCaches, type SiteHashCache, siteHashCache } from "./hash-cache";
import type { FileStamp } from "./stamps";
import type { Ignore } from "ignore";
import { MAX_ASSET_SIZE_BYTES, PLAN_LIMITS } from "../../cloudflare/limits";
import { stableStringify } from "../deep-equal";
import type { WireAssetConfig } from "./serving-config";
import { contentTypes, hashFileSync, loadMime } from "./hash";
import { symlinkProblems } from "./symlinks";
import { unchangedFiles, walkTree } from "./walk";

/** Identifies the per-file hash formula; recorded in outputs. Never change what it means. */
export const HASH_FORMULA = "sha256-salted-ext-v1";
/** Files per manifest on Workers Paid, the plan Workers for Platforms requires: the default and the ceiling. */
export const MAX_FILES_CEILING = PLAN_LIMITS.paid.maxAssetFiles;
export const DEFAULT_MAX_FILES = MAX_FILES_CEILING;
/** Files per manifest on the Free plan: set `maxFiles` to this for a Free account. */
export const FREE_PLAN_MAX_FILES = PLAN_LIMITS.free.maxAssetFiles;
/** Files that are never uploaded; the last two become part of the asset config. */
export const ALWAYS_IGNORED = ["/.assetsignore", "/_headers", "/_redirects"];
export const ASSETS_IGNORE_FILE = ".assetsignore";

// Required when a manifest is built: the program side of a Pulumi run, which only declares resources, never needs them.
const fg = (): typeof FastGlob => require("fast-glob") as typeof FastGlob;
const ignore = (): Ignore => (require("ignore") as () => Ignore)();

const HASH_CHUNK_BYTES = 1024 * 1024;
const YIELD_EVERY_MS = 25;
const MAX_ERRORS_LISTED = 10;

export interface ManifestOptions {
  /** The assets directory, absolute or relative to the current directory. */
  directory: string;
  /** fast-glob patterns relative to the directory; default `["**"]`. */
  include?: string[];
  /** fast-glob patterns to leave out (in addition to `.assetsignore`). */
  exclude?: string[];
  /** Salts every hash (e.g. a tenant id), so tenants in one namespace never share blobs. */
  isolationSalt?: string;
  /** Default {@link DEFAULT_MAX_FILES}. */
  maxFiles?: number;
  /** Default {@link MAX_ASSET_SIZE_BYTES}; injectable for tests. */
  maxFileBytes?: number;
  /** Reuse hashes of files whose size, mtime, ctime and inode did not change (across processes); default true. */
  useCache?: boolean;
}

export interface AssetFile {
  /** POSIX path with a leading slash, e.g. `/blog/index.html`. */
  path: string;
  /** Where the bytes are on disk (through any symlink). */
  absPath: string;
  size: number;
  /** 32 lowercase hex characters ({@link HASH_FORMULA}). */
  hash: string;
  /** MIME type with `; charset=utf-8` for text, `application/null` when unknown. */
  contentType: string;
}

export interface AssetManifest {
  /** The resolved absolute directory. */
  root: string;
  /** Sorted by path. */
  files: AssetFile[];
  totalBytes: number;
  /** Contents of `/_headers` and `/_redirects`, when present. */
  headers?: string;
  redirects?: string;
  formula: typeof HASH_FORMULA;
  /** Files hashed by this build; the others' hashes came from the cache. */
  hashed: number;
}

/** A manifest problem that names the file; `property` is the input it belongs to. */
export class ManifestError extends Error {
  override name = "ManifestError";
  constructor(
    message: string,
    readonly property: string = "directory",
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Digest

/** The upload-session manifest: `{"/path": {hash, size}}`. */
export function wireManifest(files: AssetFile[]): Record<string, { hash: string; size: number }> {
  const out: Record<string, { hash: string; size: number }> = {};
  for (const f of files) out[f.path] = { hash: f.hash, size: f.size };
  return out;
}

/**
 * sha256 over the formula id, the sorted entries (path, hash, size, content type) and the wire config
 * (including `_headers` / `_redirects`). Independent of where the directory is.
 */
export function manifestDigest(
  files: Array<Pick<AssetFile, "path" | "hash" | "size" | "contentType">>,
  wireConfig: WireAssetConfig,
  formula: string = HASH_FORMULA,
): string {
  const h = createHash("sha256");
  h.update(`${formula}\n`);
  // One update per ~64 KB rather than one per file: fewer calls into OpenSSL, same bytes.
  let lines = "";
  for (const f of files) {
    lines += `${JSON.stringify(f.path)}\t${f.hash}\t${f.size}\t${f.contentType}\n`;
    if (lines.length >= 65_536) {
      h.update(lines);
      lines = "";
    }
  }
  h.update(lines);
  h.update(`config\t${stableStringify(wireConfig)}\n`);
  return h.digest("hex");
}

// ---------------------------------------------------------------------------------------------------------------
// Building

/** Forget the hashes this process loaded (the persistent cache stays: see hash-cache.ts). */
export function clearHashCache(): void {
  forgetLoadedHashCaches();
}

const toPosix = (rel: string) => rel.split(path.sep).join("/");

// The few small calls about the directory itself are synchronous: run for every tenant at every check, a promise
// and a thread-pool round trip each cost more than the call.
const statOrUndefined = (p: string) => statSync(p, { throwIfNoEntry: false });

function listOf(names: string[]): string {
  const shown = names.slice(0, MAX_ERRORS_LISTED).join(", ");
  return names.length > MAX_ERRORS_LISTED ? `${shown} and ${names.length - MAX_ERRORS_LISTED} more` : shown;
}

/** The ignore rules; `rules` identifies them (a walk's snapshot is valid for one set of rules). */
function readIgnoreRules(root: string): { ig: Ignore; hasIgnoreFile: boolean; rules: string } {
  const ig = ignore().add(ALWAYS_IGNORED);
  const text = readSpecialFile(root, ASSETS_IGNORE_FILE) ?? null;
  if (text !== null) ig.add(text.split(/\r?\n/));
  return { ig, hasIgnoreFile: text !== null, rules: JSON.stringify([ALWAYS_IGNORED, text]) };
}

/** Checks the symlinks; returns fast-glob ignore patterns for the links the walk must not follow. */
async function checkSymlinks(root: string, realRoot: string, ig: Ignore, links: string[]): Promise<string[]> {
  const { skip, problems } = await symlinkProblems(root, realRoot, ig, links);
  if (problems.length) {
    throw new ManifestError(
      `directory ${root}: ${problems.slice(0, MAX_ERRORS_LISTED).join("; ")}. ` +
        `Symlinks are followed only inside the directory; remove the link or list it in ${ASSETS_IGNORE_FILE}.`,
    );
  }
  return skip.flatMap((rel) => [fg().escapePath(rel), `${fg().escapePath(rel)}/**`]);
}

function readSpecialFile(root: string, name: string): string | undefined {
  const st = statOrUndefined(path.join(root, name));
  if (!st?.isFile()) return undefined;
  return readFileSync(path.join(root, name), "utf8");
}

/** Maps `items` synchronously, yielding to the event loop every {@link YIELD_EVERY_MS} so the process stays responsive. */
async function mapYielding<T, R>(items: T[], fn: (item: T, index: number) => R): Promise<R[]> {
  const results = new Array<R>(items.length);
  let slice = Date.now();
  for (let i = 0; i < items.length; i++) {
    results[i] = fn(items[i]!, i);
    if (Date.now() - slice >= YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = Date.now();
    }
  }
  return results;
}

/**
 * Steps 2 and 3: checks the symlinks and lists the files (relative POSIX paths) the ignore file keeps. Without
 * include / exclude patterns and symlinks the walk (or its snapshot, when no directory changed) is the answer; else
 * fast-glob walks again, streamed (its own de-duplication and result array would double the walk's memory;
 * overlapping includes are de-duplicated here).
 */
async function listFiles(
  root: string,
  realRoot: string,
  ig: Ignore,
  rules: string,
  options: ManifestOptions,
  cache: SiteHashCache | undefined,
): Promise<string[]> {
  const failed = (error: unknown) => new ManifestError(`directory ${root}: could not list files: ${(error as Error).message}`);
  const keep = (rel: string) => !ig.ignores(rel);
  const plain = !options.include?.length && !options.exclude?.length;
  try {
    const unchanged = plain && cache?.tree && unchangedFiles(root, cache.tree, rules);
    if (unchanged) return unchanged.slice();
  } catch {
    // a directory that cannot be stat'ed any more: walk, which says why
  }
  const tree = await walkTree(root, keep, cache && plain ? rules : undefined).catch((error: unknown) => {
    throw failed(error);
  });
  if (cache && plain) cache.tree = tree.snapshot;
  if (tree.links.length === 0 && plain) return tree.files;
  const linkIgnores = await checkSymlinks(root, realRoot, ig, tree.links);
  tree.files = []; // not kept while fast-glob walks
  const patterns = options.include?.length ? options.include : ["**"];
  const seen = new Set<string>();
  const rels: string[] = [];
  try {
    const walk = fg().stream(patterns, {
      cwd: root,
      dot: true,
      onlyFiles: true,
      followSymbolicLinks: true,
      unique: false,
      ignore: [...(options.exclude ?? []), ...linkIgnores],
    });
    for await (const entry of walk) {
      const rel = toPosix(entry as unknown as string);
      if (patterns.length > 1) {
        if (seen.has(rel)) continue;
        seen.add(rel);
      }
      if (keep(rel)) rels.push(rel);
    }
  } catch (error) {
    throw failed(error);
  }
  return rels;
}

/** Walks, filters, checks limits and hashes: see the module comment for the steps. Throws {@link ManifestError}. */
export async function buildManifest(options: ManifestOptions): Promise<AssetManifest> {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const maxFileBytes = options.maxFileBytes ?? MAX_ASSET_SIZE_BYTES;
  const salt = options.isolationSalt ?? "";
  const useCache = options.useCache ?? true;

  // 1. The directory and the ignore file.
  const root = path.resolve(options.directory);
  const rootStat = statOrUndefined(root);
  if (!rootStat) throw new ManifestError(`directory ${JSON.stringify(options.directory)} does not exist (resolved to ${root})`);
  if (!rootStat.isDirectory())
    throw new ManifestError(`directory ${JSON.stringify(options.directory)} is not a directory (resolved to ${root})`);
  const realRoot = realpathSync(root);
  const { ig, hasIgnoreFile, rules } = readIgnoreRules(root);
  const cache = useCache ? siteHashCache(realRoot, HASH_FORMULA) : undefined;

  // 2-3. Symlinks, then the files.
  const rels = await listFiles(root, realRoot, ig, rules, options, cache);
  if (!hasIgnoreFile) {
    const worker = rels.find((rel) => rel === "_worker.js" || rel.startsWith("_worker.js/"));
    if (worker) {
      throw new ManifestError(
        `directory ${root}: /${worker} would be uploaded as a public asset. If it is Worker code, leave it out ` +
          `with an ${ASSETS_IGNORE_FILE} file containing "_worker.js"; to publish it on purpose, create an ${ASSETS_IGNORE_FILE} file (it may be empty).`,
      );
    }
  }
  rels.sort(); // by UTF-16 code units, as the paths with their leading "/" compare (a walk's are already)

  // 4. Limits: the count first (no I/O), then sizes.
  if (rels.length === 0) {
    throw new ManifestError(
      `directory ${root} has no files to upload` +
        (options.include?.length || options.exclude?.length || hasIgnoreFile ? " after include, exclude and .assetsignore rules" : "") +
        ".",
    );
  }
  if (rels.length > maxFiles) {
    throw new ManifestError(
      `directory ${root} has ${rels.length} files to upload, more than the limit of ${maxFiles} ` +
        `(the first over the limit is /${rels[maxFiles]}). Leave files out with exclude or ${ASSETS_IGNORE_FILE}, or raise maxFiles (up to ${MAX_FILES_CEILING} on Workers Paid).`,
      "maxFiles",
    );
  }
  // path.join normalizes, which paths from a walk never need (it cost ~30 ms per 20,000 files).
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const absPaths = path.sep === "/" ? rels.map((rel) => prefix + rel) : rels.map((rel) => path.join(root, rel));
  // Only the stamp of each stat is kept, unboxed (size, mtimeMs, ctimeMs, ino in turn): a 100,000-file site must fit
  // in a small heap. The racy rule (hash-cache.ts) compares mtimes with the moment before the first stat.
  const statAt = Date.now();
  const stamps = new Float64Array(4 * rels.length);
  await mapYielding(absPaths, (abs, i) => {
    const { size, mtimeMs, ctimeMs, ino } = statSync(abs);
    stamps[4 * i] = size;
    stamps[4 * i + 1] = mtimeMs;
    stamps[4 * i + 2] = ctimeMs;
    stamps[4 * i + 3] = ino;
  });
  const tooBig = rels.flatMap((rel, i) => (stamps[4 * i]! > maxFileBytes ? [`/${rel} (${stamps[4 * i]} bytes)`] : []));
  if (tooBig.length) {
    throw new ManifestError(
      `directory ${root}: ${tooBig.length === 1 ? "a file is" : `${tooBig.length} files are`} larger than the ${maxFileBytes}-byte (${(maxFileBytes / 1048576).toFixed(0)} MiB) limit per asset: ${listOf(tooBig)}. ` +
        `Leave ${tooBig.length === 1 ? "it" : "them"} out with exclude or ${ASSETS_IGNORE_FILE}, or split ${tooBig.length === 1 ? "it" : "them"}.`,
    );
  }

  // 5. Hash (streaming), reusing unchanged files' hashes.
  const contentTypeOf = contentTypes(await loadMime());
  const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  let hashed = 0;
  const st: FileStamp = { size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0 }; // one object, refilled for each file
  const files = await mapYielding(rels, (rel, i): AssetFile => {
    st.size = stamps[4 * i]!;
    st.mtimeMs = stamps[4 * i + 1]!;
    st.ctimeMs = stamps[4 * i + 2]!;
    st.ino = stamps[4 * i + 3]!;
    const absPath = absPaths[i]!;
    const filePath = `/${rel}`;
    let hash = cache?.get(rel, salt, st);
    let size = st.size;
    if (hash === undefined) {
      ({ hash, size } = hashFileSync(absPath, filePath, salt, buffer));
      hashed++;
      if (size > maxFileBytes)
        throw new ManifestError(
          `directory ${root}: ${filePath} grew to ${size} bytes while being read, over the ${maxFileBytes}-byte limit`,
        );
      // A file that changed size while read is not cached: its stat no longer describes what was hashed.
      if (size === st.size) cache?.set(rel, salt, st, hash, statAt);
    }
    return { path: filePath, absPath, size, hash, contentType: contentTypeOf(filePath) };
  });
  cache?.save();

  // 6. Special files.
  const headers = readSpecialFile(root, "_headers");
  const redirects = readSpecialFile(root, "_redirects");
  const manifest: AssetManifest = { root, files, totalBytes: files.reduce((n, f) => n + f.size, 0), formula: HASH_FORMULA, hashed };
  if (headers !== undefined) manifest.headers = headers;
  if (redirects !== undefined) manifest.redirects = redirects;
  return manifest;
}
