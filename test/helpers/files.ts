/** Temporary files and trees for every suite. */
import { randomBytes } from "node:crypto";
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";

/**
 * A directory for the calling test file: its path is known at once (fixtures can be declared with it), it is
 * created before the file's tests and removed after them. Call it at the top level of a test file.
 */
export function tempDir(name: string): string {
  const dir = path.join(os.tmpdir(), `wfp-${name}-${process.pid}-${randomBytes(3).toString("hex")}`);
  beforeAll(() => void mkdirSync(dir, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes one file, creating its directory. */
export function writeFile(file: string, content: string | Buffer): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** Writes `files` (relative path → content) under `dir`, which may not exist yet; returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): string {
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) writeFile(path.join(dir, rel), content);
  return dir;
}

let counter = 0;

/** Writes `files` into a new directory under `root`, and returns it. */
export function writeTree(root: string, files: Record<string, string | Buffer>): string {
  return writeFiles(path.join(root, `tree-${++counter}`), files);
}

/** A sparse file: its size is set, no bytes are written. */
export function sparseFile(file: string, size: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, "w");
  ftruncateSync(fd, size);
  closeSync(fd);
  return file;
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
