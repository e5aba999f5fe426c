"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.FILE_MODE = exports.DIR_MODE = void 0;
exports.privateDir = privateDir;
exports.lockDataDir = lockDataDir;
exports.cleanDataDir = cleanDataDir;
exports.dropUnlayableAssets = dropUnlayableAssets;
exports.referencedBlobs = referencedBlobs;
/**
 * @module
 * Housekeeping of a data directory: one emulator at a time (a lock file with the holder's pid), private modes
 * (directories 0700, files 0600: `state.json` holds secret values), and what a crash leaves behind (temporary
 * files, blobs no state refers to) removed at start.
 */
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const asset_paths_1 = require("./asset-paths");
exports.DIR_MODE = 0o700;
exports.FILE_MODE = 0o600;
const LOCK_FILE = "wfp-emulator.lock";
/** Data directories this process holds, so a lock with our own pid is told apart from a stale one. */
const held = new Set();
/** Creates `dir` (and parents) if needed and makes it private. */
function privateDir(dir) {
    (0, node_fs_1.mkdirSync)(dir, { recursive: true, mode: exports.DIR_MODE });
    (0, node_fs_1.chmodSync)(dir, exports.DIR_MODE);
}
function alive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (err) {
        return err.code === "EPERM";
    }
}
/**
 * Takes the directory's lock, or throws naming the directory and the holder's pid. A lock whose process is gone
 * (a crash, SIGKILL) is taken over. Returns the release function.
 */
function lockDataDir(dir) {
    const key = (0, node_path_1.resolve)(dir);
    const file = (0, node_path_1.join)(dir, LOCK_FILE);
    for (let attempt = 0;; attempt++) {
        try {
            const fd = (0, node_fs_1.openSync)(file, "wx", exports.FILE_MODE);
            (0, node_fs_1.writeSync)(fd, `${process.pid}\n`);
            (0, node_fs_1.closeSync)(fd);
            held.add(key);
            break;
        }
        catch (err) {
            if (err.code !== "EEXIST" || attempt > 0)
                throw err;
            const pid = Number.parseInt((0, node_fs_1.readFileSync)(file, "utf8"), 10);
            const ours = pid === process.pid && held.has(key);
            if (Number.isInteger(pid) && pid > 0 && (ours || (pid !== process.pid && alive(pid)))) {
                throw new Error(`data directory ${key} is in use by another wfp-emulator (pid ${pid}); stop it or use another --data-dir`);
            }
            (0, node_fs_1.unlinkSync)(file); // stale: its process is gone
        }
    }
    let released = false;
    const release = () => {
        if (released)
            return;
        released = true;
        held.delete(key);
        process.removeListener("exit", release);
        (0, node_fs_1.rmSync)(file, { force: true });
    };
    process.once("exit", release);
    return release;
}
const isTemp = (name) => name.endsWith(".tmp");
/**
 * Removes temporary files and the blobs `referenced` does not list (container id → hashes), and makes what stays
 * private. Returns how many files were removed.
 */
function cleanDataDir(dir, referenced) {
    let removed = 0;
    const drop = (path) => {
        (0, node_fs_1.rmSync)(path, { recursive: true, force: true });
        removed++;
    };
    for (const name of (0, node_fs_1.readdirSync)(dir))
        if (isTemp(name))
            drop((0, node_path_1.join)(dir, name));
    const state = (0, node_path_1.join)(dir, "state.json");
    if ((0, node_fs_1.existsSync)(state))
        (0, node_fs_1.chmodSync)(state, exports.FILE_MODE);
    const blobs = (0, node_path_1.join)(dir, "blobs");
    privateDir(blobs);
    for (const id of (0, node_fs_1.readdirSync)(blobs)) {
        const path = (0, node_path_1.join)(blobs, id);
        const hashes = referenced.get(id);
        if (!hashes || !(0, node_fs_1.statSync)(path).isDirectory()) {
            drop(path);
            continue;
        }
        (0, node_fs_1.chmodSync)(path, exports.DIR_MODE);
        for (const name of (0, node_fs_1.readdirSync)(path)) {
            if (isTemp(name) || !hashes.has(name))
                drop((0, node_path_1.join)(path, name));
            else
                (0, node_fs_1.chmodSync)((0, node_path_1.join)(path, name), exports.FILE_MODE);
        }
    }
    return removed;
}
function manifestProblem(manifest) {
    for (const path of Object.keys(manifest)) {
        const problem = (0, asset_paths_1.assetPathProblem)(path);
        if (problem)
            return `${JSON.stringify(path)}: ${problem}`;
    }
    const clash = (0, asset_paths_1.fileDirectoryClash)(Object.keys(manifest));
    return clash === undefined ? undefined : `'${clash}' is both a file and a directory`;
}
/**
 * Asset sets stored before the emulator refused manifests that cannot be laid out as files would stop the runtime
 * for every tenant: each is dropped (with its assets bindings and upload sessions), one warning each.
 */
function dropUnlayableAssets(state) {
    const warnings = [];
    for (const [accId, acc] of Object.entries(state.accounts)) {
        const containers = [...Object.values(acc.namespaces), ...(acc.workers ? [acc.workers] : [])];
        for (const c of containers) {
            for (const s of Object.values(c.scripts)) {
                const problem = s.assets ? manifestProblem(s.assets.manifest) : undefined;
                if (!problem)
                    continue;
                s.assets = null;
                s.bindings = s.bindings.filter((b) => b.type !== "assets");
                warnings.push(`account ${accId}, ${c.name || "(account)"}/${s.name}: stored assets dropped, they cannot be laid out as files (${problem})`);
            }
        }
    }
    for (const [id, session] of Object.entries(state.sessions))
        if (manifestProblem(session.manifest))
            delete state.sessions[id];
    return warnings;
}
/** Container id → the blob hashes its state records. */
function referencedBlobs(state) {
    const out = new Map();
    for (const acc of Object.values(state.accounts))
        for (const c of [...Object.values(acc.namespaces), ...(acc.workers ? [acc.workers] : [])])
            out.set(c.id, new Set(Object.keys(c.blobs)));
    return out;
}
