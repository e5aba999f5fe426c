/**
 * @module
 * What every route module receives: the store, the resolved options and the token signer, and what the runtime
 * lends the routes when it runs (validation, KV invalidation, cron runs, tails). Also the Hono env type.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TokenSigner } from "./jwt";
import type { ResolvedOptions } from "./options";
import type { ScheduledTarget, Script, Store } from "./model/store";
import type { D1QueryResult } from "../cloudflare/wire";

export interface EmulatorContext {
  store: Store;
  opts: ResolvedOptions;
  signer: TokenSigner;
  /** Refuses a Worker that would not start (throws an ApiError); set when uploads are validated by the runtime. */
  validateScript?: (script: Script) => Promise<void>;
  /** Called (and awaited) after an API write to a KV namespace (`<account>:<namespace id>`): the runtime drops its reads. */
  kvChanged?: (key: string) => Promise<void>;
  /** Runs a Worker's scheduled() now; set when the runtime serves the Workers. */
  scheduled?: (target: ScheduledTarget, cron: string, scheduledTime: number) => Promise<{ outcome: string; noRetry: boolean }>;
  /** The Workers' invocations as tail events; set when the runtime serves the Workers (its tail hub). */
  tail?: LiveTails;
  /** D1 and R2 data (Miniflare's, in the storage host): what the D1 query and R2 bucket routes need of it. */
  storage?: StorageBackend;
  /** Called after every request that may have changed state (the runtime reloads the Workers). */
  changeListeners: Array<() => void>;
}

/** One SQL statement and its bound values. */
export interface SqlStatement {
  sql: string;
  params?: unknown[];
}

/** A D1 query failed (SQL error): its message is the database's. */
export class D1QueryError extends Error {}

/** The data of D1 databases (by uuid) and R2 buckets (by storage key, see model/storage.ts), wherever it is kept. */
export interface StorageBackend {
  /**
   * Runs statements in one transaction; one result per statement (`objects`: rows as objects, `rows`: `{columns,
   * rows}`). Throws {@link D1QueryError} when one fails (nothing is kept).
   */
  d1Query(uuid: string, statements: SqlStatement[], format: "objects" | "rows"): Promise<D1QueryResult[]>;
  /** Empties a database about to be deleted (its schema and rows), so no data outlives it. */
  d1Drop(uuid: string): Promise<void>;
  /**
   * A REST object call on a bucket (`list`, `get`, `put`, `delete`; `key` and list options in `query`), answered as
   * the storage host answers it: JSON, or for `get` the object's bytes and headers (404 missing, 304 not modified).
   */
  r2Objects(
    key: string,
    op: "list" | "get" | "put" | "delete",
    query: Record<string, string>,
    init?: { headers?: Record<string, string>; body?: Buffer },
  ): Promise<Response>;
  /** Whether a bucket holds no object. */
  r2Empty(key: string): Promise<boolean>;
  /** Databases or buckets were created or deleted. */
  changed(): void;
  close(): Promise<void>;
  /** Drops all data (the operator's reset). */
  reset(): Promise<void>;
}

/** What the live tail endpoint needs of the runtime's tail hub: the events (Cloudflare tail events) it streams. */
export interface LiveTails {
  /** Returns the unsubscribe function. */
  subscribe(filter: { script?: string; tenant?: string; namespace?: string }, listener: (event: unknown) => void): () => void;
}

export type AppEnv = {
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  /** `withholdCompletionJwt`: set by a fault rule for this request. */
  Variables: { credential: string; userId: string; withholdCompletionJwt?: boolean };
};
