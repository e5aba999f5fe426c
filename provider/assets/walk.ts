/**
 * The one walk of an asset directory: synchronous `readdir` with file types in a tight loop (a fresh `pulumi preview`
 * of an unchanged site is mostly this walk and the stats), yielding to the event loop every few milliseconds.
 * Symlinks are reported, never followed: manifest.ts checks them and walks with fast-glob only when there are any.
 *
 * A {@link TreeSnapshot} spares the walk when no directory changed: adding, removing or renaming an entry changes
 * its directory's mtime and ctime, so while every directory's (mtime, ctime, inode) is what it was when listed, the
 * file list is too. Files still get their own stat (an edit changes only the file's). The racy rule of stamps.ts
 * applies to directories as well: one whose mtime is not older than the walk is never part of a snapshot.
 */
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { RACY_WINDOW_MS } from "./stamps";

const YIELD_EVERY_MS = 25;

export interface Tree {
  /** Regular files that `keep` kept, relative POSIX paths, sorted by UTF-16 code units. */
  files: string[];
  /** Symlinks (to anything), relative POSIX paths, kept or not. */
  links: string[];
  /** When asked for, and no directory is racy and there is no symlink: what lets the next walk be skipped. */
  snapshot?: TreeSnapshot;
}

/** The files of a walk and the directories it listed; valid for the ignore rules `rules`. */
export interface TreeSnapshot {
  rules: string;
  /** Flattened: relative directory with a trailing "/" ("" is the root), mtimeMs, ctimeMs, ino, … */
  dirs: Array<string | number>;
  files: string[];
}

/**
 * Lists the regular files under `root` that `keep` keeps (it must depend only on the path and on `rules`), and
 * every symlink; other entry types (sockets, FIFOs, devices) are skipped.
 */
export async function walkTree(root: string, keep: (rel: string) => boolean, rules?: string): Promise<Tree> {
  const files: string[] = [];
  const links: string[] = [];
  const dirs: Array<string | number> = [];
  const pending: string[] = [""]; // directories still to list, relative with a trailing "/" ("" is the root)
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const statAt = Date.now();
  let racy = false;
  let slice = statAt;
  while (pending.length > 0) {
    const dir = pending.pop()!;
    if (rules !== undefined) {
      // Stat before listing: a change in between moves the stamp, so the next walk lists again.
      const { mtimeMs, ctimeMs, ino } = statSync(prefix + dir);
      dirs.push(dir, mtimeMs, ctimeMs, ino);
      racy ||= !(mtimeMs < statAt - RACY_WINDOW_MS);
    }
    for (const entry of readdirSync(prefix + dir, { withFileTypes: true })) {
      const rel = dir + entry.name;
      if (entry.isFile()) {
        if (keep(rel)) files.push(rel);
      } else if (entry.isDirectory()) pending.push(`${rel}/`);
      else if (entry.isSymbolicLink()) links.push(rel);
    }
    if (Date.now() - slice >= YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = Date.now();
    }
  }
  files.sort();
  const tree: Tree = { files, links };
  if (rules !== undefined && !racy && links.length === 0) tree.snapshot = { rules, dirs, files };
  return tree;
}

/** The snapshot's files when the rules are the same and no directory changed since; else undefined. */
export function unchangedFiles(root: string, snapshot: TreeSnapshot, rules: string): string[] | undefined {
  if (snapshot.rules !== rules) return undefined;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const { dirs } = snapshot;
  for (let i = 0; i < dirs.length; i += 4) {
    const st = statSync(prefix + dirs[i], { throwIfNoEntry: false });
    if (!st || st.mtimeMs !== dirs[i + 1] || st.ctimeMs !== dirs[i + 2] || st.ino !== dirs[i + 3]) return undefined;
  }
  return snapshot.files;
}
