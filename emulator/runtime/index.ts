/**
 * @module
 * Runs the deployed Workers on workerd through Miniflare (`workersPort`) and validates uploads (`validateUploads`,
 * on by default): Miniflare is imported at the first upload or at start with a port, never with neither.
 *
 * - One Miniflare instance holds every Worker; a change through the API marks the config stale, and it is rebuilt
 *   shortly after, or before the next request at the latest: a request always sees the Workers as currently
 *   deployed. A namespace's user Workers run in its host, which loads them with the Worker Loader: the runtime
 *   hands the host what changed. Only a change of what workerd's config holds (an account-level Worker, a
 *   namespace, the set of KV namespaces or services a namespace's Workers bind to) restarts workerd (setOptions).
 * - The workers port (front.ts) splices each connection to workerd's socket for the front Worker, which picks an
 *   account-level Worker from the Host (`pickWorker` in workers/front.mts).
 * - Uploads are validated on a second instance, with the Worker Loader: no restart per upload. The reload loads
 *   each account-level Worker there first: one that would not start is replaced by one answering its error.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Miniflare, MiniflareOptions } from "miniflare";
import { ApiError, Codes } from "../model/errors";
import type { Script, Store } from "../model/store";
import { buildRuntimeConfig, type RuntimeConfig } from "./miniflare-options";
import { CronScheduler, type ScheduledTarget } from "./cron";
import { type TailSource, TailHub } from "./tail";
import { namespaceHostName } from "./namespace-host";
import { type DescribedAssets, type MiniflareModule, separateAssetStorage } from "./miniflare-internals";
import { accountWorkerName, FRONT_WORKER, type LoaderModule, loaderModule, type RuntimeState } from "./worker-build";
import { type FrontUpstream, WorkersFront } from "./front";
import { KV_WORKER } from "./kv";
import { CONTROL_HEADER, RESERVED_MODULE_PREFIX, runtimeWorker } from "./worker-sources";

export interface RuntimeOptions {
  /** Serve the account-level Workers on this port (0 = a free one); undefined = no serving. */
  port?: number;
  host?: string;
  /** Validate uploads by loading them. */
  validate: boolean;
  /** A line per invocation and the Workers' console output on stderr, and the live tail (tails on). */
  logs?: boolean;
}

/** What a scheduled() run reports, as workerd does. */
export interface ScheduledResult {
  outcome: string;
  noRetry: boolean;
}

const ASSETS_PREFIX = "wfp-runtime-";

/**
 * A fresh directory for the written-out assets, named by our pid; those of processes that are gone (killed before
 * they could clean up: a re-raised SIGTERM skips exit handlers) are removed first.
 */
function assetsRoot(): string {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^wfp-runtime-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  return mkdtempSync(join(tmpdir(), `${ASSETS_PREFIX}${process.pid}-`));
}

const ERROR_PREFIX = /^(Error: )?Failed to start Worker:\s*/;

/** A validator's workerd and the probes it is running: replaced once it has loaded enough distinct Workers. */
interface Validator {
  mf: Promise<Miniflare>;
  loads: number;
  busy: number;
}

async function dispose(v: Validator): Promise<void> {
  const mf = await v.mf.catch(() => undefined);
  await mf?.dispose().catch(() => undefined);
}

export class WorkersRuntime {
  private mf: Miniflare | undefined;
  private validator: Validator | undefined;
  /**
   * Distinct Workers one validator instance loads before a new one takes over: workerd keeps every isolate the
   * Worker Loader loaded, so without this a platform's thousands of uploads held gigabytes. Tests lower it.
   */
  validatorLoads = 200;
  /** How many validator instances were started: tests read it. */
  validatorsStarted = 0;
  private mfModule: MiniflareModule | undefined;
  private config: RuntimeConfig | undefined;
  private loadError: Error | undefined;
  private dirty = true;
  private reloading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private front: WorkersFront | undefined;
  /** workerd's socket for the front Worker, which the workers port splices connections to. */
  private frontSocket: FrontUpstream | undefined;
  private readonly assetsRoot = assetsRoot();
  private closed = false;
  /** workerd is being restarted (setOptions). */
  restarting = false;
  /** `http://HOST:PORT` of the workers port, once listening. */
  url: string | undefined;
  /** How many times workerd was (re)started with the Workers: tests and benches read it. */
  generation = 0;
  private readonly token = randomBytes(16).toString("hex");
  /** Asset sets as Miniflare's assets plugin described them (miniflare-options.ts prunes them). */
  private readonly assetSets = new Map<string, Promise<DescribedAssets>>();
  /** What each build of the config takes from this runtime. */
  private readonly state: RuntimeState = {
    assetsRoot: this.assetsRoot,
    token: this.token,
    startupError: (script) => this.startupError(script),
    assetSets: this.assetSets,
  };
  /** Per Worker content digest: what loading it on the validator found. */
  private readonly probes = new Map<string, Promise<{ handlers?: string[]; error?: string }>>();

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

  private async miniflare(): Promise<MiniflareModule> {
    if (!this.mfModule) {
      this.mfModule = await import("miniflare");
      separateAssetStorage(this.mfModule);
    }
    return this.mfModule;
  }

  private shared(): Partial<MiniflareOptions> {
    const logs = this.options.logs;
    const shared: Record<string, unknown> = {
      // No fetch of Request.cf from the network: the placeholder.
      cf: false,
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        for (const s of [stdout, stderr]) {
          if (!logs) {
            s.resume();
            continue;
          }
          // With tails (serving), the Workers' console output comes with each invocation (tail.ts, redacted): of
          // workerd's own output only its diagnostics are left, without secret values.
          const tails = this.state.tailSink !== undefined;
          if (tails && s === stdout) {
            s.resume();
            continue;
          }
          // workerd warns about every wrapped binding's module (a function as default export): not the user's news.
          createInterface({ input: s }).on("line", (line) => {
            if (line.includes("Exported actor class as default entrypoint")) return;
            if (tails && (!line.startsWith("workerd/") || line.includes("Uncaught exception"))) return;
            process.stderr.write(`${tails ? this.tail.redactAll(line) : line}\n`);
          });
        }
      },
    };
    // Miniflare's own log (the asset and router Workers' errors), with the Workers' output.
    if (logs && this.mfModule) shared.log = new this.mfModule.Log(this.mfModule.LogLevel.WARN);
    return shared as Partial<MiniflareOptions>;
  }

  /** Loads the Workers and, with a port, starts serving them. */
  async start(): Promise<void> {
    if (this.options.port === undefined) return;
    // The reload probes account-level Workers on it: it starts beside workerd.
    void this.validatorInstance().mf.catch(() => undefined);
    await this.settle();
    if (this.loadError) throw this.loadError;
    const front = new WorkersFront(this);
    const a = await front.listen(this.options.port, this.options.host ?? "127.0.0.1");
    this.front = front;
    this.url = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
    this.cron.start();
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
    const mf = this.mf;
    if (!mf || this.loadError) throw new Error(`the Workers could not be loaded: ${this.loadError?.message ?? "not started"}`);
    if (target.namespace === undefined) {
      // Miniflare's typings leave out the Fetcher's scheduled(), which workerd has (service_binding_extra_handlers).
      const worker = (await mf.getWorker(accountWorkerName(target.account, target.script))) as unknown as {
        scheduled(o: { cron: string; scheduledTime: Date }): Promise<ScheduledResult>;
      };
      const result = await worker.scheduled({ cron, scheduledTime: new Date(scheduledTime) });
      return { outcome: result.outcome, noRetry: result.noRetry };
    }
    const ns = Object.values(this.store.state.accounts[target.account]?.namespaces ?? {}).find((n) => n.name === target.namespace);
    if (!ns) throw new Error(`no dispatch namespace ${target.namespace}`);
    const r = await mf.dispatchFetch("http://wfp.internal/", {
      method: "POST",
      headers: { [CONTROL_HEADER]: this.token, "MF-Route-Override": namespaceHostName(ns.id) },
      body: JSON.stringify({ scheduled: { name: target.script, cron, scheduledTime } }),
    });
    if (r.status !== 200) throw new Error(`the namespace's host refused: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as ScheduledResult;
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
    if (!this.mf || this.options.port === undefined || this.closed) return;
    try {
      const worker = (await this.mf.getWorker(KV_WORKER)) as unknown as { fetch(url: string, init: { method: string }): Promise<unknown> };
      await worker.fetch(`http://kv/invalidate?ns=${encodeURIComponent(key)}`, { method: "POST" });
    } catch {
      // workerd is restarting or stopped: it starts with an empty cache.
    }
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
      const config = await buildRuntimeConfig(this.store, mfModule, log, this.state);
      if (this.mf && this.config?.fingerprint === config.fingerprint) {
        await this.handOver(this.mf, this.config.namespaces, config);
        this.config = config;
        return;
      }
      const { Miniflare } = mfModule;
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
      // The next change tries again; until then requests report the failure.
      this.config = undefined;
      this.frontSocket = undefined;
    } finally {
      this.restarting = false;
    }
  }

  /** Hands each namespace's host its user Workers that changed since `previous`. */
  private async handOver(mf: Miniflare, previous: RuntimeConfig["namespaces"], config: RuntimeConfig): Promise<void> {
    await Promise.all(
      [...config.namespaces].map(async ([host, scripts]) => {
        const before = previous.get(host) ?? {};
        const upserts = Object.fromEntries(Object.entries(scripts).filter(([name, s]) => before[name]?.version !== s.version));
        const deletes = Object.keys(before).filter((name) => !(name in scripts));
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

  private validatorInstance(): Validator {
    if (this.validator) return this.validator;
    this.validatorsStarted++;
    this.validator = {
      mf: (async () => {
        const { Miniflare } = await this.miniflare();
        const mf = new Miniflare({
          ...this.shared(),
          ...runtimeWorker("validator.mjs"),
          compatibilityDate: "2025-06-01",
          workerLoaders: { LOADER: {} },
        } as MiniflareOptions);
        await mf.ready;
        return mf;
      })(),
      loads: 0,
      busy: 0,
    };
    return this.validator;
  }

  /** Loads one Worker on the current validator; a validator that has loaded its share is retired once idle. */
  private async onValidator<T>(use: (mf: Miniflare) => Promise<T>): Promise<T> {
    const old = this.validator;
    if (old && old.loads >= this.validatorLoads) {
      this.validator = undefined;
      if (old.busy === 0) void dispose(old);
    }
    const v = this.validatorInstance();
    v.loads++;
    v.busy++;
    try {
      return await use(await v.mf);
    } finally {
      v.busy--;
      if (v !== this.validator && v.busy === 0) void dispose(v);
    }
  }

  /** Loads a modules-format Worker on the validator: its handlers, or its startup error. Once per content. */
  private async probe(script: Script & { main_module: string }): Promise<{ handlers?: string[]; error?: string }> {
    const modules: Record<string, LoaderModule> = {};
    for (const m of script.modules) modules[m.name] = loaderModule(m);
    const payload = {
      modules,
      mainModule: script.main_module,
      compatibilityDate: script.compatibility_date || "2025-06-01",
      compatibilityFlags: script.compatibility_flags,
    };
    // Same code, same loaded isolate: the id is the content's digest.
    const id = createHash("sha256").update(JSON.stringify(payload)).digest("hex");
    let result = this.probes.get(id);
    if (!result) {
      if (this.probes.size >= 1000) this.probes.clear();
      result = (async () => {
        const answer = await this.onValidator(async (mf) => {
          const r = await mf.dispatchFetch("http://validate/", { method: "POST", body: JSON.stringify({ ...payload, id }) });
          return (await r.json()) as { handlers?: string[]; error?: string };
        });
        if (answer.error === undefined) return answer;
        const message = answer.error.replace(ERROR_PREFIX, "");
        return { error: message.startsWith("Uncaught") ? message : `Uncaught ${message}` };
      })();
      this.probes.set(id, result);
      result.catch(() => this.probes.delete(id));
    }
    return result;
  }

  /** Why an account-level Worker would not start (workerd would refuse every Worker with it), or undefined. */
  private async startupError(script: Script): Promise<string | undefined> {
    if (script.main_module === undefined) return undefined;
    return (await this.probe(script as Script & { main_module: string })).error;
  }

  /** Refuses a Worker that would not start: 10021 "Uncaught ..." for a startup error, 10068 for no handler. */
  async validate(script: Script): Promise<void> {
    const reserved = script.modules.find((m) => m.name.startsWith(RESERVED_MODULE_PREFIX));
    if (reserved)
      throw new ApiError(
        400,
        Codes.SCRIPT_INVALID,
        `Module name "${reserved.name}" is reserved by the local runtime (names starting with "${RESERVED_MODULE_PREFIX}")`,
      );
    if (!this.options.validate || script.main_module === undefined) return;
    const result = await this.probe(script as Script & { main_module: string });
    if (result.error !== undefined) throw new ApiError(400, Codes.SCRIPT_INVALID, result.error);
    if (!result.handlers?.length)
      throw new ApiError(400, Codes.NO_EVENT_HANDLERS, "No event handlers were registered. This script does nothing.");
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cron.stop();
    if (this.timer) clearTimeout(this.timer);
    await this.front?.close();
    await this.reloading?.catch(() => undefined);
    await this.mf?.dispose().catch(() => undefined);
    if (this.validator) await dispose(this.validator);
    process.off("exit", this.removeAssets);
    this.removeAssets();
  }
}
