import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_ASSET_SIZE_BYTES } from "../../cloudflare/limits";
import { toWireConfig } from "../../provider/assets/serving-config";
import { contentTypeOf, contentTypes, hashAssetBytes, hashFileSync, loadMime } from "../../provider/assets/hash";
import { buildManifest, clearHashCache, HASH_FORMULA, ManifestError, manifestDigest } from "../../provider/assets/manifest";
import { tempDir, writeTree } from "../helpers/files";

const tmpRoot = tempDir("manifest");

const site = (files: Record<string, string | Buffer>) => writeTree(tmpRoot, files);

async function expectManifestError(promise: Promise<unknown>, pattern: RegExp, property = "directory"): Promise<ManifestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManifestError);
  expect((error as ManifestError).message).toMatch(pattern);
  expect((error as ManifestError).property).toBe(property);
  return error as ManifestError;
}

beforeEach(() => clearHashCache());

describe("hash formula", () => {
  it("is sha256(salt \\0 ext \\0 bytes) as hex, first 32 characters", () => {
    const expected = createHash("sha256").update("tenant-a\0html\0<h1>hi</h1>").digest("hex").slice(0, 32);
    expect(hashAssetBytes("<h1>hi</h1>", "/index.html", "tenant-a")).toBe(expected);
    expect(hashAssetBytes("x", "/a.txt")).toMatch(/^[0-9a-f]{32}$/);
    expect(HASH_FORMULA).toBe("sha256-salted-ext-v1");
  });

  it("differs by salt and by extension for the same bytes", () => {
    const bytes = Buffer.from("same bytes");
    expect(hashAssetBytes(bytes, "/a.txt", "tenant-a")).not.toBe(hashAssetBytes(bytes, "/a.txt", "tenant-b"));
    expect(hashAssetBytes(bytes, "/a.txt", "")).not.toBe(hashAssetBytes(bytes, "/a.txt", "tenant-a"));
    expect(hashAssetBytes(bytes, "/a.txt")).not.toBe(hashAssetBytes(bytes, "/a.css"));
    // Same extension, other name or directory: the same blob.
    expect(hashAssetBytes(bytes, "/a.txt")).toBe(hashAssetBytes(bytes, "/deep/b.txt"));
  });

  it("streams a file in chunks to the same hash as the whole bytes", async () => {
    const content = Buffer.alloc(100_003);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) & 0xff;
    const dir = await site({ "big.bin": content });
    const streamed = hashFileSync(path.join(dir, "big.bin"), "/big.bin", "s", Buffer.alloc(4096));
    expect(streamed).toEqual({ hash: hashAssetBytes(content, "/big.bin", "s"), size: content.length });
  });
});

describe("buildManifest", () => {
  it("lists nested, unicode, empty and binary files with sorted POSIX paths, hashes and content types", async () => {
    const binary = Buffer.from([0, 255, 1, 254, 0, 0, 10, 13]);
    const dir = await site({
      "index.html": "<h1>home</h1>",
      "css/site.css": "body{}",
      "a/b/c/deep.js": "export {}",
      "café/naïve 文件.txt": "unicode",
      "empty.txt": "",
      "img/logo.png": binary,
      "data.unknownext": "?",
      noext: "no extension",
      ".well-known/security.txt": "dot dirs are files too",
    });
    const m = await buildManifest({ directory: dir });
    expect(m.files.map((f) => f.path)).toEqual([
      "/.well-known/security.txt",
      "/a/b/c/deep.js",
      "/café/naïve 文件.txt",
      "/css/site.css",
      "/data.unknownext",
      "/empty.txt",
      "/img/logo.png",
      "/index.html",
      "/noext",
    ]);
    const byPath = Object.fromEntries(m.files.map((f) => [f.path, f]));
    expect(byPath["/index.html"]!.contentType).toBe("text/html; charset=utf-8");
    expect(byPath["/css/site.css"]!.contentType).toBe("text/css; charset=utf-8");
    expect(byPath["/a/b/c/deep.js"]!.contentType).toBe("text/javascript; charset=utf-8");
    expect(byPath["/img/logo.png"]!.contentType).toBe("image/png");
    expect(byPath["/data.unknownext"]!.contentType).toBe("application/null");
    expect(byPath["/noext"]!.contentType).toBe("application/null");
    expect(byPath["/empty.txt"]!.size).toBe(0);
    expect(byPath["/empty.txt"]!.hash).toBe(hashAssetBytes("", "/empty.txt"));
    expect(byPath["/img/logo.png"]!.hash).toBe(hashAssetBytes(binary, "/img/logo.png"));
    expect(byPath["/café/naïve 文件.txt"]!.hash).toBe(hashAssetBytes("unicode", "x.txt"));
    for (const f of m.files) expect(f.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(m.totalBytes).toBe(m.files.reduce((n, f) => n + f.size, 0));
    expect(m.formula).toBe(HASH_FORMULA);
  });

  it("applies .assetsignore with gitignore semantics and keeps _headers/_redirects for the config", async () => {
    const dir = await site({
      ".assetsignore": "*.map\nsecret/\n!keep.map\n# a comment\n/root-only.txt\n",
      "app.js": "1",
      "app.js.map": "2",
      "keep.map": "3",
      "secret/key.txt": "4",
      "nested/secret/key.txt": "5",
      "root-only.txt": "6",
      "nested/root-only.txt": "7",
      _headers: "/*\n  X-Frame-Options: DENY\n",
      _redirects: "/old /new 301\n",
      "sub/_headers": "not special below the top",
    });
    const m = await buildManifest({ directory: dir });
    expect(m.files.map((f) => f.path)).toEqual(["/app.js", "/keep.map", "/nested/root-only.txt", "/sub/_headers"]);
    expect(m.headers).toBe("/*\n  X-Frame-Options: DENY\n");
    expect(m.redirects).toBe("/old /new 301\n");
  });

  it("applies include and exclude globs (dot files included)", async () => {
    const dir = await site({ "a.html": "1", "b.css": "2", "docs/c.html": "3", "docs/draft/d.html": "4", ".hidden.html": "5" });
    const m = await buildManifest({ directory: dir, include: ["**/*.html"], exclude: ["docs/draft/**"] });
    expect(m.files.map((f) => f.path)).toEqual(["/.hidden.html", "/a.html", "/docs/c.html"]);
  });

  it("refuses _worker.js without an .assetsignore, and accepts it with one", async () => {
    const dir = await site({ "index.html": "1", "_worker.js": "export default {}" });
    await expectManifestError(buildManifest({ directory: dir }), /\/_worker\.js would be uploaded/);
    await fsp.writeFile(path.join(dir, ".assetsignore"), "_worker.js\n");
    const m = await buildManifest({ directory: dir });
    expect(m.files.map((f) => f.path)).toEqual(["/index.html"]);
  });

  describe("symlinks", () => {
    it("follows links that stay inside the directory", async () => {
      const dir = await site({ "real/a.txt": "A", "b.txt": "B" });
      await fsp.symlink("real/a.txt", path.join(dir, "link.txt"));
      await fsp.symlink("real", path.join(dir, "linkdir"));
      const m = await buildManifest({ directory: dir });
      expect(m.files.map((f) => f.path)).toEqual(["/b.txt", "/link.txt", "/linkdir/a.txt", "/real/a.txt"]);
      const hashes = Object.fromEntries(m.files.map((f) => [f.path, f.hash]));
      expect(hashes["/link.txt"]).toBe(hashes["/real/a.txt"]);
    });

    it("rejects a file link that escapes, naming it", async () => {
      const outside = await site({ "secret.txt": "S" });
      const dir = await site({ "index.html": "1" });
      await fsp.symlink(path.join(outside, "secret.txt"), path.join(dir, "leak.txt"));
      await expectManifestError(buildManifest({ directory: dir }), /\/leak\.txt is a symlink that points outside the directory/);
    });

    it("rejects a directory link that escapes, without walking it", async () => {
      const dir = await site({ "index.html": "1" });
      await fsp.symlink("/", path.join(dir, "root"));
      await expectManifestError(buildManifest({ directory: dir }), /\/root is a symlink that points outside/);
    });

    it("accepts an escaping link listed in .assetsignore", async () => {
      const dir = await site({ "index.html": "1", ".assetsignore": "root\n" });
      await fsp.symlink("/", path.join(dir, "root"));
      const m = await buildManifest({ directory: dir });
      expect(m.files.map((f) => f.path)).toEqual(["/index.html"]);
    });

    it("rejects loops and dangling links", async () => {
      const loop = await site({ "a/x.txt": "x" });
      await fsp.symlink("..", path.join(loop, "a", "up"));
      await expectManifestError(buildManifest({ directory: loop }), /\/a\/up is a symlink to a directory that contains it/);

      const cycle = await site({ "a/x.txt": "x", "b/y.txt": "y" });
      await fsp.symlink("../b", path.join(cycle, "a", "tob"));
      await fsp.symlink("../a", path.join(cycle, "b", "toa"));
      await expectManifestError(buildManifest({ directory: cycle }), /forms a loop/);

      const dangling = await site({ "index.html": "1" });
      await fsp.symlink("missing.txt", path.join(dangling, "gone.txt"));
      await expectManifestError(buildManifest({ directory: dangling }), /\/gone\.txt is a symlink to "missing\.txt", which does not exist/);
    });
  });

  describe("limits", () => {
    it("rejects a missing directory, a file given as directory, and an empty directory", async () => {
      await expectManifestError(buildManifest({ directory: path.join(tmpRoot, "nope") }), /does not exist/);
      const dir = await site({ "file.txt": "1" });
      await expectManifestError(buildManifest({ directory: path.join(dir, "file.txt") }), /is not a directory/);
      const empty = await site({});
      await expectManifestError(buildManifest({ directory: empty }), /has no files to upload/);
      const onlyIgnored = await site({ ".assetsignore": "*\n", "a.txt": "1" });
      await expectManifestError(
        buildManifest({ directory: onlyIgnored }),
        /has no files to upload after include, exclude and \.assetsignore/,
      );
    });

    it("rejects more files than maxFiles, naming the first over the limit", async () => {
      const dir = await site({ "a.txt": "1", "b.txt": "2", "c.txt": "3" });
      expect((await buildManifest({ directory: dir, maxFiles: 3 })).files.map((f) => f.path)).toEqual(["/a.txt", "/b.txt", "/c.txt"]);
      await expectManifestError(
        buildManifest({ directory: dir, maxFiles: 2 }),
        /3 files to upload, more than the limit of 2 \(the first over the limit is \/c\.txt\)/,
        "maxFiles",
      );
    });

    it("rejects a file over the size limit, naming it (injected limit)", async () => {
      const dir = await site({ "small.txt": "12345", "big/large.bin": Buffer.alloc(11) });
      const atLimit = await buildManifest({ directory: dir, maxFileBytes: 11 });
      expect(atLimit.files.map((f) => [f.path, f.size])).toEqual([
        ["/big/large.bin", 11],
        ["/small.txt", 5],
      ]);
      await expectManifestError(buildManifest({ directory: dir, maxFileBytes: 10 }), /\/big\/large\.bin \(11 bytes\)/);
    });

    it("rejects a file over 25 MiB by default (sparse file), and accepts exactly 25 MiB", async () => {
      const dir = await site({ "index.html": "1" });
      const handle = await fsp.open(path.join(dir, "huge.bin"), "w");
      await handle.truncate(MAX_ASSET_SIZE_BYTES + 1);
      await handle.close();
      await expectManifestError(
        buildManifest({ directory: dir }),
        /26214400-byte \(25 MiB\) limit per asset: \/huge\.bin \(26214401 bytes\)/,
      );
      await fsp.truncate(path.join(dir, "huge.bin"), MAX_ASSET_SIZE_BYTES);
      const m = await buildManifest({ directory: dir });
      expect(m.files.find((f) => f.path === "/huge.bin")!.size).toBe(MAX_ASSET_SIZE_BYTES);
    });
  });

  describe("digest", () => {
    const files = { "index.html": "<h1>x</h1>", "css/a.css": "a{}", "img/p.png": Buffer.from([1, 2, 3]) };

    it("does not depend on where the directory is", async () => {
      const a = await buildManifest({ directory: await site(files) });
      const b = await buildManifest({ directory: await site(files) });
      expect(a.root).not.toBe(b.root);
      expect(manifestDigest(a.files, {})).toBe(manifestDigest(b.files, {}));
    });

    it("changes with one byte, a renamed file, the salt, the config and _headers", async () => {
      const base = await buildManifest({ directory: await site(files) });
      const d = manifestDigest(base.files, {});
      const changed = await buildManifest({ directory: await site({ ...files, "css/a.css": "b{}" }) });
      expect(manifestDigest(changed.files, {})).not.toBe(d);
      const { "css/a.css": moved, ...rest } = files;
      const renamed = await buildManifest({ directory: await site({ ...rest, "css/b.css": moved }) });
      expect(manifestDigest(renamed.files, {})).not.toBe(d);
      const salted = await buildManifest({ directory: await site(files), isolationSalt: "t1" });
      expect(manifestDigest(salted.files, {})).not.toBe(d);
      expect(manifestDigest(base.files, toWireConfig({ htmlHandling: "none" }, {}))).not.toBe(d);
      expect(manifestDigest(base.files, toWireConfig(undefined, { headers: "/*\n  X: y\n" }))).not.toBe(d);
    });

    it("is the sha256 of one line per file, however many files (updates are batched)", () => {
      const many = Array.from({ length: 3000 }, (_, i) => ({
        path: `/d${i % 7}/"quoted"\\${i}\u0001.html`,
        hash: i.toString(16).padStart(32, "0"),
        size: i,
        contentType: "text/html; charset=utf-8",
      }));
      const h = createHash("sha256").update(`${HASH_FORMULA}\n`);
      for (const f of many) h.update(`${JSON.stringify(f.path)}\t${f.hash}\t${f.size}\t${f.contentType}\n`);
      h.update(`config\t{}\n`);
      expect(manifestDigest(many, {})).toBe(h.digest("hex"));
    });

    it("reuses cached hashes only while the file is unchanged", async () => {
      const dir = await site({ "a.txt": "one" });
      const first = await buildManifest({ directory: dir });
      await fsp.writeFile(path.join(dir, "a.txt"), "two");
      const second = await buildManifest({ directory: dir });
      expect(second.files[0]!.hash).toBe(hashAssetBytes("two", "a.txt"));
      expect(second.files[0]!.hash).not.toBe(first.files[0]!.hash);
    });
  });
});

describe("content types", () => {
  it("remembered per extension, are what mime says for every kind of name", async () => {
    const mime = await loadMime();
    const remembered = contentTypes(mime);
    const names = [
      "/a.HTML",
      "/b.html",
      "/x.tar.gz",
      "/.htaccess",
      "/noext",
      "/dir.d/file",
      "/a.",
      "/d/.e.css",
      "/back\\slash.JS",
      "/x\\.y/z.css",
      "/d\\.e",
      "/é.Txt",
      "/İ.HTML",
    ];
    for (const name of [...names, ...names]) expect([name, remembered(name)]).toEqual([name, contentTypeOf(mime, name)]);
  });
});
