/**
 * @module
 * The storage host: one workerd (a Miniflare instance of its own) that holds every D1 database and R2 bucket with
 * Miniflare's own D1 and R2, persisted under `<data-dir>/storage/` (in memory without a data dir). It alone opens
 * their files: the API's queries and the Workers' bindings, in whichever workerd they run, go through it (a Worker's
 * binding is a service binding of the runtime's storage link, workers/storage-link.mts, to {@link
 * StorageHost.serveBinding}), so both see the same data, and no two processes ever write one SQLite file. A second
 * Miniflare on the same persist directory would: Miniflare's D1 and R2 are Durable Objects on SQLite files that
 * assume one writer.
 *
 * Its config holds one binding per database and bucket (Miniflare's D1 and R2 bindings are fixed at start): a
 * create or delete restarts it (about a quarter of a second), after the calls in flight. Started at first use.
 */
import { createHash } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Miniflare, MiniflareOptions } from "miniflare";
import type { D1QueryResult } from "../../cloudflare/wire";
import { D1QueryError, type SqlStatement, type StorageBackend } from "../context";
import { DIR_MODE } from "../model/datadir";
import { r2StorageKey } from "../model/storage";
import type { Store } from "../model/store";
import { watchWorkerd } from "./watchdog";
import { RUNTIME_COMPATIBILITY_DATE } from "./worker-build";
import { workerdOutput } from "./workerd-output";
import { runtimeWorker } from "./worker-sources";

/** Set by the storage link on a binding's call: `d1:<uuid>` or `r2:<storage key>`, and the binding's account. */
export const TARGET_HEADER = "x-wfp-internal-storage-target";
export const ACCOUNT_HEADER = "x-wfp-internal-storage-account";

type Json = { r?: unknown; e?: string };

export class StorageHost implements StorageBackend {
  private mf: Miniflare | undefined;
  private fingerprint = "";
  private stale = true;
  private configuring: Promise<void> | undefined;
  private inflight = 0;
  private drained: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly dataDir?: string,
  ) {}

  changed(): void {
    this.stale = true;
  }

  private options(): MiniflareOptions {
    const d1: Record<string, string> = {};
    const r2: Record<string, string> = {};
    for (const [account, acc] of Object.entries(this.store.state.accounts)) {
      for (const db of Object.values(acc.d1 ?? {})) d1[`d1:${db.uuid}`] = db.uuid;
      for (const b of Object.values(acc.r2 ?? {})) {
        const key = r2StorageKey(account, b);
        r2[`r2:${key}`] = key;
      }
    }
    const persist = this.dataDir ? { d1Persist: join(this.dataDir, "storage", "d1"), r2Persist: join(this.dataDir, "storage", "r2") } : {};
    return {
      ...runtimeWorker("storage.mjs"),
      compatibilityDate: RUNTIME_COMPATIBILITY_DATE,
      d1Databases: d1,
      r2Buckets: r2,
      ...persist,
      // Its workerd has nothing to say to the user (errors come back in the answers); stdout stays the emulator's.
      handleRuntimeStdio: workerdOutput(false, undefined),
    } as MiniflareOptions;
  }

  private async configure(): Promise<void> {
    this.stale = false;
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
    const options = this.options();
    const fingerprint = createHash("sha256").update(JSON.stringify(options)).digest("hex");
    if (this.mf && fingerprint === this.fingerprint) return;
    try {
      if (this.dataDir) await mkdir(join(this.dataDir, "storage"), { recursive: true, mode: DIR_MODE });
      if (this.mf) await this.mf.setOptions(options);
      else {
        watchWorkerd();
        const { Miniflare } = await import("miniflare");
        const mf = new Miniflare(options);
        // One that never started takes no new options: the next call starts afresh.
        await mf.ready.catch(async (err: unknown) => {
          await mf.dispose().catch(() => undefined);
          throw err;
        });
        this.mf = mf;
      }
      this.fingerprint = fingerprint;
    } catch (err) {
      this.stale = true;
      throw err;
    }
  }

  /** Runs `fn` on the storage host as the store describes it, never during a restart. */
  private async use<T>(fn: (mf: Miniflare) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error("the storage host is closed");
    while (this.stale || this.configuring) {
      this.configuring ??= this.configure().finally(() => {
        this.configuring = undefined;
      });
      await this.configuring;
    }
    this.inflight++;
    try {
      return await fn(this.mf!);
    } finally {
      if (--this.inflight === 0) this.drained?.();
    }
  }

  private async call(path: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<Json> {
    return this.use(async (mf) => (await (await mf.dispatchFetch(`http://storage${path}`, init)).json()) as Json);
  }

  async d1Query(uuid: string, statements: SqlStatement[], format: "objects" | "rows"): Promise<D1QueryResult[]> {
    const resultsFormat = format === "rows" ? "ROWS_AND_COLUMNS" : "ARRAY_OF_OBJECTS";
    const out = (await this.call(`/d1/${encodeURIComponent(uuid)}/wire?resultsFormat=${resultsFormat}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(statements),
    })) as Json | Array<D1QueryResult>;
    if (!Array.isArray(out)) throw new D1QueryError((out as { error?: string }).error ?? out.e ?? "D1 query failed");
    return out.map((r) => ({
      results: r.results,
      meta: { ...r.meta, served_by_primary: true, timings: { sql_duration_ms: r.meta.duration } },
      success: r.success,
    }));
  }

  async d1Drop(uuid: string): Promise<void> {
    const [schema] = await this.d1Query(
      uuid,
      [
        {
          sql: "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
        },
      ],
      "objects",
    );
    const drops = ((schema?.results ?? []) as Array<{ type: string; name: string }>).map((o) => ({
      sql: `DROP ${o.type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${o.name.replace(/"/g, '""')}"`,
    }));
    if (drops.length) await this.d1Query(uuid, [{ sql: "PRAGMA defer_foreign_keys = ON" }, ...drops], "objects");
  }

  async r2Empty(key: string): Promise<boolean> {
    const out = await this.call(`/r2/${encodeURIComponent(key)}/empty`, { method: "GET" });
    if (out.e !== undefined) throw new Error(out.e);
    return out.r === true;
  }

  async r2Objects(
    key: string,
    op: "list" | "get" | "put" | "delete",
    query: Record<string, string>,
    init: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const search = new URLSearchParams(query).toString();
    return this.use(async (mf) => {
      const r = await mf.dispatchFetch(`http://storage/r2/${encodeURIComponent(key)}/api${op}?${search}`, {
        method: "POST",
        headers: init.headers ?? {},
        body: init.body,
      });
      return r as unknown as Response;
    });
  }

  /** Whether the account has the database or bucket a binding's call names (it may be gone since the upload). */
  private owns(account: string, target: string): boolean {
    const acc = this.store.state.accounts[account];
    const [kind, ...rest] = target.split(":");
    const id = rest.join(":");
    if (kind === "d1") return Object.hasOwn(acc?.d1 ?? {}, id);
    return kind === "r2" && Object.entries(acc?.r2 ?? {}).some(([, b]) => r2StorageKey(account, b) === id);
  }

  /** A storage binding's call, from the runtime's storage link: to its own account's database or bucket only. */
  async serveBinding(request: Request): Promise<Response> {
    const target = request.headers.get(TARGET_HEADER) ?? "";
    const account = request.headers.get(ACCOUNT_HEADER) ?? "";
    const op = new URL(request.url).pathname.slice(1);
    if (!this.owns(account, target) || !/^[a-z]+$/.test(op)) {
      const what = target.startsWith("d1:") ? `D1 database ${target.slice(3)}` : `R2 bucket ${target.split("/").pop()}`;
      return Response.json({ e: `${what} does not exist (deleted since this Worker was uploaded?)` });
    }
    const [kind, ...rest] = target.split(":");
    const headers: Record<string, string> = {};
    for (const name of ["x-wfp-r2", "x-wfp-r2-null", "content-type"]) {
      const v = request.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    const body = request.method === "GET" ? undefined : Buffer.from(await request.arrayBuffer());
    return this.use(async (mf) => {
      const r = await mf.dispatchFetch(`http://storage/${kind}/${encodeURIComponent(rest.join(":"))}/${op}`, {
        method: request.method,
        headers,
        body,
      });
      return r as unknown as Response;
    });
  }

  async reset(): Promise<void> {
    await this.close();
    this.closed = false;
    this.stale = true;
    if (this.dataDir) await rm(join(this.dataDir, "storage"), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.configuring?.catch(() => undefined);
    const mf = this.mf;
    this.mf = undefined;
    this.fingerprint = "";
    await mf?.dispose().catch(() => undefined);
  }
}
