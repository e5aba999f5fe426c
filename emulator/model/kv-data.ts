/**
 * @module
 * Workers KV entries (values, metadata, expirations) in embedded SQLite databases through `node:sqlite`, one per
 * account: `kvdb/<account id>.sqlite` in the data directory, or in memory without one. Each write is one
 * transaction, committed (WAL) before its request is answered, on the account's own writer thread: no value goes
 * through the state file, and a tenant's large values hold neither another account's writes (another database,
 * another thread) nor the emulator's event loop.
 *
 * Keys are stored as their UTF-8 bytes, so SQLite's order is Cloudflare's (byte order). The value is the row's last
 * column: lookups and listings read only the first page of a row, never a large value's overflow pages.
 */
import { closeSync, existsSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import { ACCOUNT_ID_RE } from "../../cloudflare/names";
import { FILE_MODE, privateDir } from "./datadir";

export interface KvEntry {
  value: Buffer;
  metadata?: unknown;
  /** Seconds since the epoch. */
  expiration?: number;
}

export interface KvWrite {
  key: string;
  /** Handed over: the bytes move to the writer thread (the Buffer is left empty when it held them alone). */
  value: Buffer;
  metadata: unknown;
  expiration: number | undefined;
}

export interface KvListed {
  name: string;
  metadata?: unknown;
  expiration?: number;
}

/** An account's namespace. */
export interface KvNamespaceRef {
  account: string;
  id: string;
}

const SCHEMA_VERSION = 1;
const SUFFIX = ".sqlite";

/** Above any stored key (UTF-8 has no 0xFF byte): the end of a prefix's range. */
const BEYOND = 0xff;

/**
 * Set on every connection. `synchronous=NORMAL` with WAL: a commit is in the WAL file before the write is answered,
 * so it survives the emulator's crash (kill -9), as `state.json` does; not a power loss (no fsync per write, as
 * `state.json` has none), which would make one tenant's large fsyncs every account's.
 */
const PRAGMAS = [
  "PRAGMA busy_timeout = 10000",
  "PRAGMA synchronous = NORMAL",
  // Bounds the WAL's size on disk after a large value's commit; checkpoints keep it reused meanwhile.
  "PRAGMA journal_size_limit = 67108864",
];

type Sqlite = typeof import("node:sqlite");

let sqlite: Sqlite | undefined;

/**
 * `node:sqlite` without its ExperimentalWarning (Node 22 prints it once, when the module loads): that warning is
 * about the API, not something an emulator user can act on. Every other warning is left as it is.
 */
export function loadSqlite(): Sqlite {
  if (sqlite) return sqlite;
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/^SQLite is an experimental feature/.test(text)) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    sqlite = process.getBuiltinModule("node:sqlite");
  } finally {
    process.emitWarning = emit;
  }
  return sqlite;
}

const keyBytes = (key: string): Buffer => Buffer.from(key, "utf8");
const keyText = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");

/** A write as it crosses to the writer thread: key as text, metadata as JSON text, the value's bytes alone. */
type WireWrite = [key: string, expiration: number | null, metadata: string | null, value: Uint8Array];

/**
 * The writes on a connection, each one transaction. Self-contained (no name from outside but `Buffer`): the writer
 * thread runs it from its source text.
 */
function writeOps(db: DatabaseSync) {
  const put = db.prepare(
    "INSERT OR REPLACE INTO kv_entries (namespace, key, expiration, metadata, value) VALUES (:namespace, :key, :expiration, :metadata, :value)",
  );
  const del = db.prepare("DELETE FROM kv_entries WHERE namespace = :namespace AND key = :key");
  const dropExpired = db.prepare("DELETE FROM kv_entries WHERE namespace = :namespace AND key = :key AND expiration <= :now");
  const dropNamespace = db.prepare("DELETE FROM kv_entries WHERE namespace = :namespace");
  const clear = db.prepare("DELETE FROM kv_entries");
  const transaction = <T>(fn: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      db.exec("COMMIT");
      return out;
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  };
  return {
    put(namespace: string, writes: WireWrite[]): void {
      transaction(() => {
        for (const [key, expiration, metadata, value] of writes)
          put.run({ namespace, key: Buffer.from(key, "utf8"), expiration, metadata, value });
      });
    },
    delete(namespace: string, keys: string[]): number {
      return transaction(() => {
        let removed = 0;
        for (const key of keys) removed += Number(del.run({ namespace, key: Buffer.from(key, "utf8") }).changes);
        return removed;
      });
    },
    dropExpired(namespace: string, key: string, now: number): void {
      dropExpired.run({ namespace, key: Buffer.from(key, "utf8"), now });
    },
    dropNamespaces(namespaces: string[]): void {
      transaction(() => {
        for (const namespace of namespaces) dropNamespace.run({ namespace });
      });
    },
    clear(): void {
      clear.run();
    },
  };
}

type WriteOps = ReturnType<typeof writeOps>;
type WriteOp = keyof WriteOps;

/**
 * A writer thread: its own connection, the operations of {@link writeOps} in the order they were sent, answered one
 * by one. node:sqlite's ExperimentalWarning is left out here too.
 */
const WRITER_THREAD = `
  const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
  const emit = process.emitWarning;
  process.emitWarning = (w, ...rest) => /^SQLite is an experimental feature/.test(typeof w === "string" ? w : w.message) ? undefined : emit.call(process, w, ...rest);
  const { DatabaseSync } = process.getBuiltinModule("node:sqlite");
  process.emitWarning = emit;
  const db = new DatabaseSync(workerData.file);
  for (const pragma of workerData.pragmas) db.exec(pragma);
  const ops = (${writeOps.toString()})(db);
  parentPort.on("message", ({ id, op, args }) => {
    if (op === "close") {
      db.close();
      parentPort.postMessage({ id });
      parentPort.close();
      return;
    }
    try {
      parentPort.postMessage({ id, result: ops[op](...args) });
    } catch (err) {
      parentPort.postMessage({ id, error: String((err && err.message) || err) });
    }
  });
`;

/** The value's bytes, to hand over: its own ArrayBuffer when it holds one alone, else a copy (never a shared pool). */
const own = (b: Buffer): Uint8Array => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b));

const wire = (w: KvWrite): WireWrite => [
  w.key,
  w.expiration ?? null,
  w.metadata === undefined ? null : JSON.stringify(w.metadata),
  own(w.value),
];

interface Row {
  key: Uint8Array;
  expiration: number | null;
  metadata: string | null;
  value: Uint8Array;
}

/**
 * One account's database. Reads are synchronous, on this thread's connection. With a file, writes go to the
 * account's writer thread (started at its first write) and resolve once committed; in memory, they run here. At
 * start, {@link AccountKv.putNow} and {@link AccountKv.retain} write here too, before any request.
 */
class AccountKv {
  private readonly db: DatabaseSync;
  private readonly local: WriteOps;
  private readonly read: Record<"get" | "list" | "keys" | "namespaces", StatementSync>;
  private thread: Worker | undefined;
  private closed = false;
  private readonly pending = new Map<number, { thread: Worker; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  /** `file` undefined: in memory. A new file is created 0600 (SQLite gives its WAL the database's mode). */
  constructor(private readonly file?: string) {
    const { DatabaseSync } = loadSqlite();
    if (file !== undefined && !existsSync(file)) closeSync(openSync(file, "a", FILE_MODE));
    this.db = new DatabaseSync(file ?? ":memory:");
    if (file !== undefined) {
      // For a new file: 16 KiB pages halve the kernel's time writing a large value (measured against 4 KiB).
      this.db.exec("PRAGMA page_size = 16384");
      this.db.exec("PRAGMA journal_mode = WAL");
    }
    for (const pragma of PRAGMAS) this.db.exec(pragma);
    const version = (this.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) throw new Error(`${file}: KV database of a newer emulator (schema ${version})`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS kv_entries (
      namespace TEXT NOT NULL,
      key BLOB NOT NULL,
      expiration INTEGER,
      metadata TEXT,
      value BLOB NOT NULL,
      PRIMARY KEY (namespace, key)
    )`);
    this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    this.local = writeOps(this.db);
    this.read = {
      get: this.db.prepare("SELECT expiration, metadata, value FROM kv_entries WHERE namespace = :namespace AND key = :key"),
      list: this.db.prepare(
        `SELECT key, expiration, metadata FROM kv_entries WHERE namespace = :namespace AND key >= :from AND key > :after
         AND key < :to AND (expiration IS NULL OR expiration > :now) ORDER BY key LIMIT :limit`,
      ),
      keys: this.db.prepare("SELECT key FROM kv_entries WHERE namespace = :namespace ORDER BY key"),
      namespaces: this.db.prepare("SELECT DISTINCT namespace FROM kv_entries"),
    };
  }

  get(namespace: string, key: string, nowSeconds: number): KvEntry | undefined {
    const row = this.read.get.get({ namespace, key: keyBytes(key) }) as Omit<Row, "key"> | undefined;
    if (!row) return undefined;
    if (row.expiration !== null && row.expiration <= nowSeconds) {
      this.write("dropExpired", [namespace, key, nowSeconds]).catch(() => undefined); // met again next time
      return undefined;
    }
    const e: KvEntry = { value: Buffer.from(row.value.buffer, row.value.byteOffset, row.value.byteLength) };
    if (row.metadata !== null) e.metadata = JSON.parse(row.metadata);
    if (row.expiration !== null) e.expiration = row.expiration;
    return e;
  }

  list(
    namespace: string,
    prefix: string,
    limit: number,
    after: string | undefined,
    nowSeconds: number,
  ): { keys: KvListed[]; more: boolean } {
    const from = keyBytes(prefix);
    const rows = this.read.list.all({
      namespace,
      from,
      after: after === undefined ? Buffer.alloc(0) : keyBytes(after),
      to: Buffer.concat([from, Buffer.of(BEYOND)]),
      now: nowSeconds,
      limit: limit + 1,
    }) as unknown as Array<Omit<Row, "value">>;
    const keys = rows.slice(0, limit).map((row) => {
      const info: KvListed = { name: keyText(row.key) };
      if (row.expiration !== null) info.expiration = row.expiration;
      if (row.metadata !== null) info.metadata = JSON.parse(row.metadata);
      return info;
    });
    return { keys, more: rows.length > limit };
  }

  keys(namespace: string): string[] {
    return (this.read.keys.all({ namespace }) as unknown as Array<Pick<Row, "key">>).map((r) => keyText(r.key));
  }

  putNow(namespace: string, writes: readonly KvWrite[]): void {
    this.local.put(namespace, writes.map(wire));
  }

  retain(keep: (namespace: string) => boolean): void {
    const stored = (this.read.namespaces.all() as unknown as Array<{ namespace: string }>).map((r) => r.namespace);
    this.local.dropNamespaces(stored.filter((ns) => !keep(ns)));
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    this.closed = true;
    if (thread) {
      await this.post(thread, "close", []).catch(() => undefined);
      await thread.terminate();
    }
    try {
      this.db.close();
    } catch {
      // closed already
    }
  }

  write<Op extends WriteOp>(op: Op, args: Parameters<WriteOps[Op]>): Promise<ReturnType<WriteOps[Op]>> {
    if (this.file === undefined) {
      try {
        return Promise.resolve((this.local[op] as (...a: unknown[]) => ReturnType<WriteOps[Op]>)(...args));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.closed) return Promise.reject(new Error("the KV database is closed"));
    return this.post(this.writer(), op, args) as Promise<ReturnType<WriteOps[Op]>>;
  }

  private post(thread: Worker, op: string, args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    // A value's bytes move rather than being copied: a large one costs this thread nothing to send.
    const transfer = op === "put" ? [...new Set((args[1] as WireWrite[]).map((w) => w[3].buffer as ArrayBuffer))] : [];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { thread, resolve, reject });
      try {
        thread.postMessage({ id, op, args }, transfer);
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  private writer(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(WRITER_THREAD, { eval: true, workerData: { file: this.file, pragmas: PRAGMAS } });
    thread.unref(); // what it was sent is acknowledged only once committed: nothing is lost if the process ends
    thread.on("message", ({ id, result, error }: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (error === undefined) p?.resolve(result);
      else p?.reject(new Error(`KV database: ${error}`));
    });
    // A thread that dies fails what it was sent (not committed, or not known to be); the next write starts another.
    const fail = (err: Error): void => {
      if (this.thread === thread) this.thread = undefined;
      for (const [id, p] of this.pending)
        if (p.thread === thread) {
          this.pending.delete(id);
          p.reject(err);
        }
    };
    thread.on("error", fail);
    thread.on("exit", () => fail(new Error("the KV database's writer thread stopped")));
    this.thread = thread;
    return thread;
  }
}

/**
 * The KV entries of every account: `dir` holds one database per account (opened at start, or at the account's first
 * write), or, undefined, each is in memory. Reading an account that has none answers nothing and creates none.
 */
export class KvData {
  private readonly accounts = new Map<string, AccountKv>();
  private closed = false;

  constructor(private readonly dir?: string) {
    if (dir === undefined) return;
    privateDir(dir);
    for (const name of readdirSync(dir)) {
      const account = name.slice(0, -SUFFIX.length);
      if (name.endsWith(SUFFIX) && ACCOUNT_ID_RE.test(account)) this.accounts.set(account, new AccountKv(join(dir, name)));
    }
  }

  private account(account: string, create: boolean): AccountKv | undefined {
    let db = this.accounts.get(account);
    if (db || !create) return db;
    if (this.closed) throw new Error("the KV database is closed");
    // Account ids are 32 hex characters (the API refuses others): a file name, never a path.
    if (!ACCOUNT_ID_RE.test(account)) throw new Error(`KV database: not an account id: ${JSON.stringify(account)}`);
    db = new AccountKv(this.dir === undefined ? undefined : join(this.dir, `${account.toLowerCase()}${SUFFIX}`));
    this.accounts.set(account, db);
    return db;
  }

  /** The live entry of a key, or undefined; an expired one is deleted when met. */
  get(ns: KvNamespaceRef, key: string, nowSeconds: number): KvEntry | undefined {
    return this.account(ns.account, false)?.get(ns.id, key, nowSeconds);
  }

  /** Writes every entry in one transaction: all or none. Takes the values' bytes (see {@link KvWrite.value}). */
  async put(ns: KvNamespaceRef, writes: readonly KvWrite[]): Promise<void> {
    await this.account(ns.account, true)!.write("put", [ns.id, writes.map(wire)]);
  }

  /** Deletes the keys in one transaction; resolves to how many were there. */
  async delete(ns: KvNamespaceRef, keys: readonly string[]): Promise<number> {
    return (await this.account(ns.account, false)?.write("delete", [ns.id, [...keys]])) ?? 0;
  }

  /**
   * Up to `limit` live keys starting with `prefix`, after `after` (exclusive), in byte order; `more` when there
   * are others after them.
   */
  list(
    ns: KvNamespaceRef,
    prefix: string,
    limit: number,
    after: string | undefined,
    nowSeconds: number,
  ): { keys: KvListed[]; more: boolean } {
    return this.account(ns.account, false)?.list(ns.id, prefix, limit, after, nowSeconds) ?? { keys: [], more: false };
  }

  /** Every stored key of a namespace, expired ones included (for the operator's snapshot). */
  keys(ns: KvNamespaceRef): string[] {
    return this.account(ns.account, false)?.keys(ns.id) ?? [];
  }

  async dropNamespace(ns: KvNamespaceRef): Promise<void> {
    await this.account(ns.account, false)?.write("dropNamespaces", [[ns.id]]);
  }

  async clear(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((db) => db.write("clear", [])));
  }

  /** At start, before any request: writes on this thread. */
  putNow(ns: KvNamespaceRef, writes: readonly KvWrite[]): void {
    this.account(ns.account, true)!.putNow(ns.id, writes);
  }

  /** At start: deletes the entries of every namespace `keep` rejects (namespaces deleted while the emulator stopped). */
  retain(keep: (ns: KvNamespaceRef) => boolean): void {
    for (const [account, db] of this.accounts) db.retain((id) => keep({ account, id }));
  }

  /** Closes every database once the writes sent before are committed. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.accounts.values()];
    this.accounts.clear();
    await Promise.all(all.map((db) => db.close()));
  }
}
