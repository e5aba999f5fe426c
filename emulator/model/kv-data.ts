/**
 * @module
 * Workers KV entries (values, metadata, expirations) in an embedded SQLite database through `node:sqlite`:
 * `kv.sqlite` in the data directory, or in memory without one. Each write is one transaction committed before it
 * returns (WAL, `synchronous=FULL`: an acknowledged write survives a crash), so no value goes through the state file
 * and a tenant's large values cost other accounts' requests nothing but the disk time of their own writes.
 *
 * Keys are stored as their UTF-8 bytes, so SQLite's order is Cloudflare's (byte order). The value is the row's last
 * column: lookups and listings read only the first page of a row, never a large value's overflow pages.
 */
import { closeSync, existsSync, openSync } from "node:fs";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { FILE_MODE } from "./datadir";

export interface KvEntry {
  value: Buffer;
  metadata?: unknown;
  /** Seconds since the epoch. */
  expiration?: number;
}

export interface KvWrite {
  key: string;
  value: Buffer;
  metadata: unknown;
  expiration: number | undefined;
}

export interface KvListed {
  name: string;
  metadata?: unknown;
  expiration?: number;
}

/** An account's namespace: the rows' first two columns. */
export interface KvNamespaceRef {
  account: string;
  id: string;
}

const SCHEMA_VERSION = 1;

/** Above any stored key (UTF-8 has no 0xFF byte): the end of a prefix's range. */
const BEYOND = 0xff;

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

interface Row {
  key: Uint8Array;
  expiration: number | null;
  metadata: string | null;
  value: Uint8Array;
}

export class KvData {
  private readonly db: DatabaseSync;
  private readonly stmt: Record<
    "get" | "put" | "del" | "dropExpired" | "list" | "keys" | "dropNamespace" | "namespaces" | "clear",
    StatementSync
  >;

  /** `file` undefined: in memory. A new file is created 0600 (SQLite gives its WAL the database's mode). */
  constructor(file?: string) {
    const { DatabaseSync } = loadSqlite();
    if (file !== undefined && !existsSync(file)) closeSync(openSync(file, "a", FILE_MODE));
    this.db = new DatabaseSync(file ?? ":memory:");
    if (file !== undefined) {
      this.db.exec("PRAGMA journal_mode = WAL");
      // Bounds the WAL's size on disk after a large value's commit; checkpoints keep it reused meanwhile.
      this.db.exec("PRAGMA journal_size_limit = 67108864");
    }
    this.db.exec("PRAGMA synchronous = FULL");
    const version = (this.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) throw new Error(`${file}: KV database of a newer emulator (schema ${version})`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS kv_entries (
      account TEXT NOT NULL,
      namespace TEXT NOT NULL,
      key BLOB NOT NULL,
      expiration INTEGER,
      metadata TEXT,
      value BLOB NOT NULL,
      PRIMARY KEY (account, namespace, key)
    )`);
    this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    const where = "account = :account AND namespace = :namespace";
    this.stmt = {
      get: this.db.prepare(`SELECT expiration, metadata, value FROM kv_entries WHERE ${where} AND key = :key`),
      put: this.db.prepare(
        "INSERT OR REPLACE INTO kv_entries (account, namespace, key, expiration, metadata, value) VALUES (:account, :namespace, :key, :expiration, :metadata, :value)",
      ),
      del: this.db.prepare(`DELETE FROM kv_entries WHERE ${where} AND key = :key`),
      dropExpired: this.db.prepare(`DELETE FROM kv_entries WHERE ${where} AND key = :key AND expiration <= :now`),
      list: this.db.prepare(
        `SELECT key, expiration, metadata FROM kv_entries WHERE ${where} AND key >= :from AND key > :after AND key < :to
         AND (expiration IS NULL OR expiration > :now) ORDER BY key LIMIT :limit`,
      ),
      keys: this.db.prepare(`SELECT key FROM kv_entries WHERE ${where} ORDER BY key`),
      dropNamespace: this.db.prepare(`DELETE FROM kv_entries WHERE ${where}`),
      namespaces: this.db.prepare("SELECT DISTINCT account, namespace FROM kv_entries"),
      clear: this.db.prepare("DELETE FROM kv_entries"),
    };
  }

  /** The live entry of a key, or undefined; an expired one is deleted when met. */
  get(ns: KvNamespaceRef, key: string, nowSeconds: number): KvEntry | undefined {
    const at = { account: ns.account, namespace: ns.id, key: keyBytes(key) };
    const row = this.stmt.get.get(at) as Omit<Row, "key"> | undefined;
    if (!row) return undefined;
    if (row.expiration !== null && row.expiration <= nowSeconds) {
      this.stmt.dropExpired.run({ ...at, now: nowSeconds });
      return undefined;
    }
    const e: KvEntry = { value: Buffer.from(row.value.buffer, row.value.byteOffset, row.value.byteLength) };
    if (row.metadata !== null) e.metadata = JSON.parse(row.metadata);
    if (row.expiration !== null) e.expiration = row.expiration;
    return e;
  }

  /** Writes every entry in one transaction: all or none. */
  put(ns: KvNamespaceRef, writes: readonly KvWrite[]): void {
    this.transaction(() => {
      for (const w of writes)
        this.stmt.put.run({
          account: ns.account,
          namespace: ns.id,
          key: keyBytes(w.key),
          expiration: w.expiration ?? null,
          metadata: w.metadata === undefined ? null : JSON.stringify(w.metadata),
          value: w.value,
        });
    });
  }

  /** Deletes the keys in one transaction; returns how many were there. */
  delete(ns: KvNamespaceRef, keys: readonly string[]): number {
    let removed = 0;
    this.transaction(() => {
      for (const key of keys) removed += Number(this.stmt.del.run({ account: ns.account, namespace: ns.id, key: keyBytes(key) }).changes);
    });
    return removed;
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
    const from = keyBytes(prefix);
    const rows = this.stmt.list.all({
      account: ns.account,
      namespace: ns.id,
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

  /** Every stored key of a namespace, expired ones included (for the operator's snapshot). */
  keys(ns: KvNamespaceRef): string[] {
    return (this.stmt.keys.all({ account: ns.account, namespace: ns.id }) as unknown as Array<Pick<Row, "key">>).map((r) => keyText(r.key));
  }

  dropNamespace(ns: KvNamespaceRef): void {
    this.stmt.dropNamespace.run({ account: ns.account, namespace: ns.id });
  }

  /** Deletes the entries of every namespace `keep` rejects (namespaces deleted while the emulator stopped). */
  retain(keep: (ns: KvNamespaceRef) => boolean): void {
    const stored = this.stmt.namespaces.all() as unknown as Array<{ account: string; namespace: string }>;
    const gone = stored.map((r) => ({ account: r.account, id: r.namespace })).filter((ns) => !keep(ns));
    this.transaction(() => {
      for (const ns of gone) this.dropNamespace(ns);
    });
  }

  clear(): void {
    this.stmt.clear.run();
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }

  private transaction(fn: () => void): void {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.db.exec("COMMIT");
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }
}
