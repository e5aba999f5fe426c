/**
 * File hashes kept across processes, so a fresh `pulumi preview` of an unchanged site hashes nothing.
 *
 * One JSON file per site directory under the user's cache directory (never in the project), mapping each file
 * (path and salt) to the size, mtime, ctime and inode it had when hashed. A file whose stat differs in any of
 * them is hashed again. The racy case, as git has it: a file whose mtime is not older than the moment its stat
 * was taken may change again within the same clock tick, unseen; such a hash is never kept.
 *
 * The same file keeps the last walk's file list and directory stamps (walk.ts).
 *
 * Writes go to a temporary file renamed into place, so concurrent runs never read a torn file; the last writer
 * wins, which can only lose entries, never make one wrong. Nothing is written when nothing changed.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type FileStamp, RACY_WINDOW_MS } from "./stamps";
import type { TreeSnapshot } from "./walk";

const VERSION = 2;

/**
 * The entries of one salt, in columns: a number-only array is stored unboxed, so neither parsing nor keeping
 * 100,000 entries makes an object per entry (the garbage collector's copying of them was a fifth of a no-op check).
 */
interface Columns {
  rels: string[];
  /** size, mtimeMs, ctimeMs, ino of each entry, in turn. */
  stamps: number[];
  hashes: string[];
}

interface CacheFile {
  version: number;
  formula: string;
  salts: Record<string, Columns>;
  tree?: TreeSnapshot;
}

/** Where the caches live: WFP_CACHE_DIR, else the XDG cache directory. */
export function hashCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.WFP_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-cloudflare-wfp");
  return path.join(base, "asset-hashes");
}

/** In-process copies, so one process loads each site's file once: a cache, whose loss costs only a reload. */
const loadedHashCache = new Map<string, SiteHashCache>();

/** Forget the in-process copies (a test standing in for a fresh process). */
export function forgetLoadedHashCaches(): void {
  loadedHashCache.clear();
}

/** The hash cache of one site directory, loaded from disk on first use. */
export function siteHashCache(root: string, formula: string, dir = hashCacheDir()): SiteHashCache {
  const file = path.join(dir, `${createHash("sha256").update(root).digest("hex").slice(0, 32)}.json`);
  let cache = loadedHashCache.get(file);
  if (!cache || cache.formula !== formula) {
    cache = new SiteHashCache(file, formula);
    loadedHashCache.set(file, cache);
  }
  return cache;
}

export class SiteHashCache {
  private readonly salts = new Map<string, { columns: Columns; index: Map<string, number>; used: Uint8Array }>();
  private dirty = false;
  private snapshot: TreeSnapshot | undefined;

  constructor(
    private readonly file: string,
    readonly formula: string,
  ) {
    this.load();
  }

  /** The stored hash when the file's stat is exactly what it was when hashed; else undefined. */
  get(rel: string, salt: string, st: FileStamp): string | undefined {
    const entries = this.salts.get(salt);
    const i = entries?.index.get(rel);
    if (entries === undefined || i === undefined) return undefined;
    const { stamps, hashes } = entries.columns;
    const at = 4 * i;
    if (stamps[at] !== st.size || stamps[at + 1] !== st.mtimeMs || stamps[at + 2] !== st.ctimeMs || stamps[at + 3] !== st.ino)
      return undefined;
    entries.used[i] = 1;
    return hashes[i];
  }

  /** Records a hash, unless racy: `statAt` is when `st` was taken (or earlier), in ms since the epoch. */
  set(rel: string, salt: string, st: FileStamp, hash: string, statAt: number): void {
    if (!(st.mtimeMs < statAt - RACY_WINDOW_MS)) return;
    let entries = this.salts.get(salt);
    if (!entries) {
      entries = { columns: { rels: [], stamps: [], hashes: [] }, index: new Map(), used: new Uint8Array(0) };
      this.salts.set(salt, entries);
    }
    const { rels, stamps, hashes } = entries.columns;
    let i = entries.index.get(rel);
    if (i === undefined) {
      i = rels.length;
      rels.push(rel);
      hashes.push(hash);
      stamps.push(st.size, st.mtimeMs, st.ctimeMs, st.ino);
      entries.index.set(rel, i);
    } else {
      hashes[i] = hash;
      stamps.splice(4 * i, 4, st.size, st.mtimeMs, st.ctimeMs, st.ino);
    }
    if (i >= entries.used.length) {
      const grown = new Uint8Array(Math.max(64, 2 * entries.used.length, i + 1));
      grown.set(entries.used);
      entries.used = grown;
    }
    entries.used[i] = 1;
    this.dirty = true;
  }

  /** The file list of the last walk (walk.ts), when it can be trusted. */
  get tree(): TreeSnapshot | undefined {
    return this.snapshot;
  }

  set tree(snapshot: TreeSnapshot | undefined) {
    if (snapshot === this.snapshot) return;
    this.snapshot = snapshot;
    this.dirty = true;
  }

  /** Writes the cache if anything changed. A failure to write is not an error: the cache is only a shortcut. */
  save(): void {
    if (!this.dirty) return;
    const body: CacheFile = { version: VERSION, formula: this.formula, salts: {} };
    for (const [salt, { columns, used }] of this.salts) {
      const count = columns.rels.length;
      let usedCount = 0;
      for (let i = 0; i < count; i++) usedCount += used[i] ?? 0;
      // Used, and much larger than what was used since load: drop the rest (files long gone). A salt this process
      // did not use is another stack's: kept.
      if (usedCount === 0 || count <= 2 * usedCount + 10_000) {
        body.salts[salt] = columns;
        continue;
      }
      const kept: Columns = { rels: [], stamps: [], hashes: [] };
      for (let i = 0; i < count; i++) {
        if (!used[i]) continue;
        kept.rels.push(columns.rels[i]!);
        kept.hashes.push(columns.hashes[i]!);
        kept.stamps.push(...columns.stamps.slice(4 * i, 4 * i + 4));
      }
      body.salts[salt] = kept;
    }
    if (this.snapshot) body.tree = this.snapshot;
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
    if (parsed.version !== VERSION || parsed.formula !== this.formula) return;
    for (const [salt, columns] of Object.entries(parsed.salts ?? {})) {
      const { rels, stamps, hashes } = columns ?? {};
      if (!Array.isArray(rels) || !Array.isArray(hashes) || !Array.isArray(stamps) || stamps.length !== 4 * rels.length) continue;
      if (hashes.length !== rels.length) continue;
      const index = new Map<string, number>();
      for (let i = 0; i < rels.length; i++) index.set(rels[i]!, i);
      this.salts.set(salt, { columns: { rels, stamps, hashes }, index, used: new Uint8Array(rels.length) });
    }
    const tree = parsed.tree;
    if (typeof tree?.rules === "string" && Array.isArray(tree.dirs) && Array.isArray(tree.files)) this.snapshot = tree;
  }
}
