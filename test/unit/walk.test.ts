import { mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import fg from "fast-glob";
import { describe, expect, it } from "vitest";
import { unchangedFiles, walkTree } from "../../provider/assets/walk";
import { tempDir, writeTree } from "../helpers/files";

const tmpRoot = tempDir("walk");
const HOUR_AGO = new Date(Date.now() - 3600_000);
const all = () => true;

/** A tree whose files and directories all look an hour old, so that no directory is racy. */
function oldTree(files: Record<string, string>): string {
  const dir = writeTree(tmpRoot, files);
  age(dir);
  return dir;
}

/** Puts the mtime of `dir` and of every directory under it an hour back. */
function age(dir: string): void {
  for (const rel of fg.sync("**", { cwd: dir, onlyDirectories: true, dot: true })) utimesSync(path.join(dir, rel), HOUR_AGO, HOUR_AGO);
  utimesSync(dir, HOUR_AGO, HOUR_AGO);
}

async function snapshotOf(dir: string) {
  const tree = await walkTree(dir, all, "rules");
  expect(tree.snapshot).toBeDefined();
  return tree.snapshot!;
}

describe("walkTree", () => {
  it("lists the same files as fast-glob's ** with dot files, sorted by UTF-16 code units", async () => {
    const dir = writeTree(tmpRoot, {
      "index.html": "1",
      ".hidden/.env": "2",
      "a.b/c.txt": "3",
      "a/b.txt": "4",
      "a-b/x": "5",
      a0: "6",
      "café/naïve 文件.txt": "7",
      "deep/er/and/deeper/f.js": "8",
      "sp ace/[x].css": "9",
    });
    mkdirSync(path.join(dir, "empty/dir"), { recursive: true });
    const tree = await walkTree(dir, all);
    const expected = fg.sync("**", { cwd: dir, dot: true, onlyFiles: true }).sort();
    expect(tree.files).toEqual(expected);
    expect(tree.files).toContain("a.b/c.txt");
    expect(tree.links).toEqual([]);
  });

  it("applies keep, reports symlinks without following them, and then makes no snapshot", async () => {
    const dir = writeTree(tmpRoot, { "a/x.txt": "x", "b.map": "m" });
    symlinkSync("a", path.join(dir, "link"));
    age(dir);
    const tree = await walkTree(dir, (rel) => !rel.endsWith(".map"), "rules");
    expect(tree.files).toEqual(["a/x.txt"]);
    expect(tree.links).toEqual(["link"]);
    expect(tree.snapshot).toBeUndefined();
  });

  it("makes no snapshot while a directory was changed within the racy window", async () => {
    const dir = writeTree(tmpRoot, { "a/x.txt": "x" });
    expect((await walkTree(dir, all, "rules")).snapshot).toBeUndefined();
    age(dir);
    expect((await walkTree(dir, all, "rules")).snapshot).toBeDefined();
  });
});

describe("unchangedFiles", () => {
  it("returns the snapshot's files while no directory changed, even if a file's content did", async () => {
    const dir = oldTree({ "a/x.txt": "x", "b/y.txt": "y" });
    const snap = await snapshotOf(dir);
    writeFileSync(path.join(dir, "a/x.txt"), "X"); // same size: only the file's own stat shows it
    expect(unchangedFiles(dir, snap, "rules")).toEqual(["a/x.txt", "b/y.txt"]);
  });

  it("refuses other ignore rules", async () => {
    const dir = oldTree({ "a.txt": "1" });
    expect(unchangedFiles(dir, await snapshotOf(dir), "other rules")).toBeUndefined();
  });

  it("sees a file added, removed or renamed in a nested directory, even with its mtime put back", async () => {
    const changes: Array<(dir: string) => void> = [
      (dir) => writeFileSync(path.join(dir, "a/b/new.txt"), "n"),
      (dir) => rmSync(path.join(dir, "a/b/x.txt")),
      (dir) => renameSync(path.join(dir, "a/b/x.txt"), path.join(dir, "a/b/z.txt")),
      (dir) => mkdirSync(path.join(dir, "a/b/sub")),
      (dir) => rmSync(path.join(dir, "c"), { recursive: true }),
    ];
    for (const change of changes) {
      const dir = oldTree({ "a/b/x.txt": "x", "c/y.txt": "y" });
      const snap = await snapshotOf(dir);
      change(dir);
      expect(unchangedFiles(dir, snap, "rules")).toBeUndefined();
      age(dir); // the mtimes back as they were: the ctime still moved
      expect(unchangedFiles(dir, snap, "rules")).toBeUndefined();
    }
  });

  it("sees a directory replaced by another of the same name", async () => {
    const dir = oldTree({ "a/x.txt": "x" });
    const snap = await snapshotOf(dir);
    renameSync(path.join(dir, "a"), path.join(dir, "old-a"));
    mkdirSync(path.join(dir, "a"));
    writeFileSync(path.join(dir, "a/x.txt"), "x");
    renameSync(path.join(dir, "old-a"), path.join(tmpRoot, `gone-${Date.now()}`));
    age(dir);
    expect(unchangedFiles(dir, snap, "rules")).toBeUndefined();
  });
});
