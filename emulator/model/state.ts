/**
 * @module
 * The emulator's state as it is kept and persisted (`state.json`): accounts, dispatch namespaces, scripts, blobs,
 * KV namespaces (their entries are in the KV database, kv-data.ts), upload sessions, zones (zones-state.ts); the helpers that make ids and timestamps; and the normalization that
 * makes every client-keyed map prototype-free when the state is read back. The Store (store.ts) holds and persists it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { WorkerDomain, Zone } from "./zones-state";

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
  /** Durable Object classes its migrations created, by class name; absent = none. */
  durable_objects?: Record<string, DurableObjectClass>;
  assets: ScriptAssets | null;
  handlers: string[];
  /** Metadata fields the emulator does not interpret, stored as sent. */
  extra: Record<string, unknown>;
  /** The workers.dev subdomain (account-level Workers only); absent = never set, both off. */
  subdomain?: { enabled: boolean; previews_enabled: boolean };
  /** Cron triggers (`.../schedules`); absent = none ever set. */
  schedules?: Schedule[];
}

/** A Durable Object class of a script: its namespace's id and whether it is SQLite-backed. */
export interface DurableObjectClass {
  id: string;
  sqlite: boolean;
}

export interface Schedule {
  cron: string;
  created_on: string;
  modified_on: string;
}

/** A Worker a cron fires: an account-level Worker (no namespace) or a namespace's user Worker. */
export interface ScheduledTarget {
  account: string;
  /** The namespace's name, absent for an account-level Worker. */
  namespace?: string;
  script: string;
}

export interface BlobMeta {
  size: number;
  /** The Content-Type of the uploaded part, or null when the part had none. */
  contentType: string | null;
  /** sha256 hex of the bytes (absent in blobs stored before it was kept: their bytes are read when needed). */
  digest?: string;
  /** The hash is the sha256 of the bytes (Cloudflare's documented scheme): any script of the container reuses it. */
  verified?: boolean;
  /** Of a hash the emulator cannot recompute (a salted one, wrangler's): the scripts that uploaded its bytes. */
  scripts?: string[];
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

/** A KV namespace; its entries are in the KV database (kv-data.ts). */
export interface KvNamespace {
  /** 32 hex characters, as Cloudflare's. */
  id: string;
  title: string;
  created_on: string;
}

/** A KV entry as state files of earlier emulators held it, under its namespace's `entries`: moved out at start. */
export interface LegacyKvEntry {
  /** Base64 of the bytes. */
  value: string;
  metadata?: unknown;
  expiration?: number;
}

/** A D1 database; its data is Miniflare's, in the storage host (runtime/storage.ts), under its uuid. */
export interface D1Database {
  uuid: string;
  name: string;
  created_at: string;
  jurisdiction: string | null;
  primary_location_hint?: string;
  read_replication: { mode: string };
}

/** An R2 bucket; its objects are Miniflare's, in the storage host, under {@link r2StorageKey}. */
export interface R2Bucket {
  name: string;
  jurisdiction: string;
  creation_date: string;
  location: string;
  storage_class: string;
}

export interface Account {
  namespaces: Record<string, Namespace>;
  /** Account-level Workers, created with the first one. */
  workers?: ScriptContainer;
  /** Workers custom domains by id. */
  domains?: Record<string, WorkerDomain>;
  /** KV namespaces by id, created with the first one. */
  kv?: Record<string, KvNamespace>;
  /** D1 databases by uuid, created with the first one. */
  d1?: Record<string, D1Database>;
  /** R2 buckets by `<jurisdiction>/<name>`, created with the first one. */
  r2?: Record<string, R2Bucket>;
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

export function emptyState(): State {
  return { version: 1, jwtSecret: randomBytes(32).toString("base64"), accounts: dict(), sessions: dict(), zones: dict() };
}

function withDicts(c: ScriptContainer): void {
  c.scripts = dict(c.scripts);
  c.blobs = dict(c.blobs);
  for (const s of Object.values(c.scripts)) s.extra = dict(s.extra);
}

/** Persisted state with every client-keyed map made prototype-free (JSON.parse gives plain objects). */
export function normalize(state: State): State {
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
    if (acc.d1) acc.d1 = dict(acc.d1);
    if (acc.r2) acc.r2 = dict(acc.r2);
    if (acc.kv) acc.kv = dict(acc.kv);
  }
  state.zones = dict(state.zones ?? {});
  for (const z of Object.values(state.zones)) {
    z.routes = dict(z.routes);
    z.custom_hostnames = dict(z.custom_hostnames);
    for (const ch of Object.values(z.custom_hostnames)) if (ch.custom_metadata) ch.custom_metadata = dict(ch.custom_metadata);
  }
  return state;
}
