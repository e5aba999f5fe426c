/**
 * @module
 * Runs the deployed Workers on workerd through Miniflare (`workersPort`) and validates uploads (`validateUploads`,
 * on by default): Miniflare is imported at the first upload or at start with a port, never with neither.
 *
 * - Two Miniflare instances hold the Workers: the account-level Workers in one, the namespaces' hosts, which run
 *   the user Workers, in the tenant pool (pool.ts: a user Worker's loop or allocation stops only the pool, which
 *   its supervisor kills and Miniflare restarts). Each reaches the other's Workers at loopback sockets of fixed
 *   ports. A change through the API marks the config stale, and it is rebuilt shortly after, or before the next
 *   request at the latest: a request always sees the Workers as currently deployed. A namespace's host loads its
 *   user Workers with the Worker Loader: the runtime hands the host what changed. Only a change of what a
 *   process's config holds restarts that process (setOptions): an account-level Worker the main one; a namespace,
 *   the set of KV namespaces or services a namespace's Workers bind to, the pool.
 * - The workers port (front.ts) splices each connection to workerd's socket for the front Worker, which picks an
 *   account-level Worker from the Host (`pickWorker` in workers/front.mts).
 * - Uploads are validated on a second instance (validator.ts), with the Worker Loader: no restart per upload. The
 *   reload loads each account-level Worker there first: one that would not start is replaced by one answering its
 *   error.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Miniflare, MiniflareOptions } from "miniflare";
import type { ScheduledTarget, Script, Store } from "../model/store";
import { CronScheduler, runScheduled, type ScheduledResult } from "./cron";
import { type FrontUpstream, WorkersFront } from "./front";
import { invalidateKvReads } from "./kv";
import { type DescribedAssets, type MiniflareModule, separateAssetStorage } from "./miniflare-internals";
import { buildRuntimeConfig, type RuntimeConfig } from "./miniflare-options";
import { freePort, HEAP_MB, type Overrun, PoolSupervisor } from "./pool";
import { type TailSource, TailHub } from "./tail";
import { refuseReservedModuleNames, UploadValidator } from "./validator";
import { watchWorkerd } from "./watchdog";
import { FRONT_WORKER, newAssetsRoot, type RuntimeState } from "./worker-build";
import { CONTROL_HEADER } from "./worker-sources";
import { workerdOutput } from "./workerd-output";

export interface RuntimeOptions {
  /** Serve the account-level Workers on this port (0 = a free one); undefined = no serving. */
  port?: number;
  host?: string;
  /** Validate uploads by loading them. */
  validate: boolean;
  /** A line per invocation and the Workers' console output on stderr, and the live tail (tails on). */
  logs?: boolean;
  /** Account-level Workers (`NAME` or `ACCOUNT_ID/NAME`) that may reach loopback and private addresses. */
  localNetworkWorkers?: string[];
  /** Where Durable Objects' storage persists (`<dataDir>/durable-objects`); in memory without. */
  dataDir?: string;
  /** Answers the Workers' D1 and R2 bindings (the storage host's serveBinding). */
  storage?: (request: Request) => Promise<Response>;
}

export class WorkersRuntime {
  private mf: Miniflare | undefined;
  /** The tenant pool: the namespaces' hosts (pool.ts). */
  private pool: Miniflare | undefined;
  /** Watches the pool; made at the first reload (it needs the pool's port). */
  supervisor: PoolSupervisor | undefined;
  /** The user Workers the pool's config holds: what a restarted pool starts with. */
  private poolBase: RuntimeConfig["namespaces"] = new Map();
  /** A loopback port per socket one process reaches in the other, fixed for the runtime's life. */
  private readonly ports = new Map<string, Promise<number>>();
  /** Loads uploads (and account-level Workers before a reload) to find whether they would start. */
  readonly validator = new UploadValidator((options) => this.newMiniflare(options));
  private mfModule: MiniflareModule | undefined;
  private config: RuntimeConfig | undefined;
  private loadError: Error | undefined;
  private dirty = true;
  private reloading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private front: WorkersFront | undefined;
  /** workerd's socket for the front Worker, which the workers port splices connections to. */
  private frontSocket: FrontUpstream | undefined;
  private readonly assetsRoot = newAssetsRoot();
  private closed = false;
  /** workerd is being restarted (setOptions). */
  restarting = false;
  /** `http://HOST:PORT` of the workers port, once listening. */
  url: string | undefined;
  /** How many times either workerd was (re)started with new Workers (not after a death): tests and benches read it. */
  generation = 0;
  private readonly token = randomBytes(16).toString("hex");
  /** Asset sets as Miniflare's assets plugin described them (miniflare-options.ts prunes them). */
  private readonly assetSets = new Map<string, Promise<DescribedAssets>>();
  /** What each build of the config takes from this runtime. */
  private readonly state: RuntimeState = {
    assetsRoot: this.assetsRoot,
    token: this.token,
    startupError: async (script) => this.reportStartupError(script, await this.validator.startupError(script)),
    entrypointsOf: (script) => this.validator.entrypoints(script),
    assetSets: this.assetSets,
    localNetworkWorkers: new Set(),
    port: (key) => this.port(key),
    supervise: (who) => this.supervisor!.service(who),
    kvChanged: (key) => this.invalidateKv(key),
  };
  // Miniflare exits the process itself on SIGINT/SIGTERM, before close() can run: the written-out assets go then.
  private readonly removeAssets = (): void => rmSync(this.assetsRoot, { recursive: true, force: true });

  /** Fires the cron triggers on time, while serving. */
  readonly cron: CronScheduler;
  /** The Workers' invocations as tail events: printed with `logs`, and to live tails. */
  readonly tail: TailHub;

  constructor(
    private readonly store: Store,
    private readonly options: RuntimeOptions,
  ) {
    for (const worker of options.localNetworkWorkers ?? []) this.state.localNetworkWorkers.add(worker);
    if (options.storage) this.state.storage = options.storage;
    process.once("exit", this.removeAssets);
    this.tail = new TailHub(store, options.logs ? (line) => process.stderr.write(`${line}\n`) : undefined);
    // Tails cost a round trip to this process per invocation (the runtime bench: dispatch about 2× direct with
    // them, under 1.25× without): only with the logs on.
    if (options.port !== undefined && options.logs) this.state.tailSink = (request) => this.receiveTraces(request);
    this.cron = new CronScheduler(
      store,
      (t, cron, time) => this.scheduled(t, cron, time),
      (t, cron, err) => {
        const who = t.namespace === undefined ? t.script : `${t.namespace}/${t.script}`;
        console.error(`[wfp-emulator] cron "${cron}" of ${who} failed: ${(err as Error).message}`);
      },
    );
  }

  private port(key: string): Promise<number> {
    let port = this.ports.get(key);
    if (!port) {
      port = freePort();
      this.ports.set(key, port);
    }
    return port;
  }

  private async miniflare(): Promise<MiniflareModule> {
    if (!this.mfModule) {
      watchWorkerd();
      // Cloudflare's memory limit per isolate (V8 reads the flag for every isolate; Miniflare takes it from here).
      process.env.MINIFLARE_WORKERD_V8_FLAGS ??= `--max-old-space-size=${HEAP_MB}`;
      this.mfModule = await import("miniflare");
      separateAssetStorage(this.mfModule);
    }
    return this.mfModule;
  }

  private shared(): Partial<MiniflareOptions> {
    const shared: Record<string, unknown> = {
      // No fetch of Request.cf from the network: the placeholder.
      cf: false,
      handleRuntimeStdio: workerdOutput(this.options.logs ?? false, this.state.tailSink ? (line) => this.tail.redactAll(line) : undefined),
    };
    if (this.options.dataDir) shared.durableObjectsPersist = join(this.options.dataDir, "durable-objects");
    // Miniflare's own log (the asset and router Workers' errors), with the Workers' output.
    if (this.options.logs && this.mfModule) shared.log = new this.mfModule.Log(this.mfModule.LogLevel.WARN);
    return shared as Partial<MiniflareOptions>;
  }

  /** Loads the Workers and, with a port, starts serving them. */
  async start(): Promise<void> {
    if (this.options.port === undefined) return;
    // The reload probes account-level Workers on it: it starts beside workerd.
    this.validator.warm();
    await this.settle();
    // The emulator starts from its data dir whatever it holds: requests answer the error until a change fixes it.
    if (this.loadError)
      process.stderr.write(
        `[wfp-emulator] the Workers could not be loaded (requests answer 503 until a change loads them): ${this.loadError.message}\n`,
      );
    const front = new WorkersFront(this);
    const a = await front.listen(this.options.port, this.options.host ?? "127.0.0.1");
    this.front = front;
    this.url = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
    this.cron.start();
  }

  /** Startup errors already reported on stderr (name and error), so that each is said once. */
  private readonly reported = new Set<string>();

  /** Says on stderr that an account-level Worker fails to start (once per Worker and error); answers the error. */
  private reportStartupError(script: Script, error: string | undefined): string | undefined {
    const key = JSON.stringify([script.name, error]);
    if (error !== undefined && !this.reported.has(key)) {
      this.reported.add(key);
      process.stderr.write(`[wfp-emulator] the Worker "${script.name}" fails to start, its requests answer why: ${error.split("\n")[0]}\n`);
    }
    return error;
  }

  /** A tail's post: `{source, traces}`, the traces of the Worker `source` names. */
  private async receiveTraces(request: Request): Promise<Response> {
    try {
      const { source, traces } = (await request.json()) as { source: TailSource; traces: unknown[] };
      this.tail.receive(source, traces);
    } catch (err) {
      process.stderr.write(`[wfp-emulator] a trace could not be read: ${(err as Error).message}\n`);
    }
    return new Response(null, { status: 204 });
  }

  /**
   * Runs a Worker's scheduled() handler now, with this cron and time. A user Worker runs directly, as Cloudflare
   * runs its crons: not through the dispatch Worker, and with no outbound Worker.
   */
  async scheduled(target: ScheduledTarget, cron: string, scheduledTime: number = Date.now()): Promise<ScheduledResult> {
    if (this.options.port === undefined) throw new Error("the Workers runtime is not running (start the emulator with a workers port)");
    await this.settle();
    const mf = target.namespace === undefined ? this.mf : this.pool;
    if (!mf || this.loadError) throw new Error(`the Workers could not be loaded: ${this.loadError?.message ?? "not started"}`);
    return runScheduled(mf, this.store, this.token, { target, cron, scheduledTime });
  }

  /** A reload is due or running. */
  get pending(): boolean {
    return this.dirty || this.reloading !== undefined;
  }

  upstream(): FrontUpstream | { error: string } {
    if (this.loadError || !this.frontSocket) return { error: this.loadError?.message ?? "not started" };
    return this.frontSocket;
  }

  /** An API write to a KV namespace: the KV Worker drops its cached reads of it (a workerd restarting has none). */
  async invalidateKv(key: string): Promise<void> {
    if (this.options.port === undefined || this.closed) return;
    await Promise.all([this.mf, this.pool].map((mf) => mf && invalidateKvReads(mf, key)));
  }

  /** The API changed something: reload soon, and before the next request in any case. */
  notify(): void {
    if (this.options.port === undefined || this.closed) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.settle();
    }, 10);
  }

  /** Resolves once the running Workers match the store. */
  async settle(): Promise<void> {
    while ((this.dirty || this.reloading) && !this.closed) {
      if (this.reloading) {
        await this.reloading;
        continue;
      }
      this.dirty = false;
      this.reloading = this.reload().finally(() => {
        this.reloading = undefined;
      });
    }
  }

  private async reload(): Promise<void> {
    try {
      const mfModule = await this.miniflare();
      const log = this.options.logs ? new mfModule.Log(mfModule.LogLevel.WARN) : new mfModule.NoOpLog();
      this.supervisor ??= new PoolSupervisor(await this.port("pool"), (o) => this.overrun(o));
      const config = await buildRuntimeConfig(this.store, mfModule, log, this.state);
      const { Miniflare } = mfModule;
      if (this.pool && this.config?.poolFingerprint === config.poolFingerprint)
        await this.handOver(this.pool, this.config.namespaces, config);
      else {
        // Invocations in flight are cut, and sent again by the dispatch binding once the pool is back.
        const options = {
          ...this.shared(),
          host: "127.0.0.1",
          port: this.supervisor.port,
          workers: config.poolWorkers,
          unsafeHandleRuntimeRestart: () => this.poolRestarted(),
        } as MiniflareOptions;
        if (this.pool) await this.pool.setOptions(options);
        else {
          this.pool = new Miniflare(options);
          await this.pool.ready;
        }
        this.poolBase = config.namespaces;
        this.generation++;
        this.supervisor.started(false);
      }
      if (this.mf && this.config?.fingerprint === config.fingerprint) {
        this.config = config;
        return;
      }
      this.restarting = true;
      // A restart would cut requests in flight: they finish first (a streaming response gets 5 s).
      await this.front?.whenIdle(5_000);
      const options = { ...this.shared(), host: "127.0.0.1", port: 0, workers: config.workers } as MiniflareOptions;
      if (this.mf) await this.mf.setOptions(options);
      else this.mf = new Miniflare(options);
      const socket = await this.mf.unsafeGetDirectURL(FRONT_WORKER);
      this.config = config;
      this.loadError = undefined;
      this.generation++;
      this.frontSocket = { host: socket.hostname, port: Number(socket.port), generation: this.generation };
    } catch (err) {
      this.loadError = err as Error;
      // The next change tries again, on fresh instances (one whose workerd never started takes no new options);
      // until then requests report the failure.
      const failed = [this.mf, this.pool];
      this.mf = undefined;
      this.pool = undefined;
      await Promise.all(failed.map((mf) => mf?.dispose().catch(() => undefined)));
      this.config = undefined;
      this.frontSocket = undefined;
    } finally {
      this.restarting = false;
    }
  }

  /** The pool died and Miniflare started it again with its config: its hosts get their current Workers. */
  private async poolRestarted(): Promise<void> {
    const pool = this.pool;
    if (!pool || this.closed) return;
    try {
      if (this.config) await this.handOver(pool, this.poolBase, this.config);
    } finally {
      this.supervisor?.started(true);
    }
  }

  /** A user Worker stopped over its CPU limit: its tail event, as Cloudflare reports it. */
  private overrun(o: Overrun): void {
    if (!this.tail.listening) return;
    const event = { request: { url: o.url, method: o.method, headers: {} } };
    const trace = { outcome: "exceededCpu", eventTimestamp: Date.now(), event, logs: [], exceptions: [] };
    this.tail.receive({ account: o.account, namespace: o.namespace, script: o.script }, [trace]);
  }

  /** Hands each namespace's host its user Workers that changed since `previous`. */
  private async handOver(mf: Miniflare, previous: RuntimeConfig["namespaces"], config: RuntimeConfig): Promise<void> {
    await Promise.all(
      [...config.namespaces].map(async ([host, scripts]) => {
        const before = previous.get(host) ?? {};
        // Own keys only: a tenant may be named "__proto__" or "version".
        const upserts = Object.fromEntries(
          Object.entries(scripts).filter(([name, s]) => !Object.hasOwn(before, name) || before[name]!.version !== s.version),
        );
        const deletes = Object.keys(before).filter((name) => !Object.hasOwn(scripts, name));
        if (Object.keys(upserts).length === 0 && deletes.length === 0) return;
        const r = await mf.dispatchFetch("http://wfp.internal/", {
          method: "POST",
          headers: { [CONTROL_HEADER]: this.token, "MF-Route-Override": host },
          body: JSON.stringify({ upserts, deletes }),
        });
        if (r.status !== 204) throw new Error(`the host ${host} refused its Workers: HTTP ${r.status} ${await r.text()}`);
      }),
    );
  }

  /** A Miniflare with the runtime's shared options and these, once ready. */
  private async newMiniflare(options: Partial<MiniflareOptions>): Promise<Miniflare> {
    const { Miniflare } = await this.miniflare();
    const mf = new Miniflare({ ...this.shared(), ...options } as MiniflareOptions);
    await mf.ready;
    return mf;
  }

  /** Refuses a Worker that would not start (see validator.ts); without `validate` only reserved module names. */
  async validate(script: Script): Promise<void> {
    refuseReservedModuleNames(script);
    if (this.options.validate) await this.validator.validate(script);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cron.stop();
    if (this.timer) clearTimeout(this.timer);
    await this.front?.close();
    await this.reloading?.catch(() => undefined);
    this.supervisor?.stop();
    await Promise.all([this.mf, this.pool].map((mf) => mf?.dispose().catch(() => undefined)));
    await this.validator.close();
    process.off("exit", this.removeAssets);
    this.removeAssets();
  }
}
