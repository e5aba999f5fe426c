/**
 * @module
 * The tenant pool: every namespace's host, so every user Worker, runs in a workerd process of its own, apart from
 * the account-level Workers (dispatchers, outbound Workers). Open-source workerd enforces no CPU or memory limit
 * and runs all of a process's isolates on one thread, so a user Worker's `while (true) {}` would stall every
 * Worker sharing its process; here it stalls only the pool, and the supervisor stops it.
 *
 * - CPU: the dispatch binding (workers/binding.mts) asks the supervisor about an invocation still running past its
 *   budget (`limits.cpuMs`, else the plan's default). The pool has used that much CPU since the invocation began
 *   (its process's CPU time, sampled every SAMPLE_MS), and cannot answer a ping within PING_MS while it burns CPU:
 *   it is running JavaScript without pause. The supervisor kills the pool's workerd, and the invocation that began
 *   first among those still past their budget fails with Cloudflare's CPU error: those asking now, and those that
 *   asked lately and are due to ask again (one found under budget while its Worker was still loading asks again
 *   only at its next re-check, and a neighbour sent later must not take the blame meanwhile). Miniflare starts the
 *   process again with the same config; the runtime then hands each host its current Workers. A pool only slowed by
 *   a loaded machine uses little CPU, and is left alone.
 * - Memory: the pool's isolates have V8's heap capped (HEAP_MB per isolate); an isolate over it aborts the process.
 * - A stall no invocation reports (a loop in `waitUntil`, in a response body, in a cron's handler) is found by a
 *   ping every second: a pool that has answered none for `stallLimitMs` (the plan's CPU default) is killed too.
 * - Other invocations the death cut are sent once more, to the restarted pool; cut a second time, they fail with
 *   the error of the death (CPU if the supervisor killed it, memory if it died by itself). The one stopped while it
 *   was not asking fails with the CPU error when its cut connection is reported.
 * Linux only for the kill (the process is found through /proc); elsewhere a stalled pool stays stalled.
 */
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { DEFAULT_CPU_MS } from "../../cloudflare/limits";

/** How long a ping may wait before the pool counts as stalled. */
export const PING_MS = 200;
/** V8's old-space cap for each isolate of the pool, in MB (Cloudflare: 128 MB per isolate). */
export const HEAP_MB = 128;
/** The background ping's period. */
const WATCH_MS = 1_000;
/** How often the pool's CPU time is sampled, and how long the samples go back. */
const SAMPLE_MS = 100;
const SAMPLES = 600;
/** How long an invocation cut by a pool death waits for the restart before it fails. */
const RESTART_WAIT_MS = 20_000;

export type Death = "exceededCpu" | "exceededMemory";
/** The supervisor's answer to the dispatch binding. */
export type Verdict = "running" | "retry" | "error" | Death;

/** Where the kernel picks ports for listeners on port 0 and for outgoing connections (Linux; elsewhere at most this). */
export function ephemeralPorts(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low, high };
  } catch {
    /* not Linux */
  }
  return { low: 32_768, high: 65_535 };
}

/** Ports below this are left to servers people start by hand. */
const LOWEST_PORT = 10_000;

function listenable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free TCP port on the loopback, for a socket that keeps its port across restarts: outside the ephemeral range,
 * so that no outgoing connection or port-0 listener of any process takes it while its workerd restarts (one did,
 * and every Worker answered "Address already in use" until the next change).
 */
export async function freePort(): Promise<number> {
  const { low } = ephemeralPorts();
  for (let tries = 0; low > LOWEST_PORT && tries < 100; tries++) {
    const port = await listenable(LOWEST_PORT + Math.floor(Math.random() * (low - LOWEST_PORT)));
    if (port !== undefined) return port;
  }
  const any = await listenable(0);
  if (any === undefined) throw new Error("no free port on 127.0.0.1");
  return any;
}

/**
 * Any answer from a Miniflare entry socket within `timeoutMs`: the process's thread is free. An answer already in
 * when the time is up counts (Node runs timers before it reads sockets).
 */
export function ping(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (free: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(free);
    };
    const req = httpRequest({ host: "127.0.0.1", port, path: "/", method: "GET" }, (res) => {
      res.resume();
      finish(true);
    });
    req.on("error", () => finish(false));
    const timer = setTimeout(() => setImmediate(() => finish(false)), timeoutMs);
    req.end();
  });
}

/** CPU time a process has used (user and system, all threads), in ms; undefined where /proc cannot tell. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the name: state is field 3, utime and stime fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export const TIMEOUT = Symbol("timeout");

/** `promise`'s value, or TIMEOUT after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The workerd child of this process serving Miniflare's entry socket on `port` (its command line names it). */
export function workerdPid(port: number): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    for (const task of readdirSync(`/proc/${process.pid}/task`))
      for (const pid of readFileSync(`/proc/${process.pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (cmdline.includes("workerd") && cmdline.includes(`entry=127.0.0.1:${port}\0`)) return Number(pid);
      }
  } catch {
    // A child that exited while being read.
  }
  return undefined;
}

/** One invocation of one user Worker: when its binding sent it, and to which Worker. */
const invocationKey = (started: number, o: Omit<Overrun, "url" | "method">): string => `${started} ${o.account}/${o.namespace}/${o.script}`;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A CPU overrun, as the supervisor reports it to the tail: which Worker and request. */
export interface Overrun {
  account: string;
  namespace: string;
  script: string;
  url: string;
  method: string;
}

/** Watches one pool process, through its Miniflare entry socket `port` (fixed, so the kill can find the process). */
export class PoolSupervisor {
  /** The process's pid at its last (re)start. */
  private pid: number | undefined;
  /** When the last restart's hand-over finished (ms since the epoch). */
  private restartedAt = 0;
  private killed = false;
  private lastDeath: Death = "exceededMemory";
  /** Deaths so far: tests and benches read it. */
  deaths = 0;
  /** How long the pool may answer no ping before it is killed (tests lower it). */
  stallLimitMs = DEFAULT_CPU_MS;
  private answeredAt = Date.now();
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;
  /** The pool's CPU time (ms) at times (ms since the epoch), oldest first. */
  private samples: Array<{ at: number; cpu: number }> = [];
  /** Invocations past their budget waiting for the ping under way. */
  private asking: Array<{ key: string; started: number; overrun: Overrun; answer: (v: Verdict) => void }> = [];
  /** Invocations seen past their budget since the last (re)start: when each asked last, and how often it asks. */
  private recent = new Map<string, { started: number; overrun: Overrun; seen: number; every: number }>();
  /** The invocation stopped by the last kill while it was not asking: its lost connection answers the CPU error. */
  private condemned: string | undefined;

  constructor(
    readonly port: number,
    private readonly onOverrun: (o: Overrun) => void = () => undefined,
  ) {
    this.timer = setInterval(() => {
      this.sample();
      if (++this.ticks % (WATCH_MS / SAMPLE_MS) === 0) void this.watch();
    }, SAMPLE_MS);
    this.timer.unref();
  }

  private sample(): void {
    const cpu = processCpuMs(this.pid);
    if (cpu === undefined) return;
    this.samples.push({ at: Date.now(), cpu });
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  /** CPU the pool used since `at` (ms; from the last sample before it), or undefined where it cannot be told. */
  private cpuSince(at: number): number | undefined {
    const now = processCpuMs(this.pid);
    if (now === undefined || this.samples.length === 0) return undefined;
    let before = this.samples[0]!;
    for (const s of this.samples) if (s.at <= at) before = s;
    return now - before.cpu;
  }

  /** The background ping (see the module's comment). */
  private async watch(): Promise<void> {
    if (this.pid === undefined || this.killed) return;
    if (await ping(this.port, WATCH_MS)) this.answeredAt = Date.now();
    else if (Date.now() - this.answeredAt >= this.stallLimitMs && !this.killed) this.kill();
  }

  private kill(): void {
    this.killed = true;
    this.lastDeath = "exceededCpu";
    try {
      if (this.pid !== undefined) process.kill(this.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The pool (re)started and has its Workers: after a death (`died`), or a change of its config. */
  started(died: boolean): void {
    this.pid = workerdPid(this.port);
    if (died) {
      if (!this.killed) this.lastDeath = "exceededMemory";
      this.deaths++;
    }
    this.killed = false;
    this.recent.clear();
    this.samples = [];
    this.sample();
    this.restartedAt = this.answeredAt = Date.now();
  }

  /**
   * An invocation that began at `started` is still running past its budget (ms); it asks again every `every` ms
   * while it runs.
   */
  async check(started: number, budget: number, overrun: Overrun, every = budget): Promise<Verdict> {
    // Already dying or restarted since: the invocation's connection will be cut, and sent again.
    if (this.killed || this.restartedAt > started) return "running";
    const key = invocationKey(started, overrun);
    this.recent.set(key, { started, overrun, seen: Date.now(), every });
    // Not that much CPU used since it began: it waits (on I/O, or for a loaded machine's cores).
    const used = this.cpuSince(started);
    if (used !== undefined && used < budget) return "running";
    return new Promise((answer) => {
      this.asking.push({ key, started, overrun, answer });
      if (this.asking.length === 1) void this.probe();
    });
  }

  /** Pings the pool for the invocations asking: spinning, the one that began first is stopped (see the module). */
  private async probe(): Promise<void> {
    const before = processCpuMs(this.pid);
    const free = await ping(this.port, PING_MS);
    const after = processCpuMs(this.pid);
    const asking = this.asking;
    this.asking = [];
    // Unanswered while burning CPU (a tenth of the wait at least: a starved process burns less).
    const burning = before === undefined || after === undefined || after - before >= PING_MS / 10;
    if (free || !burning || this.killed || this.pid === undefined) {
      for (const a of asking) a.answer("running");
      return;
    }
    this.kill();
    // Still running: asked within its re-check period (and the ping's wait) or asking now.
    const now = Date.now();
    const running = [...this.recent].filter(([, r]) => now - r.seen <= r.every + 2 * PING_MS).map(([key, r]) => ({ key, ...r }));
    const first = [...asking, ...running].reduce((a, b) => (b.started < a.started ? b : a));
    this.condemned = asking.some((a) => a.key === first.key) ? undefined : first.key;
    for (const a of asking) a.answer(a.key === first.key ? "exceededCpu" : "running");
    this.onOverrun(first.overrun);
  }

  /** An invocation that began at `started` lost its connection to the pool (`attempt` 0 first). */
  async lost(started: number, attempt: number, invocation: Omit<Overrun, "url" | "method">): Promise<Verdict> {
    if (this.condemned === invocationKey(started, invocation)) {
      this.condemned = undefined;
      return "exceededCpu";
    }
    const deadline = Date.now() + RESTART_WAIT_MS;
    const pid = this.pid;
    // Not a death of the pool: the error stands.
    if (!this.killed && this.restartedAt <= started && pid !== undefined && alive(pid) && (await ping(this.port, PING_MS))) return "error";
    while (this.restartedAt <= started && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (this.restartedAt <= started) return "error";
    return attempt === 0 ? "retry" : this.lastDeath;
  }

  /** The supervisor as a service of the dispatch binding: `POST /check` or `/lost`, `{started, attempt?, ...}`. */
  service(who: { account: string; namespace: string }): (request: Request) => Promise<Response> {
    return async (request) => {
      const url = new URL(request.url);
      const body = (await request.json()) as {
        started: number;
        budget?: number;
        every?: number;
        attempt?: number;
        script: string;
        url: string;
        method: string;
      };
      const verdict =
        url.pathname === "/check"
          ? await this.check(
              body.started,
              body.budget ?? 0,
              { ...who, script: body.script, url: body.url, method: body.method },
              body.every ?? body.budget ?? 0,
            )
          : await this.lost(body.started, body.attempt ?? 0, { ...who, script: body.script });
      return Response.json({ verdict });
    };
  }
}
