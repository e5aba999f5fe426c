/**
 * @module
 * Housekeeping of a data directory: one emulator at a time (a lock file with the holder's pid), private modes
 * (directories 0700, files 0600: `state.json` holds secret values, `kvdb/` tenants' data), and what a crash leaves behind (temporary
 * files, blobs no state refers to) removed at start.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { assetPathProblem, fileDirectoryClash } from "./asset-paths";
import type { AssetEntry, State } from "./state";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
const LOCK_FILE = "wfp-emulator.lock";
/** The KV databases, one per account (kv-data.ts); SQLite keeps `-wal` and `-shm` files beside each. */
export const KV_DIR = "kvdb";

/** Data directories this process holds, so a lock with our own pid is told apart from a stale one. */
const held = new Set<string>();

/** Creates `dir` (and parents) if needed and makes it private. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  chmodSync(dir, DIR_MODE);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the directory's lock, or throws naming the directory and the holder's pid. A lock whose process is gone
 * (a crash, SIGKILL) is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const key = resolve(dir);
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx", FILE_MODE);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.add(key);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
      const ours = pid === process.pid && held.has(key);
      if (Number.isInteger(pid) && pid > 0 && (ours || (pid !== process.pid && alive(pid)))) {
        throw new Error(`data directory ${key} is in use by another wfp-emulator (pid ${pid}); stop it or use another --data-dir`);
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    held.delete(key);
    process.removeListener("exit", release);
    rmSync(file, { force: true });
  };
  process.once("exit", release);
  return release;
}

const isTemp = (name: string): boolean => name.endsWith(".tmp");

/**
 * Removes temporary files and the blobs `referenced` does not list (container id → hashes), and makes what stays
 * private. Returns how many files were removed.
 */
export function cleanDataDir(dir: string, referenced: Map<string, Set<string>>): number {
  let removed = 0;
  const drop = (path: string): void => {
    rmSync(path, { recursive: true, force: true });
    removed++;
  };
  for (const name of readdirSync(dir)) if (isTemp(name)) drop(join(dir, name));
  const state = join(dir, "state.json");
  if (existsSync(state)) chmodSync(state, FILE_MODE);
  const kv = join(dir, KV_DIR);
  if (existsSync(kv)) {
    chmodSync(kv, DIR_MODE);
    for (const name of readdirSync(kv)) chmodSync(join(kv, name), FILE_MODE);
  }
  const blobs = join(dir, "blobs");
  privateDir(blobs);
  for (const id of readdirSync(blobs)) {
    const path = join(blobs, id);
    const hashes = referenced.get(id);
    if (!hashes || !statSync(path).isDirectory()) {
      drop(path);
      continue;
    }
    chmodSync(path, DIR_MODE);
    for (const name of readdirSync(path)) {
      if (isTemp(name) || !hashes.has(name)) drop(join(path, name));
      else chmodSync(join(path, name), FILE_MODE);
    }
  }
  return removed;
}

function manifestProblem(manifest: Record<string, AssetEntry>): string | undefined {
  for (const path of Object.keys(manifest)) {
    const problem = assetPathProblem(path);
    if (problem) return `${JSON.stringify(path)}: ${problem}`;
  }
  const clash = fileDirectoryClash(Object.keys(manifest));
  return clash === undefined ? undefined : `'${clash}' is both a file and a directory`;
}

/**
 * Asset sets stored before the emulator refused manifests that cannot be laid out as files would stop the runtime
 * for every tenant: each is dropped (with its assets bindings and upload sessions), one warning each.
 */
export function dropUnlayableAssets(state: State): string[] {
  const warnings: string[] = [];
  for (const [accId, acc] of Object.entries(state.accounts)) {
    const containers = [...Object.values(acc.namespaces), ...(acc.workers ? [acc.workers] : [])];
    for (const c of containers) {
      for (const s of Object.values(c.scripts)) {
        const problem = s.assets ? manifestProblem(s.assets.manifest) : undefined;
        if (!problem) continue;
        s.assets = null;
        s.bindings = s.bindings.filter((b) => b.type !== "assets");
        warnings.push(
          `account ${accId}, ${c.name || "(account)"}/${s.name}: stored assets dropped, they cannot be laid out as files (${problem})`,
        );
      }
    }
  }
  for (const [id, session] of Object.entries(state.sessions)) if (manifestProblem(session.manifest)) delete state.sessions[id];
  return warnings;
}

/** Container id → the blob hashes its state records. */
export function referencedBlobs(state: State): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const acc of Object.values(state.accounts))
    for (const c of [...Object.values(acc.namespaces), ...(acc.workers ? [acc.workers] : [])]) out.set(c.id, new Set(Object.keys(c.blobs)));
  return out;
}
