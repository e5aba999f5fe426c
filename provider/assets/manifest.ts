/**
 * The asset manifest: which files of a directory are uploaded, under which paths, hashes and types.
 *
 * Steps, in order (wrangler's rules):
 * 1. resolve the directory and read `.assetsignore` (gitignore semantics, applied to the relative POSIX path;
 *    `/.assetsignore`, `/_headers` and `/_redirects` are always left out of the upload);
 * 2. check every symlink: it must resolve inside the directory and must not form a loop;
 * 3. walk with fast-glob (`include`, default `**`; `exclude` as fast-glob ignore patterns), then apply the
 *    ignore file; refuse `_worker.js` unless an `.assetsignore` exists;
 * 4. enforce the limits before reading any content: file count, then per-file size;
 * 5. hash every file by streaming it in 1 MiB chunks through one buffer (memory bounded whatever the site size),
 *    yielding to the event loop every few milliseconds;
 * 6. read `_headers` / `_redirects` from the top of the directory: they go into the asset config as strings.
 *
 * Hash formula {@link HASH_FORMULA}: `hex(sha256(salt ‖ 0x00 ‖ ext ‖ 0x00 ‖ bytes))[0:32]`, where `salt` is the
 * isolation salt ("" without one) and `ext` the file extension without the dot, as written (wrangler's choice).
 */
import { createHash } from "node:crypto";
import { promises as fsp, statSync, type Stats } from "node:fs";
import * as path from "node:path";
import type FastGlob from "fast-glob";
import { type FileStamp, forgetLoadedHashCaches, siteHashCache } from "./hash-cache";
import type { Ignore } from "ignore";
import { stableStringify } from "../validation";
import type { WireAssetConfig } from "./config";
import { contentTypeOf, hashFileSync, loadMime } from "./hash";

/** Identifies the per-file hash formula; recorded in outputs. Never change what it means. */
export const HASH_FORMULA = "sha256-salted-ext-v1";
/** Cloudflare's per-file limit: 25 MiB (a file of exactly 25 MiB is accepted, as the emulator and wrangler do). */
export const MAX_ASSET_SIZE_BYTES = 25 * 1024 * 1024;
/** Files per manifest on Workers Paid, the plan Workers for Platforms requires: the default and the ceiling. */
export const MAX_FILES_CEILING = 100_000;
export const DEFAULT_MAX_FILES = MAX_FILES_CEILING;
/** Files per manifest on the Free plan: set `maxFiles` to this for a Free account. */
export const FREE_PLAN_MAX_FILES = 20_000;
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
  for (const f of files) h.update(`${JSON.stringify(f.path)}\t${f.hash}\t${f.size}\t${f.contentType}\n`);
  h.update(`config\t${stableStringify(wireConfig)}\n`);
  return h.digest("hex");
}

// ---------------------------------------------------------------------------------------------------------------
// Building

/** Forget the hashes this process loaded (the persistent cache stays: see hash-cache.ts). */
export function clearHashCache(): void {
  forgetLoadedHashCaches();
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

const toPosix = (rel: string) => rel.split(path.sep).join("/");

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

function listOf(names: string[]): string {
  const shown = names.slice(0, MAX_ERRORS_LISTED).join(", ");
  return names.length > MAX_ERRORS_LISTED ? `${shown} and ${names.length - MAX_ERRORS_LISTED} more` : shown;
}

async function readIgnoreRules(root: string): Promise<{ ig: Ignore; hasIgnoreFile: boolean }> {
  const ig = ignore().add(ALWAYS_IGNORED);
  let hasIgnoreFile = false;
  try {
    const text = await fsp.readFile(path.join(root, ASSETS_IGNORE_FILE), "utf8");
    ig.add(text.split(/\r?\n/));
    hasIgnoreFile = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return { ig, hasIgnoreFile };
}

interface DirLink {
  rel: string;
  /** Real path of the link itself (its real parent + its name). */
  location: string;
  target: string;
}

/**
 * Finds every symlink under the root (without following any), rejects a link that dangles, escapes the
 * directory or forms a loop, unless the ignore file leaves it out. Returns fast-glob ignore patterns for
 * links the walk must not follow.
 */
async function checkSymlinks(root: string, realRoot: string, ig: Ignore): Promise<string[]> {
  // Streamed: only the links are kept, not an entry object per file.
  const links: Array<{ path: string }> = [];
  for await (const entry of fg().stream("**", { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, objectMode: true })) {
    const e = entry as unknown as { path: string; dirent: { isSymbolicLink(): boolean } };
    if (e.dirent.isSymbolicLink()) links.push({ path: e.path });
  }
  if (links.length === 0) return [];
  const skip: string[] = [];
  const problems: string[] = [];
  const dirLinks: DirLink[] = [];
  for (const link of links) {
    const rel = link.path;
    const ignored = ig.ignores(rel) || ig.ignores(`${rel}/`);
    const abs = path.join(root, rel);
    let target: string;
    try {
      target = await fsp.realpath(abs);
    } catch {
      if (ignored) skip.push(rel);
      else problems.push(`/${rel} is a symlink to ${JSON.stringify(await fsp.readlink(abs).catch(() => "?"))}, which does not exist`);
      continue;
    }
    if (!isInside(realRoot, target)) {
      if (ignored) skip.push(rel);
      else problems.push(`/${rel} is a symlink that points outside the directory (to ${target})`);
      continue;
    }
    if (ignored) {
      skip.push(rel);
      continue;
    }
    const st = await fsp.stat(target);
    if (st.isDirectory()) {
      const location = path.join(await fsp.realpath(path.dirname(abs)), path.basename(abs));
      dirLinks.push({ rel, location, target });
    }
  }
  // A directory link L leads to link M when M sits inside L's target; a cycle in that graph is a loop.
  const leadsTo = (l: DirLink, m: DirLink) => isInside(l.target, m.location) && m.location !== l.target;
  const state = new Map<DirLink, "visiting" | "done">();
  const visit = (l: DirLink): DirLink | undefined => {
    if (state.get(l) === "done") return undefined;
    if (state.get(l) === "visiting") return l;
    state.set(l, "visiting");
    for (const m of dirLinks) {
      if (!leadsTo(l, m)) continue;
      const loop = visit(m);
      if (loop) return loop;
    }
    state.set(l, "done");
    return undefined;
  };
  for (const l of dirLinks) {
    if (isInside(l.target, l.location)) {
      problems.push(`/${l.rel} is a symlink to a directory that contains it (${l.target}): a loop`);
      state.set(l, "done");
      continue;
    }
    const loop = visit(l);
    if (loop) {
      problems.push(`/${loop.rel} is a symlink that forms a loop with other symlinks`);
      break;
    }
  }
  if (problems.length) {
    throw new ManifestError(
      `directory ${root}: ${problems.slice(0, MAX_ERRORS_LISTED).join("; ")}. ` +
        `Symlinks are followed only inside the directory; remove the link or list it in ${ASSETS_IGNORE_FILE}.`,
    );
  }
  return skip.flatMap((rel) => [fg().escapePath(rel), `${fg().escapePath(rel)}/**`]);
}

async function readSpecialFile(root: string, name: string): Promise<string | undefined> {
  const st = await statOrUndefined(path.join(root, name));
  if (!st?.isFile()) return undefined;
  return fsp.readFile(path.join(root, name), "utf8");
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

/** Walks, filters, checks limits and hashes: see the module comment for the steps. Throws {@link ManifestError}. */
export async function buildManifest(options: ManifestOptions): Promise<AssetManifest> {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const maxFileBytes = options.maxFileBytes ?? MAX_ASSET_SIZE_BYTES;
  const salt = options.isolationSalt ?? "";
  const useCache = options.useCache ?? true;

  // 1. The directory and the ignore file.
  const root = path.resolve(options.directory);
  const rootStat = await statOrUndefined(root);
  if (!rootStat) throw new ManifestError(`directory ${JSON.stringify(options.directory)} does not exist (resolved to ${root})`);
  if (!rootStat.isDirectory())
    throw new ManifestError(`directory ${JSON.stringify(options.directory)} is not a directory (resolved to ${root})`);
  const realRoot = await fsp.realpath(root);
  const { ig, hasIgnoreFile } = await readIgnoreRules(root);

  // 2. Symlinks.
  const linkIgnores = await checkSymlinks(root, realRoot, ig);

  // 3. Walk and filter, streamed: fast-glob's own de-duplication and result array would double the walk's memory;
  // overlapping include patterns are de-duplicated here instead.
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
      if (!ig.ignores(rel)) rels.push(rel);
    }
  } catch (error) {
    throw new ManifestError(`directory ${root}: could not list files: ${(error as Error).message}`);
  }
  if (!hasIgnoreFile) {
    const worker = rels.find((rel) => rel === "_worker.js" || rel.startsWith("_worker.js/"));
    if (worker) {
      throw new ManifestError(
        `directory ${root}: /${worker} would be uploaded as a public asset. If it is Worker code, leave it out ` +
          `with an ${ASSETS_IGNORE_FILE} file containing "_worker.js"; to publish it on purpose, create an ${ASSETS_IGNORE_FILE} file (it may be empty).`,
      );
    }
  }
  const paths = rels.map((rel) => ({ rel, path: `/${rel}` }));
  paths.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // 4. Limits: the count first (no I/O), then sizes.
  if (paths.length === 0) {
    throw new ManifestError(
      `directory ${root} has no files to upload` +
        (options.include?.length || options.exclude?.length || hasIgnoreFile ? " after include, exclude and .assetsignore rules" : "") +
        ".",
    );
  }
  if (paths.length > maxFiles) {
    throw new ManifestError(
      `directory ${root} has ${paths.length} files to upload, more than the limit of ${maxFiles} ` +
        `(the first over the limit is ${paths[maxFiles]!.path}). Leave files out with exclude or ${ASSETS_IGNORE_FILE}, or raise maxFiles (up to ${MAX_FILES_CEILING} on Workers Paid).`,
      "maxFiles",
    );
  }
  // Only the stamp of each stat is kept: a 100,000-file site must fit in a small heap.
  const stats = await mapYielding(paths, (p): FileStamp => {
    const { size, mtimeMs, ctimeMs, ino } = statSync(path.join(root, p.rel));
    return { size, mtimeMs, ctimeMs, ino };
  });
  const tooBig = paths.flatMap((p, i) => (stats[i]!.size > maxFileBytes ? [`${p.path} (${stats[i]!.size} bytes)`] : []));
  if (tooBig.length) {
    throw new ManifestError(
      `directory ${root}: ${tooBig.length === 1 ? "a file is" : `${tooBig.length} files are`} larger than the ${maxFileBytes}-byte (${(maxFileBytes / 1048576).toFixed(0)} MiB) limit per asset: ${listOf(tooBig)}. ` +
        `Leave ${tooBig.length === 1 ? "it" : "them"} out with exclude or ${ASSETS_IGNORE_FILE}, or split ${tooBig.length === 1 ? "it" : "them"}.`,
    );
  }

  // 5. Hash (streaming), reusing unchanged files' hashes.
  const mime = await loadMime();
  const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  const cache = useCache ? siteHashCache(realRoot, HASH_FORMULA) : undefined;
  let hashed = 0;
  const files = await mapYielding(paths, (p, i): AssetFile => {
    const st = stats[i]!;
    const absPath = path.join(root, p.rel);
    let hash = cache?.get(p.rel, salt, st);
    let size = st.size;
    if (hash === undefined) {
      ({ hash, size } = hashFileSync(absPath, p.path, salt, buffer));
      hashed++;
      if (size > maxFileBytes)
        throw new ManifestError(`directory ${root}: ${p.path} grew to ${size} bytes while being read, over the ${maxFileBytes}-byte limit`);
      // A file that changed size while read is not cached: its stat no longer describes what was hashed.
      if (size === st.size) cache?.set(p.rel, salt, st, hash);
    }
    return { path: p.path, absPath, size, hash, contentType: contentTypeOf(mime, p.path) };
  });
  cache?.save();

  // 6. Special files.
  const [headers, redirects] = await Promise.all([readSpecialFile(root, "_headers"), readSpecialFile(root, "_redirects")]);
  const manifest: AssetManifest = { root, files, totalBytes: files.reduce((n, f) => n + f.size, 0), formula: HASH_FORMULA, hashed };
  if (headers !== undefined) manifest.headers = headers;
  if (redirects !== undefined) manifest.redirects = redirects;
  return manifest;
}
