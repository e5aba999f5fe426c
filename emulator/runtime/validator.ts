/**
 * @module
 * Validates uploads by loading them on workerd: a Miniflare instance of its own running the validator Worker
 * (workers/validator.mts), which loads each Worker with the Worker Loader, so no upload restarts anything. What a
 * load found (the Worker's handlers, or its startup error) is kept per content digest. An instance that has loaded
 * its share of distinct Workers is replaced, and shut down once its last load is done.
 *
 * A load still running after STARTUP_MS (and PER_MIB_MS per MiB of modules), when the instance has used that much
 * CPU since it began and cannot answer a ping, finds the instance spinning at startup: the load under way the
 * longest is refused as Cloudflare refuses a Worker over its startup CPU time, and the instance is killed. The other
 * loads it was running start again on a new instance; an instance that died by itself (a module-scope allocation over the
 * heap cap) is taken as the load's memory overrun when it happens a second time.
 */
import { createHash } from "node:crypto";
import type { Miniflare, MiniflareOptions } from "miniflare";
import { ApiError, Codes } from "../model/errors";
import type { Script } from "../model/store";
import { freePort, PING_MS, ping, processCpuMs, TIMEOUT, within, workerdPid } from "./pool";
import { type LoaderModule, loaderModule, RUNTIME_COMPATIBILITY_DATE, serviceWorkerBody } from "./worker-build";
import { RESERVED_MODULE_PREFIX, runtimeWorker } from "./worker-sources";

const ERROR_PREFIX = /^(Error: )?Failed to start Worker:\s*/;
/** Cloudflare's startup time budget (Workers docs: Limits, Worker startup time: 1 s). */
const STARTUP_MS = 1_000;
/** Beyond it, per MiB of the load's request: the validator's own decoding and compiling of the modules. */
const PER_MIB_MS = 250;
/** How often a load past its budget is looked at again. */
const RECHECK_MS = 250;
const STARTUP_CPU = "Script startup exceeded CPU time limit.";
const STARTUP_MEMORY = "Script startup exceeded memory limits.";
/** Probe results kept before the cache starts over. */
const MAX_PROBES = 1000;

/** What loading a Worker found: its handlers, or why it would not start. */
type Probe = { handlers?: string[]; error?: string; lost?: "killed" | "died" };

/** A validator's workerd and the loads it is running. */
interface Instance {
  mf: Promise<Miniflare>;
  /** Its entry socket's port: the kill finds the process by it. */
  port: number;
  loads: number;
  busy: number;
  /** Killed for a load spinning at startup. */
  killed?: boolean;
  /** Its workerd's pid, found at its first load. */
  pid?: number;
  /** The loads under way, oldest first (a token each), and the one blamed for the kill. */
  pending: object[];
  culprit?: object;
}

async function dispose(instance: Instance): Promise<void> {
  const mf = await instance.mf.catch(() => undefined);
  await mf?.dispose().catch(() => undefined);
}

export class UploadValidator {
  /**
   * Distinct Workers one instance loads before a new one takes over: workerd keeps every isolate the Worker Loader
   * loaded, so without this a platform's thousands of uploads held gigabytes. Tests lower it.
   */
  loadsPerInstance = 200;
  /** How many instances were started: tests read it. */
  started = 0;
  private current: Instance | undefined;
  /** Per Worker content digest: what loading it found. */
  private readonly probes = new Map<string, Promise<Probe>>();

  /** `launch` starts a Miniflare with these options added to the runtime's shared ones, and waits until it is ready. */
  constructor(
    private readonly launch: (options: Partial<MiniflareOptions>) => Promise<Miniflare>,
    private readonly port: () => Promise<number> = freePort,
  ) {}

  /** Starts an instance ahead of the first load. */
  warm(): void {
    void this.instance().mf.catch(() => undefined);
  }

  /**
   * Refuses a Worker that would not start: 10021 "Uncaught ..." for a startup error, 10068 for no handler (a
   * service-worker script: no event listener). A Worker without code (assets only) passes.
   */
  async validate(script: Script): Promise<void> {
    const payload = probePayload(script);
    if (!payload) return;
    const result = await this.probe(payload);
    if (result.error !== undefined) throw new ApiError(400, Codes.SCRIPT_INVALID, result.error);
    if (!result.handlers?.length)
      throw new ApiError(400, Codes.NO_EVENT_HANDLERS, "No event handlers were registered. This script does nothing.");
  }

  /**
   * The names a service binding may take as `entrypoint` of a Worker: its exports that are functions (entrypoint
   * classes) and its default export's handlers; none for a Worker in service-worker syntax or one that fails.
   */
  async entrypoints(script: Script): Promise<string[]> {
    const payload = probePayload(script);
    if (!payload || payload.serviceWorker) return [];
    return (await this.probe(payload)).handlers ?? [];
  }

  /** Why a Worker would not start, or undefined (also for one without code). */
  async startupError(script: Script): Promise<string | undefined> {
    const payload = probePayload(script);
    return payload && (await this.probe(payload)).error;
  }

  async close(): Promise<void> {
    if (this.current) await dispose(this.current);
  }

  private instance(): Instance {
    if (this.current) return this.current;
    this.started++;
    const instance: Instance = { mf: Promise.resolve(undefined as unknown as Miniflare), port: 0, loads: 0, busy: 0, pending: [] };
    instance.mf = this.port().then((port) => {
      instance.port = port;
      return this.launch({
        host: "127.0.0.1",
        port,
        ...runtimeWorker("validator.mjs"),
        compatibilityDate: RUNTIME_COMPATIBILITY_DATE,
        workerLoaders: { LOADER: {} },
      } as Partial<MiniflareOptions>);
    });
    this.current = instance;
    return instance;
  }

  /** Kills an instance stuck in a load: it can answer nothing, not even its dispose. */
  private kill(instance: Instance): void {
    instance.killed = true;
    if (this.current === instance) this.current = undefined;
    const pid = workerdPid(instance.port);
    if (pid !== undefined) process.kill(pid, "SIGKILL");
    void dispose(instance);
  }

  /** One load on an instance, under the startup budget. */
  private async load(instance: Instance, mf: Miniflare, body: string): Promise<Probe> {
    instance.pid ??= workerdPid(instance.port);
    const me = {};
    instance.pending.push(me);
    const cpu = processCpuMs(instance.pid);
    // Cut by a kill: the load blamed for it is refused, the others start again.
    const cut = (): Probe => (instance.culprit === me ? { error: STARTUP_CPU } : { lost: "killed" });
    const answer = mf.dispatchFetch("http://validate/", { method: "POST", body }).then(
      (r) => r.json() as Promise<Probe>,
      (): Probe => (instance.killed ? cut() : { lost: "died" }),
    );
    const budget = STARTUP_MS + Math.ceil(body.length / 2 ** 20) * PER_MIB_MS;
    try {
      for (let wait = budget; ; wait = RECHECK_MS) {
        const r = await within(answer, wait);
        if (r !== TIMEOUT) return r;
        if (instance.killed) return cut();
        // Less CPU than the budget since the load began: a loaded machine, not a spin.
        const now = processCpuMs(instance.pid);
        if (cpu !== undefined && now !== undefined && now - cpu < budget) continue;
        // A free thread answers at once: the load is slow, not spinning.
        if (await ping(instance.port, PING_MS)) continue;
        if (instance.killed) return cut();
        // Spinning: the load under way the longest is the one (workerd runs one at a time, in turn).
        instance.culprit = instance.pending[0];
        this.kill(instance);
        return cut();
      }
    } finally {
      instance.pending.splice(instance.pending.indexOf(me), 1);
    }
  }

  /** Runs one load on the current instance; an instance that has loaded its share is retired once idle. */
  private async onInstance<T>(use: (mf: Miniflare, instance: Instance) => Promise<T>): Promise<T> {
    const old = this.current;
    if (old && old.loads >= this.loadsPerInstance) {
      this.current = undefined;
      if (old.busy === 0) void dispose(old);
    }
    const instance = this.instance();
    instance.loads++;
    instance.busy++;
    try {
      return await use(await instance.mf, instance);
    } finally {
      instance.busy--;
      if (instance !== this.current && instance.busy === 0) void dispose(instance);
    }
  }

  /** Loads a Worker: its handlers, or its startup error. Once per content. */
  private probe(payload: ProbePayload): Promise<Probe> {
    // Same code, same loaded isolate: the id is the content's digest.
    const id = createHash("sha256").update(JSON.stringify(payload)).digest("hex");
    let result = this.probes.get(id);
    if (!result) {
      if (this.probes.size >= MAX_PROBES) this.probes.clear();
      result = (async () => {
        const body = JSON.stringify({ ...payload, id });
        const once = () => this.onInstance((mf, instance) => this.load(instance, mf, body));
        // A load cut by the death of its instance starts again once (see the module's comment).
        let answer = await once();
        if (answer.lost) answer = await once();
        if (answer.lost) return { error: answer.lost === "died" ? STARTUP_MEMORY : STARTUP_CPU };
        if (answer.error === undefined || answer.error === STARTUP_CPU) return answer;
        const message = answer.error.replace(ERROR_PREFIX, "");
        return { error: message.startsWith("Uncaught") ? message : `Uncaught ${message}` };
      })();
      this.probes.set(id, result);
      result.catch(() => this.probes.delete(id));
    }
    return result;
  }
}

/** What the validator Worker loads (workers/validator.mts `Payload`, without its id). */
interface ProbePayload {
  modules: Record<string, LoaderModule>;
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  serviceWorker?: true;
}

/**
 * A Worker as the validator loads it: its modules; or a service-worker script alone, as CommonJS (what workerd runs
 * of it: the runtime hands workerd that part only). Undefined for a Worker without code.
 */
function probePayload(script: Script): ProbePayload | undefined {
  const compat = {
    compatibilityDate: script.compatibility_date || RUNTIME_COMPATIBILITY_DATE,
    compatibilityFlags: script.compatibility_flags,
  };
  if (script.main_module !== undefined) {
    const modules: Record<string, LoaderModule> = {};
    for (const m of script.modules) modules[m.name] = loaderModule(m);
    return { modules, mainModule: script.main_module, ...compat };
  }
  const body = serviceWorkerBody(script);
  if (!body) return undefined;
  return {
    modules: { [body.name]: { cjs: Buffer.from(body.data, "base64").toString("utf8") } },
    mainModule: body.name,
    serviceWorker: true,
    ...compat,
  };
}

/** Refuses module names the local runtime uses for its own modules (400 10021). */
export function refuseReservedModuleNames(script: Script): void {
  const reserved = script.modules.find((m) => m.name.startsWith(RESERVED_MODULE_PREFIX));
  if (reserved)
    throw new ApiError(
      400,
      Codes.SCRIPT_INVALID,
      `Module name "${reserved.name}" is reserved by the local runtime (names starting with "${RESERVED_MODULE_PREFIX}")`,
    );
}
