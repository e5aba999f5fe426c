/**
 * File hashes kept across processes, so a fresh `pulumi preview` of an unchanged site hashes nothing.
 *
 * One JSON file per site directory under the user's cache directory (never in the project), mapping each file
 * (path and salt) to the size, mtime, ctime and inode it had when hashed. A file whose stat differs in any of
 * them is hashed again. The racy case, as git has it: an entry whose mtime is not older than the moment the
 * cache was written may have changed within the same clock tick, so it is not trusted.
 *
 * Writes go to a temporary file renamed into place, so concurrent runs never read a torn file; the last writer
 * wins, which can only lose entries, never make one wrong.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** What identifies a file's content without reading it: the fields of its stat that any write changes. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** Filesystems with coarse timestamps (1 s and more) make a file changed just before the write look unchanged. */
const RACY_WINDOW_MS = 2_000;
const VERSION = 1;
/** An entry: [size, mtimeMs, ctimeMs, ino, hash]. */
type Entry = [number, number, number, number, string];

interface CacheFile {
  version: number;
  formula: string;
  writtenAt: number;
  entries: Record<string, Entry>;
}

/** Where the caches live: WFP_CACHE_DIR, else the XDG cache directory. */
export function hashCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.WFP_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-cloudflare-wfp");
  return path.join(base, "asset-hashes");
}

/** In-process copies, so one process loads each site's file once. */
const loaded = new Map<string, SiteHashCache>();

/** Forget the in-process copies (a test standing in for a fresh process). */
export function forgetLoadedHashCaches(): void {
  loaded.clear();
}

/** The hash cache of one site directory, loaded from disk on first use. */
export function siteHashCache(root: string, formula: string, dir = hashCacheDir()): SiteHashCache {
  const file = path.join(dir, `${createHash("sha256").update(root).digest("hex").slice(0, 32)}.json`);
  let cache = loaded.get(file);
  if (!cache || cache.formula !== formula) {
    cache = new SiteHashCache(file, formula);
    loaded.set(file, cache);
  }
  return cache;
}

export class SiteHashCache {
  private entries: Record<string, Entry> = {};
  /** Keys used since load: on save, a cache much larger than them drops the rest (files long gone). */
  private readonly used = new Set<string>();
  private dirty = false;

  constructor(
    private readonly file: string,
    readonly formula: string,
  ) {
    this.load();
  }

  /** The stored hash when the file's stat is exactly what it was when hashed; else undefined. */
  get(rel: string, salt: string, st: FileStamp): string | undefined {
    const k = key(rel, salt);
    const e = this.entries[k];
    if (!e || e[0] !== st.size || e[1] !== st.mtimeMs || e[2] !== st.ctimeMs || e[3] !== st.ino) return undefined;
    this.used.add(k);
    return e[4];
  }

  set(rel: string, salt: string, st: FileStamp, hash: string): void {
    const k = key(rel, salt);
    this.entries[k] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, hash];
    this.used.add(k);
    this.dirty = true;
  }

  /** Writes the cache if anything changed. A failure to write is not an error: the cache is only a shortcut. */
  save(now = Date.now()): void {
    if (!this.dirty) return;
    if (Object.keys(this.entries).length > 2 * this.used.size + 10_000) {
      this.entries = Object.fromEntries(Object.entries(this.entries).filter(([k]) => this.used.has(k)));
    }
    const body: CacheFile = { version: VERSION, formula: this.formula, writtenAt: now, entries: this.entries };
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileSync(tmp, JSON.stringify(body));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      rmSync(tmp, { force: true });
    }
  }

  private load(): void {
    let parsed: CacheFile;
    try {
      parsed = JSON.parse(readFileSync(this.file, "utf8")) as CacheFile;
    } catch {
      return; // absent or unreadable: start empty
    }
    if (parsed.version !== VERSION || parsed.formula !== this.formula || typeof parsed.writtenAt !== "number") return;
    for (const [k, e] of Object.entries(parsed.entries ?? {})) {
      if (Array.isArray(e) && e.length === 5 && e[1] < parsed.writtenAt - RACY_WINDOW_MS) this.entries[k] = e;
    }
  }
}

/** The entry key of a file: its path in the site and the salt its hash was made with. */
function key(rel: string, salt: string): string {
  return `${rel}\0${salt}`;
}
