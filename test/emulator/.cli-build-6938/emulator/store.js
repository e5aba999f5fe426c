"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Store = void 0;
exports.timestamp = timestamp;
exports.newTag = newTag;
exports.newUuid = newUuid;
exports.dict = dict;
/**
 * @module
 * Emulator state: in memory, optionally persisted to a data directory.
 *
 * Layout of a data directory:
 * - `state.json`: namespaces, scripts (with modules and secret values), upload sessions, the JWT secret, zones and
 *   custom domains (zones-state.ts). Written
 *   atomically (a temporary file in the same directory, then `rename`).
 * - `blobs/<namespace id>/<hash>`: asset contents, one file per hash, also written through a temporary file.
 *
 * Handlers keep every read-modify-write of the state synchronous, or run it under {@link Store.lock} for a
 * namespace when it has to await (JWT verification, blob writes), so concurrent requests never interleave a mutation.
 */
const node_crypto_1 = require("node:crypto");
const node_fs_1 = require("node:fs");
const promises_1 = require("node:fs/promises");
const node_path_1 = require("node:path");
const datadir_1 = require("./datadir");
/** RFC 3339 with microseconds, as Cloudflare prints timestamps. */
function timestamp(ms = Date.now()) {
    return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
function newTag() {
    return (0, node_crypto_1.randomBytes)(16).toString("hex");
}
function newUuid() {
    return (0, node_crypto_1.randomUUID)();
}
/**
 * A map keyed by names clients choose (scripts, accounts, sessions, metadata keys): no prototype, so `constructor`
 * or `__proto__` are ordinary keys, never Object's own properties.
 */
function dict(entries) {
    const out = Object.create(null);
    if (entries)
        for (const [k, v] of Object.entries(entries))
            out[k] = v;
    return out;
}
function emptyState() {
    return { version: 1, jwtSecret: (0, node_crypto_1.randomBytes)(32).toString("base64"), accounts: dict(), sessions: dict(), zones: dict() };
}
function withDicts(c) {
    c.scripts = dict(c.scripts);
    c.blobs = dict(c.blobs);
    for (const s of Object.values(c.scripts))
        s.extra = dict(s.extra);
}
/** Persisted state with every client-keyed map made prototype-free (JSON.parse gives plain objects). */
function normalize(state) {
    state.accounts = dict(state.accounts);
    state.sessions = dict(state.sessions);
    // Sessions stored when the container id was called namespaceId.
    for (const s of Object.values(state.sessions)) {
        if (s.containerId !== undefined || s.namespaceId === undefined)
            continue;
        s.containerId = s.namespaceId;
        delete s.namespaceId;
    }
    for (const acc of Object.values(state.accounts)) {
        acc.namespaces = dict(acc.namespaces);
        for (const ns of Object.values(acc.namespaces))
            withDicts(ns);
        if (acc.workers)
            withDicts(acc.workers);
        if (acc.domains)
            acc.domains = dict(acc.domains);
        if (acc.kv) {
            acc.kv = dict(acc.kv);
            for (const kv of Object.values(acc.kv))
                kv.entries = dict(kv.entries);
        }
    }
    state.zones = dict(state.zones ?? {});
    for (const z of Object.values(state.zones)) {
        z.routes = dict(z.routes);
        z.custom_hostnames = dict(z.custom_hostnames);
        for (const ch of Object.values(z.custom_hostnames))
            if (ch.custom_metadata)
                ch.custom_metadata = dict(ch.custom_metadata);
    }
    return state;
}
class Store {
    dataDir;
    state;
    /** Counts rollbacks: a request that saw it change cannot know its change was kept. */
    generation = 0;
    memBlobs = new Map();
    locks = new Map();
    dirty = false;
    writing;
    tmpCounter = 0;
    releaseLock;
    /** The text of the state last written (or read): what a rollback returns to. */
    persisted;
    constructor(dataDir, warn = (m) => process.stderr.write(`wfp-emulator: ${m}\n`)) {
        this.dataDir = dataDir;
        this.state = emptyState();
        if (!dataDir)
            return;
        (0, datadir_1.privateDir)(dataDir);
        this.releaseLock = (0, datadir_1.lockDataDir)(dataDir);
        try {
            const loaded = this.readState();
            if (loaded)
                this.state = loaded;
            const dropped = (0, datadir_1.dropUnlayableAssets)(this.state);
            for (const problem of dropped)
                warn(problem);
            if (dropped.length)
                this.touch();
            (0, datadir_1.cleanDataDir)(dataDir, (0, datadir_1.referencedBlobs)(this.state));
        }
        catch (err) {
            this.close();
            throw err;
        }
    }
    /** The persisted state, or undefined when there is none yet. */
    readState() {
        const file = (0, node_path_1.join)(this.dataDir, "state.json");
        if (!(0, node_fs_1.existsSync)(file))
            return undefined;
        this.persisted = (0, node_fs_1.readFileSync)(file, "utf8");
        const loaded = JSON.parse(this.persisted);
        if (loaded.version !== 1)
            throw new Error(`unsupported state version in ${file}`);
        return normalize(loaded);
    }
    /** Releases the data directory's lock (state is flushed by the caller first). */
    close() {
        this.releaseLock?.();
        this.releaseLock = undefined;
    }
    get jwtSecret() {
        return Buffer.from(this.state.jwtSecret, "base64");
    }
    account(id) {
        const key = id.toLowerCase();
        let acc = this.state.accounts[key];
        if (!acc) {
            acc = { namespaces: dict() };
            this.state.accounts[key] = acc;
        }
        return acc;
    }
    /** Finds a namespace by its name, the only way API paths address one. */
    findNamespace(accountId, name) {
        const acc = this.state.accounts[accountId.toLowerCase()];
        if (!acc)
            return undefined;
        return Object.values(acc.namespaces).find((ns) => ns.name === name);
    }
    /** The account-level Workers of an account, created on first use. */
    accountWorkers(accountId) {
        const acc = this.account(accountId);
        acc.workers ??= { id: `account-${accountId.toLowerCase()}`, name: "", scripts: dict(), blobs: dict() };
        return acc.workers;
    }
    /** The zone with this id, or undefined. */
    zone(id) {
        return this.state.zones[id];
    }
    /** The zone named `name` (lowercase) of an account, or undefined. */
    findZone(accountId, name) {
        const acc = accountId.toLowerCase();
        return Object.values(this.state.zones).find((z) => z.account === acc && z.name === name);
    }
    /** The Workers custom domains of an account, created on first use. */
    accountDomains(accountId) {
        const acc = this.account(accountId);
        acc.domains ??= dict();
        return acc.domains;
    }
    /** The KV namespaces of an account by id, created on first use. */
    kvNamespaces(accountId) {
        const acc = this.account(accountId);
        acc.kv ??= dict();
        return acc.kv;
    }
    /** A container by its id (upload sessions refer to one so). */
    containerById(accountId, id) {
        const acc = this.state.accounts[accountId.toLowerCase()];
        if (acc?.workers?.id === id)
            return acc.workers;
        return acc?.namespaces[id];
    }
    /** Runs `fn` after every earlier `lock` call with the same key has settled. */
    async lock(key, fn) {
        const prev = this.locks.get(key) ?? Promise.resolve();
        const run = prev.then(fn, fn);
        const tail = run.catch(() => undefined);
        this.locks.set(key, tail);
        void tail.then(() => {
            if (this.locks.get(key) === tail)
                this.locks.delete(key);
        });
        return run;
    }
    // ---- blobs ----
    blobPath(containerId, hash) {
        return (0, node_path_1.join)(this.dataDir, "blobs", containerId, hash);
    }
    /** Writes the bytes (to disk first when persistent); the caller records the BlobMeta afterwards. */
    async writeBlob(containerId, hash, data) {
        if (!this.dataDir) {
            this.memBlobs.set(`${containerId}/${hash}`, data);
            return;
        }
        const dir = (0, node_path_1.join)(this.dataDir, "blobs", containerId);
        await (0, promises_1.mkdir)(dir, { recursive: true, mode: datadir_1.DIR_MODE });
        const tmp = (0, node_path_1.join)(dir, `.${hash}.${process.pid}.${this.tmpCounter++}.tmp`);
        await (0, promises_1.writeFile)(tmp, data, { mode: datadir_1.FILE_MODE });
        await (0, promises_1.rename)(tmp, this.blobPath(containerId, hash));
    }
    async readBlob(containerId, hash) {
        if (!this.dataDir)
            return this.memBlobs.get(`${containerId}/${hash}`);
        try {
            return await (0, promises_1.readFile)(this.blobPath(containerId, hash));
        }
        catch {
            return undefined;
        }
    }
    async dropNamespaceBlobs(containerId) {
        if (!this.dataDir) {
            for (const key of [...this.memBlobs.keys()])
                if (key.startsWith(`${containerId}/`))
                    this.memBlobs.delete(key);
            return;
        }
        await (0, promises_1.rm)((0, node_path_1.join)(this.dataDir, "blobs", containerId), { recursive: true, force: true });
    }
    // ---- persistence ----
    /** Marks the state as changed; the server flushes it before answering the request. */
    touch() {
        this.dirty = true;
    }
    /**
     * Writes the state atomically if it changed; concurrent calls coalesce. No-op without a data directory. When the
     * write fails, the state in memory goes back to what is on disk (nothing half-applied) and every caller that was
     * waiting for it throws.
     */
    async flush() {
        if (!this.dataDir) {
            this.dirty = false;
            return;
        }
        while (this.dirty || this.writing) {
            if (this.writing) {
                await this.writing;
                continue;
            }
            this.dirty = false;
            this.writing = this.writeState()
                .catch((err) => {
                this.rollback();
                throw err;
            })
                .finally(() => {
                this.writing = undefined;
            });
        }
    }
    /** Puts the state back to the last one persisted (dataDir only), for a change that could not be written. */
    rollback() {
        if (!this.dataDir)
            return;
        const secret = this.state.jwtSecret;
        this.state = this.persisted ? normalize(JSON.parse(this.persisted)) : { ...emptyState(), jwtSecret: secret };
        this.dirty = false;
        this.generation++;
    }
    /** Whether a change is waiting to be persisted. */
    get changed() {
        return this.dirty;
    }
    async writeState() {
        const file = (0, node_path_1.join)(this.dataDir, "state.json");
        const tmp = (0, node_path_1.join)(this.dataDir, `.state.json.${process.pid}.${this.tmpCounter++}.tmp`);
        try {
            const text = JSON.stringify(this.state);
            await (0, promises_1.writeFile)(tmp, text, { mode: datadir_1.FILE_MODE });
            await (0, promises_1.rename)(tmp, file);
            this.persisted = text;
        }
        catch (err) {
            await (0, promises_1.rm)(tmp, { force: true });
            throw err;
        }
    }
    /** Empties all state (the JWT secret is kept) and deletes stored blobs. */
    async reset() {
        const secret = this.state.jwtSecret;
        this.state = { ...emptyState(), jwtSecret: secret };
        this.memBlobs.clear();
        if (this.dataDir) {
            await (0, promises_1.rm)((0, node_path_1.join)(this.dataDir, "blobs"), { recursive: true, force: true });
            await (0, promises_1.mkdir)((0, node_path_1.join)(this.dataDir, "blobs"), { recursive: true, mode: datadir_1.DIR_MODE });
        }
        this.touch();
        await this.flush();
    }
}
exports.Store = Store;
