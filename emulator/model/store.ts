/**
 * @module
 * The emulator's state (state.ts) held in memory, optionally persisted to a data directory.
 *
 * Layout of a data directory:
 * - `state.json`: namespaces, scripts (with modules and secret values), upload sessions, the JWT secret, zones and
 *   custom domains (zones-state.ts). Written
 *   atomically (a temporary file in the same directory, then `rename`).
 * - `blobs/<namespace id>/<hash>`: asset contents, one file per hash, also written through a temporary file.
 * - `kvdb/<account id>.sqlite` (with SQLite's `-wal` and `-shm` files): an account's KV entries (kv-data.ts),
 *   written per operation. State files of earlier emulators held them in `state.json`: moved there once, at start.
 *
 * Handlers keep every read-modify-write of the state synchronous, or run it under {@link Store.lock} for a
 * namespace when it has to await (JWT verification, blob writes), so concurrent requests never interleave a mutation.
 */
import { readFileSync, existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type D1Database,
  dict,
  emptyState,
  type KvNamespace,
  type LegacyKvEntry,
  type R2Bucket,
  normalize,
  type Account,
  type Namespace,
  type ScriptContainer,
  type State,
} from "./state";
import type { WorkerDomain, Zone } from "./zones-state";
import { cleanDataDir, DIR_MODE, dropUnlayableAssets, FILE_MODE, KV_DIR, lockDataDir, privateDir, referencedBlobs } from "./datadir";
import { KvData, type KvNamespaceRef, type KvWrite } from "./kv-data";

export type { CustomHostnameRecord, FallbackOriginRecord, WorkerDomain, WorkerRoute, Zone } from "./zones-state";
export * from "./state";

export class Store {
  state: State;
  /** The KV entries: in the data directory's database, or in memory. */
  readonly kv: KvData;
  /** Counts rollbacks: a request that saw it change cannot know its change was kept. */
  generation = 0;
  private readonly memBlobs = new Map<string, Buffer>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private dirty = false;
  private writing: Promise<void> | undefined;
  private tmpCounter = 0;
  private releaseLock: (() => void) | undefined;
  /** The text of the state last written (or read): what a rollback returns to. */
  private persisted: string | undefined;

  constructor(
    readonly dataDir?: string,
    warn: (message: string) => void = (m) => process.stderr.write(`wfp-emulator: ${m}\n`),
  ) {
    this.state = emptyState();
    if (!dataDir) {
      this.kv = new KvData();
      return;
    }
    privateDir(dataDir);
    this.releaseLock = lockDataDir(dataDir);
    let kv: KvData | undefined;
    try {
      kv = new KvData(join(dataDir, KV_DIR));
      this.kv = kv;
      const loaded = this.readState();
      if (loaded) this.state = loaded;
      if (this.moveLegacyKv()) this.writeStateNow();
      this.kv.retain((ns) => this.kvNamespace(ns) !== undefined);
      const dropped = dropUnlayableAssets(this.state);
      for (const problem of dropped) warn(problem);
      if (dropped.length) this.touch();
      cleanDataDir(dataDir, referencedBlobs(this.state));
    } catch (err) {
      void kv?.close(); // no write has started its thread yet: closed at once
      this.releaseLock();
      throw err;
    }
  }

  /** The persisted state, or undefined when there is none yet. */
  private readState(): State | undefined {
    const file = join(this.dataDir!, "state.json");
    if (!existsSync(file)) return undefined;
    this.persisted = readFileSync(file, "utf8");
    const loaded = JSON.parse(this.persisted) as State;
    if (loaded.version !== 1) throw new Error(`unsupported state version in ${file}`);
    return normalize(loaded);
  }

  /**
   * Moves the KV entries a state file of an earlier emulator holds into the KV database; true when there were any.
   * The database is committed before the state file loses them, so a crash in between only moves them again.
   */
  private moveLegacyKv(): boolean {
    let moved = false;
    for (const [account, acc] of Object.entries(this.state.accounts))
      for (const ns of Object.values(acc.kv ?? {}) as Array<KvNamespace & { entries?: Record<string, LegacyKvEntry> }>) {
        if (ns.entries === undefined) continue;
        const writes: KvWrite[] = Object.entries(ns.entries).map(([key, e]) => ({
          key,
          value: Buffer.from(e.value, "base64"),
          metadata: e.metadata,
          expiration: e.expiration,
        }));
        this.kv.putNow({ account, id: ns.id }, writes);
        delete ns.entries;
        moved = true;
      }
    return moved;
  }

  /** Closes the KV database (its writes committed) and releases the data directory's lock (state is flushed by the caller first). */
  async close(): Promise<void> {
    try {
      await this.kv?.close();
    } finally {
      this.releaseLock?.();
      this.releaseLock = undefined;
    }
  }

  get jwtSecret(): Buffer {
    return Buffer.from(this.state.jwtSecret, "base64");
  }

  account(id: string): Account {
    const key = id.toLowerCase();
    let acc = this.state.accounts[key];
    if (!acc) {
      acc = { namespaces: dict() };
      this.state.accounts[key] = acc;
    }
    return acc;
  }

  /** Finds a namespace by its name, the only way API paths address one. */
  findNamespace(accountId: string, name: string): Namespace | undefined {
    const acc = this.state.accounts[accountId.toLowerCase()];
    if (!acc) return undefined;
    return Object.values(acc.namespaces).find((ns) => ns.name === name);
  }

  /** The account-level Workers of an account, created on first use. */
  accountWorkers(accountId: string): ScriptContainer {
    const acc = this.account(accountId);
    acc.workers ??= { id: `account-${accountId.toLowerCase()}`, name: "", scripts: dict(), blobs: dict() };
    return acc.workers;
  }

  /** The zone with this id, or undefined. */
  zone(id: string): Zone | undefined {
    return this.state.zones[id];
  }

  /** The zone named `name` (lowercase) of an account, or undefined. */
  findZone(accountId: string, name: string): Zone | undefined {
    const acc = accountId.toLowerCase();
    return Object.values(this.state.zones).find((z) => z.account === acc && z.name === name);
  }

  /** The Workers custom domains of an account, created on first use. */
  accountDomains(accountId: string): Record<string, WorkerDomain> {
    const acc = this.account(accountId);
    acc.domains ??= dict();
    return acc.domains;
  }

  /** The KV namespaces of an account by id, created on first use. */
  kvNamespaces(accountId: string): Record<string, KvNamespace> {
    const acc = this.account(accountId);
    acc.kv ??= dict();
    return acc.kv;
  }

  /** The D1 databases of an account by uuid, created on first use. */
  d1Databases(accountId: string): Record<string, D1Database> {
    const acc = this.account(accountId);
    acc.d1 ??= dict();
    return acc.d1;
  }

  /** The R2 buckets of an account by `<jurisdiction>/<name>`, created on first use. */
  r2Buckets(accountId: string): Record<string, R2Bucket> {
    const acc = this.account(accountId);
    acc.r2 ??= dict();
    return acc.r2;
  }

  /** The KV namespace a database row names, or undefined. */
  kvNamespace(ref: KvNamespaceRef): KvNamespace | undefined {
    return this.state.accounts[ref.account]?.kv?.[ref.id];
  }

  /** A container by its id (upload sessions refer to one so). */
  containerById(accountId: string, id: string): ScriptContainer | undefined {
    const acc = this.state.accounts[accountId.toLowerCase()];
    if (acc?.workers?.id === id) return acc.workers;
    return acc?.namespaces[id];
  }

  /** Runs `fn` after every earlier `lock` call with the same key has settled. */
  async lock<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  // ---- blobs ----

  private blobPath(containerId: string, hash: string): string {
    return join(this.dataDir!, "blobs", containerId, hash);
  }

  /** Writes the bytes (to disk first when persistent); the caller records the BlobMeta afterwards. */
  async writeBlob(containerId: string, hash: string, data: Buffer): Promise<void> {
    if (!this.dataDir) {
      this.memBlobs.set(`${containerId}/${hash}`, data);
      return;
    }
    const dir = join(this.dataDir, "blobs", containerId);
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const tmp = join(dir, `.${hash}.${process.pid}.${this.tmpCounter++}.tmp`);
    await writeFile(tmp, data, { mode: FILE_MODE });
    await rename(tmp, this.blobPath(containerId, hash));
  }

  async readBlob(containerId: string, hash: string): Promise<Buffer | undefined> {
    if (!this.dataDir) return this.memBlobs.get(`${containerId}/${hash}`);
    try {
      return await readFile(this.blobPath(containerId, hash));
    } catch {
      return undefined;
    }
  }

  async dropNamespaceBlobs(containerId: string): Promise<void> {
    if (!this.dataDir) {
      for (const key of [...this.memBlobs.keys()]) if (key.startsWith(`${containerId}/`)) this.memBlobs.delete(key);
      return;
    }
    await rm(join(this.dataDir, "blobs", containerId), { recursive: true, force: true });
  }

  // ---- persistence ----

  /** Marks the state as changed; the server flushes it before answering the request. */
  touch(): void {
    this.dirty = true;
  }

  /**
   * Writes the state atomically if it changed; concurrent calls coalesce. No-op without a data directory. When the
   * write fails, the state in memory goes back to what is on disk (nothing half-applied) and every caller that was
   * waiting for it throws.
   */
  async flush(): Promise<void> {
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
      this.writing = Promise.resolve()
        .then(() => this.writeState())
        .catch((err: unknown) => {
          this.rollback();
          throw err;
        })
        .finally(() => {
          this.writing = undefined;
        });
    }
  }

  /** Puts the state back to the last one persisted (dataDir only), for a change that could not be written. */
  rollback(): void {
    if (!this.dataDir) return;
    const secret = this.state.jwtSecret;
    this.state = this.persisted ? normalize(JSON.parse(this.persisted) as State) : { ...emptyState(), jwtSecret: secret };
    this.dirty = false;
    this.generation++;
  }

  /** Whether a change is waiting to be persisted. */
  get changed(): boolean {
    return this.dirty;
  }

  /**
   * Writes state.json by a rename over it. The text and the temporary file are written synchronously: with all four
   * steps (open, write, close, rename) on the thread pool, each waited for a pool thread and then the event loop, and
   * under a tenant's KV writes another account's calls took 3-4x their time instead of 1.1-1.2x. The rename alone
   * goes to the thread pool: replacing a file makes the filesystem write the new one's data out first, which waits
   * behind a tenant's gigabyte of KV writes (tens of milliseconds), and the event loop serves every account meanwhile.
   */
  private async writeState(): Promise<void> {
    const { tmp, file, text } = this.stageState();
    try {
      await rename(tmp, file);
      this.persisted = text;
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** The same, all synchronous: at start, before anything is served. */
  private writeStateNow(): void {
    const { tmp, file, text } = this.stageState();
    try {
      renameSync(tmp, file);
      this.persisted = text;
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  private stageState(): { tmp: string; file: string; text: string } {
    const file = join(this.dataDir!, "state.json");
    const tmp = join(this.dataDir!, `.state.json.${process.pid}.${this.tmpCounter++}.tmp`);
    const text = JSON.stringify(this.state);
    try {
      writeFileSync(tmp, text, { mode: FILE_MODE });
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    return { tmp, file, text };
  }

  /** Empties all state (the JWT secret is kept) and deletes stored blobs and KV entries. */
  async reset(): Promise<void> {
    const secret = this.state.jwtSecret;
    this.state = { ...emptyState(), jwtSecret: secret };
    this.memBlobs.clear();
    await this.kv.clear();
    if (this.dataDir) {
      await rm(join(this.dataDir, "blobs"), { recursive: true, force: true });
      await mkdir(join(this.dataDir, "blobs"), { recursive: true, mode: DIR_MODE });
    }
    this.touch();
    await this.flush();
  }
}
