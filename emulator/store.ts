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
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { WorkerDomain, Zone } from "./zones-state";
import { cleanDataDir, DIR_MODE, dropUnlayableAssets, FILE_MODE, lockDataDir, privateDir, referencedBlobs } from "./datadir";

export type { CustomHostnameRecord, FallbackOriginRecord, WorkerDomain, WorkerRoute, Zone } from "./zones-state";

export interface Binding {
  name: string;
  type: string;
  [key: string]: unknown;
}

export interface Module {
  name: string;
  /** The part's Content-Type, verbatim. */
  type: string;
  /** Base64 of the bytes. */
  data: string;
}

export interface AssetEntry {
  hash: string;
  size: number;
}

export interface ScriptAssets {
  manifest: Record<string, AssetEntry>;
  config: Record<string, unknown> | null;
}

export interface Script {
  name: string;
  /** Immutable 32-hex id, kept across re-uploads. */
  tag: string;
  created_on: string;
  modified_on: string;
  etag: string;
  modules: Module[];
  main_module?: string;
  body_part?: string;
  /** Bindings, secret values included (never returned by the API). */
  bindings: Binding[];
  tags: string[];
  compatibility_date: string;
  compatibility_flags: string[];
  usage_model: string;
  limits?: unknown;
  logpush: boolean;
  observability: unknown;
  placement: unknown;
  tail_consumers: unknown;
  migration_tag?: string;
  assets: ScriptAssets | null;
  handlers: string[];
  /** Metadata fields the emulator does not interpret, stored as sent. */
  extra: Record<string, unknown>;
  /** The workers.dev subdomain (account-level Workers only); absent = never set, both off. */
  subdomain?: { enabled: boolean; previews_enabled: boolean };
  /** Cron triggers (`.../schedules`); absent = none ever set. */
  schedules?: Schedule[];
}

export interface Schedule {
  cron: string;
  created_on: string;
  modified_on: string;
}

export interface BlobMeta {
  size: number;
  /** The Content-Type of the uploaded part, or null when the part had none. */
  contentType: string | null;
}

/** What holds scripts and their asset blobs: a dispatch namespace, or the account itself (account-level Workers). */
export interface ScriptContainer {
  /** A namespace's UUID, or `account-<account id>`: the key of locks, blob directories and upload sessions. */
  id: string;
  /** The namespace name; "" for the account. */
  name: string;
  scripts: Record<string, Script>;
  /** Asset contents known to this container (dedupe scope is account + container). */
  blobs: Record<string, BlobMeta>;
}

export interface Namespace extends ScriptContainer {
  trusted_workers: boolean;
  created_on: string;
  created_by: string;
  modified_on: string;
  modified_by: string;
}

/** A KV value: its bytes (base64), optional metadata, and expiry in seconds since the epoch. */
export interface KvEntry {
  value: string;
  metadata?: unknown;
  expiration?: number;
}

export interface KvNamespace {
  /** 32 hex characters, as Cloudflare's. */
  id: string;
  title: string;
  created_on: string;
  /** Key → entry; expired entries are dropped when met. */
  entries: Record<string, KvEntry>;
}

export interface Account {
  namespaces: Record<string, Namespace>;
  /** Account-level Workers, created with the first one. */
  workers?: ScriptContainer;
  /** Workers custom domains by id. */
  domains?: Record<string, WorkerDomain>;
  /** KV namespaces by id, created with the first one. */
  kv?: Record<string, KvNamespace>;
}

export interface UploadSession {
  id: string;
  account: string;
  /** The script container's id: a namespace's, or the account's for an account-level Worker. */
  containerId: string;
  script: string;
  manifest: Record<string, AssetEntry>;
  /** Hashes that were bucketed (missing from the namespace when the session was opened). */
  pending: string[];
  /** Expiry in ms since the epoch (same as the JWT's). */
  expiresAt: number;
}

export interface State {
  version: 1;
  /** Base64 HS256 secret for asset JWTs; persisted so tokens survive a restart. */
  jwtSecret: string;
  accounts: Record<string, Account>;
  sessions: Record<string, UploadSession>;
  /** Zones by id (zone paths name no account). Absent in state written before zones. */
  zones: Record<string, Zone>;
}

/** RFC 3339 with microseconds, as Cloudflare prints timestamps. */
export function timestamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function newTag(): string {
  return randomBytes(16).toString("hex");
}

export function newUuid(): string {
  return randomUUID();
}

/**
 * A map keyed by names clients choose (scripts, accounts, sessions, metadata keys): no prototype, so `constructor`
 * or `__proto__` are ordinary keys, never Object's own properties.
 */
export function dict<T>(entries?: Record<string, T>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (entries) for (const [k, v] of Object.entries(entries)) out[k] = v;
  return out;
}

function emptyState(): State {
  return { version: 1, jwtSecret: randomBytes(32).toString("base64"), accounts: dict(), sessions: dict(), zones: dict() };
}

function withDicts(c: ScriptContainer): void {
  c.scripts = dict(c.scripts);
  c.blobs = dict(c.blobs);
  for (const s of Object.values(c.scripts)) s.extra = dict(s.extra);
}

/** Persisted state with every client-keyed map made prototype-free (JSON.parse gives plain objects). */
function normalize(state: State): State {
  state.accounts = dict(state.accounts);
  state.sessions = dict(state.sessions);
  // Sessions stored when the container id was called namespaceId.
  for (const s of Object.values(state.sessions) as Array<UploadSession & { namespaceId?: string }>) {
    if (s.containerId !== undefined || s.namespaceId === undefined) continue;
    s.containerId = s.namespaceId;
    delete s.namespaceId;
  }
  for (const acc of Object.values(state.accounts)) {
    acc.namespaces = dict(acc.namespaces);
    for (const ns of Object.values(acc.namespaces)) withDicts(ns);
    if (acc.workers) withDicts(acc.workers);
    if (acc.domains) acc.domains = dict(acc.domains);
    if (acc.kv) {
      acc.kv = dict(acc.kv);
      for (const kv of Object.values(acc.kv)) kv.entries = dict(kv.entries);
    }
  }
  state.zones = dict(state.zones ?? {});
  for (const z of Object.values(state.zones)) {
    z.routes = dict(z.routes);
    z.custom_hostnames = dict(z.custom_hostnames);
    for (const ch of Object.values(z.custom_hostnames)) if (ch.custom_metadata) ch.custom_metadata = dict(ch.custom_metadata);
  }
  return state;
}

export class Store {
  state: State;
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
    if (!dataDir) return;
    privateDir(dataDir);
    this.releaseLock = lockDataDir(dataDir);
    try {
      const loaded = this.readState();
      if (loaded) this.state = loaded;
      const dropped = dropUnlayableAssets(this.state);
      for (const problem of dropped) warn(problem);
      if (dropped.length) this.touch();
      cleanDataDir(dataDir, referencedBlobs(this.state));
    } catch (err) {
      this.close();
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

  /** Releases the data directory's lock (state is flushed by the caller first). */
  close(): void {
    this.releaseLock?.();
    this.releaseLock = undefined;
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
      this.writing = this.writeState()
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

  private async writeState(): Promise<void> {
    const file = join(this.dataDir!, "state.json");
    const tmp = join(this.dataDir!, `.state.json.${process.pid}.${this.tmpCounter++}.tmp`);
    try {
      const text = JSON.stringify(this.state);
      await writeFile(tmp, text, { mode: FILE_MODE });
      await rename(tmp, file);
      this.persisted = text;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Empties all state (the JWT secret is kept) and deletes stored blobs. */
  async reset(): Promise<void> {
    const secret = this.state.jwtSecret;
    this.state = { ...emptyState(), jwtSecret: secret };
    this.memBlobs.clear();
    if (this.dataDir) {
      await rm(join(this.dataDir, "blobs"), { recursive: true, force: true });
      await mkdir(join(this.dataDir, "blobs"), { recursive: true, mode: DIR_MODE });
    }
    this.touch();
    await this.flush();
  }
}
