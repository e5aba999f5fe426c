import { readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import fg from "fast-glob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetLoadedHashCaches, hashCacheDir, SiteHashCache } from "../../provider/assets/hash-cache";
import { RACY_WINDOW_MS } from "../../provider/assets/stamps";
import { buildManifest, manifestDigest } from "../../provider/assets/manifest";
import { tempDir, writeTree } from "../helpers/files";

const HOUR_AGO = new Date(Date.now() - 3600_000);
let saved: string | undefined;

beforeAll(() => {
  saved = process.env.WFP_CACHE_DIR;
  process.env.WFP_CACHE_DIR = tempDir("hash-cache-dir");
});
afterAll(() => {
  if (saved === undefined) delete process.env.WFP_CACHE_DIR;
  else process.env.WFP_CACHE_DIR = saved;
});

/** A manifest built as a fresh process would: nothing loaded in memory, only what is on disk. */
async function freshBuild(directory: string, isolationSalt?: string) {
  forgetLoadedHashCaches();
  const m = await buildManifest({ directory, isolationSalt });
  return { hashed: m.hashed, digest: manifestDigest(m.files, {}), paths: m.files.map((f) => f.path) };
}

async function site(name: string, files: Record<string, string>): Promise<string> {
  const dir = await writeTree(tempDir(name), files);
  for (const rel of Object.keys(files)) utimesSync(path.join(dir, rel), HOUR_AGO, HOUR_AGO);
  ageDirs(dir);
  return dir;
}

/** `dir` and the directories under it an hour old: none is racy, so the walk's snapshot is kept. */
function ageDirs(dir: string): void {
  for (const rel of fg.sync("**", { cwd: dir, dot: true, onlyDirectories: true })) utimesSync(path.join(dir, rel), HOUR_AGO, HOUR_AGO);
  utimesSync(dir, HOUR_AGO, HOUR_AGO);
}

const cacheFiles = () => readdirSync(hashCacheDir()).map((name) => path.join(hashCacheDir(), name));

describe("the persistent hash cache", () => {
  it("hashes an unchanged site once, across processes", async () => {
    const dir = await site("hc-unchanged", { "index.html": "<h1>a</h1>", "css/site.css": "body{}", "app.js": "1" });
    const first = await freshBuild(dir);
    expect(first.hashed).toBe(3);
    const second = await freshBuild(dir);
    expect(second).toEqual({ ...first, hashed: 0 });
  });

  it("sees a one-byte edit that keeps the size and the mtime (the ctime moves)", async () => {
    const dir = await site("hc-edit", { "index.html": "<h1>a</h1>", "app.js": "1" });
    const before = await freshBuild(dir);
    writeFileSync(path.join(dir, "index.html"), "<h1>b</h1>");
    utimesSync(path.join(dir, "index.html"), HOUR_AGO, HOUR_AGO);
    const after = await freshBuild(dir);
    expect(after.hashed).toBe(1);
    expect(after.digest).not.toBe(before.digest);
  });

  it("does not trust a file changed in the moments before the cache was written (the racy case)", async () => {
    const dir = await writeTree(tempDir("hc-racy"), { "index.html": "<h1>now</h1>" });
    expect((await freshBuild(dir)).hashed).toBe(1);
    expect((await freshBuild(dir)).hashed).toBe(1);
  });

  it("keeps one entry per salt: tenants sharing a directory do not evict each other", async () => {
    const dir = await site("hc-salts", { "index.html": "<h1>shared</h1>" });
    const a = await freshBuild(dir, "tenant-a");
    const b = await freshBuild(dir, "tenant-b");
    expect([a.hashed, b.hashed]).toEqual([1, 1]);
    expect(a.digest).not.toBe(b.digest);
    expect((await freshBuild(dir, "tenant-a")).hashed).toBe(0);
    expect((await freshBuild(dir, "tenant-b")).hashed).toBe(0);
  });

  it("does not rewrite the cache file when nothing changed", async () => {
    const dir = await site("hc-no-write", { "index.html": "<h1>a</h1>", "a/b.css": "b{}" });
    await freshBuild(dir);
    const stamps = () => cacheFiles().map((f) => [f, statSync(f).mtimeMs, statSync(f).ino]);
    const before = stamps();
    await freshBuild(dir);
    expect(stamps()).toEqual(before);
  });

  describe("with the walk's snapshot (no directory changed)", () => {
    it("sees a one-byte edit that keeps the size, in a directory whose listing is cached", async () => {
      const dir = await site("hc-snap-edit", { "a/x.txt": "x", "a/y.txt": "y", "b/z.txt": "z" });
      const before = await freshBuild(dir);
      writeFileSync(path.join(dir, "a/x.txt"), "X");
      utimesSync(path.join(dir, "a/x.txt"), HOUR_AGO, HOUR_AGO); // the mtime put back: only the ctime moved
      const after = await freshBuild(dir);
      expect(after.hashed).toBe(1);
      expect(after.digest).not.toBe(before.digest);
      expect(await freshBuild(dir)).toEqual({ ...after, hashed: 0 });
    });

    it("sees a file added, removed or renamed, and a change of .assetsignore made in place", async () => {
      const dir = await site("hc-snap-list", { "a/x.txt": "x", "a/y.txt": "y", ".assetsignore": "*.map\n" });
      expect((await freshBuild(dir)).paths).toEqual(["/a/x.txt", "/a/y.txt"]);
      writeFileSync(path.join(dir, "a/new.txt"), "n");
      ageDirs(dir);
      expect((await freshBuild(dir)).paths).toEqual(["/a/new.txt", "/a/x.txt", "/a/y.txt"]);
      rmSync(path.join(dir, "a/new.txt"));
      ageDirs(dir);
      expect((await freshBuild(dir)).paths).toEqual(["/a/x.txt", "/a/y.txt"]);
      renameSync(path.join(dir, "a/y.txt"), path.join(dir, "a/w.txt"));
      ageDirs(dir);
      expect((await freshBuild(dir)).paths).toEqual(["/a/w.txt", "/a/x.txt"]);
      writeFileSync(path.join(dir, ".assetsignore"), "w.txt\n"); // no directory changes: only the rules tell
      expect((await freshBuild(dir)).paths).toEqual(["/a/x.txt"]);
    });
  });

  it("never keeps a hash whose file changed within the racy window of its stat", () => {
    const file = path.join(hashCacheDir(), "racy-unit.json");
    const cache = new SiteHashCache(file, "f");
    const statAt = Date.now();
    const stamp = (mtimeMs: number) => ({ size: 1, mtimeMs, ctimeMs: mtimeMs, ino: 7 });
    cache.set("racy.txt", "", stamp(statAt - RACY_WINDOW_MS + 1), "h1", statAt);
    cache.set("old.txt", "", stamp(statAt - RACY_WINDOW_MS - 1), "h2", statAt);
    expect(cache.get("racy.txt", "", stamp(statAt - RACY_WINDOW_MS + 1))).toBeUndefined();
    expect(cache.get("old.txt", "", stamp(statAt - RACY_WINDOW_MS - 1))).toBe("h2");
    cache.save();
    const reloaded = new SiteHashCache(file, "f");
    expect(reloaded.get("old.txt", "", stamp(statAt - RACY_WINDOW_MS - 1))).toBe("h2");
    expect(reloaded.get("old.txt", "", { ...stamp(statAt - RACY_WINDOW_MS - 1), ino: 8 })).toBeUndefined();
    expect(new SiteHashCache(file, "another formula").get("old.txt", "", stamp(statAt - RACY_WINDOW_MS - 1))).toBeUndefined();
  });
});
