import { utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetLoadedHashCaches } from "../../provider/assets/hash-cache";
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
  return { hashed: m.hashed, digest: manifestDigest(m.files, {}) };
}

async function site(name: string, files: Record<string, string>): Promise<string> {
  const dir = await writeTree(tempDir(name), files);
  for (const rel of Object.keys(files)) utimesSync(path.join(dir, rel), HOUR_AGO, HOUR_AGO);
  return dir;
}

describe("the persistent hash cache", () => {
  it("hashes an unchanged site once, across processes", async () => {
    const dir = await site("hc-unchanged", { "index.html": "<h1>a</h1>", "css/site.css": "body{}", "app.js": "1" });
    const first = await freshBuild(dir);
    expect(first.hashed).toBe(3);
    const second = await freshBuild(dir);
    expect(second).toEqual({ hashed: 0, digest: first.digest });
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
});
