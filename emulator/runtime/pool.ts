/**
 * @module
 * The tenant pool: every namespace's host, so every user Worker, runs in a workerd process of its own, apart from
 * the account-level Workers (dispatchers, outbound Workers). Open-source workerd enforces no CPU or memory limit
 * and runs all of a process's isolates on one thread, so a user Worker's `while (true) {}` would stall every
 * Worker sharing its process; here it stalls only the pool, and the supervisor stops it.
 *
 * - CPU: the dispatch binding (workers/binding.mts) asks the supervisor about an invocation still running past its
 *   budget (`limits.cpuMs`, else the plan's default). The supervisor pings the pool: a pool whose thread cannot
 *   answer within PING_MS is running JavaScript without pause, which is CPU time (wall time of a stalled thread is
 *   the proxy). It kills the pool's workerd, and that invocation fails with Cloudflare's CPU error. Miniflare starts
 *   the process again with the same config; the runtime then hands each host its current Workers.
 * - Memory: the pool's isolates have V8's heap capped (HEAP_MB per isolate); an isolate over it aborts the process.
 * - A stall no invocation reports (a loop in `waitUntil`, in a response body, in a cron's handler) is found by a
 *   ping every second: a pool that has answered none for `stallLimitMs` (the plan's CPU default) is killed too.
 * - Other invocations the death cut are sent once more, to the restarted pool; cut a second time, they fail with
 *   the error of the death (CPU if the supervisor killed it, memory if it died by itself).
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
/** How long an invocation cut by a pool death waits for the restart before it fails. */
const RESTART_WAIT_MS = 20_000;

export type Death = "exceededCpu" | "exceededMemory";
/** The supervisor's answer to the dispatch binding. */
export type Verdict = "running" | "retry" | "error" | Death;

/** A free TCP port on the loopback, for a socket that keeps its port across restarts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Any answer from the pool's entry socket within `timeoutMs`: its thread is free. */
function ping(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/", method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
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

  constructor(
    readonly port: number,
    private readonly onOverrun: (o: Overrun) => void = () => undefined,
  ) {
    this.timer = setInterval(() => void this.watch(), WATCH_MS);
    this.timer.unref();
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
    this.restartedAt = this.answeredAt = Date.now();
  }

  /** An invocation that began at `started` is still running past its budget. */
  async check(started: number, overrun: Overrun): Promise<Verdict> {
    // Already dying or restarted since: the invocation's connection will be cut, and sent again.
    if (this.killed || this.restartedAt > started) return "running";
    if (await ping(this.port, PING_MS)) return "running";
    if (this.killed || this.pid === undefined) return "running";
    this.kill();
    this.onOverrun(overrun);
    return "exceededCpu";
  }

  /** An invocation that began at `started` lost its connection to the pool (`attempt` 0 first). */
  async lost(started: number, attempt: number): Promise<Verdict> {
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
      const body = (await request.json()) as { started: number; attempt?: number; script: string; url: string; method: string };
      const verdict =
        url.pathname === "/check"
          ? await this.check(body.started, { ...who, script: body.script, url: body.url, method: body.method })
          : await this.lost(body.started, body.attempt ?? 0);
      return Response.json({ verdict });
    };
  }
}
