/**
 * @module
 * Runs the deployed cron triggers on time: at the start of every UTC minute, each trigger of each Worker (account
 * Workers, and user Workers, which Cloudflare runs directly, not through the dispatch Worker) whose expression
 * matches fires its Worker's scheduled() handler. Also runs one on demand (`runScheduled`).
 */
import type { Miniflare } from "miniflare";
import { type Cron, cronMatches, parseCron } from "../../cloudflare/cron";
import type { ScheduledTarget, Store } from "../model/store";
import { namespaceHostName } from "./namespace-host";
import { accountWorkerName } from "./worker-build";
import { CONTROL_HEADER } from "./worker-sources";

/** What a scheduled() run reports, as workerd does. */
export interface ScheduledResult {
  outcome: string;
  noRetry: boolean;
}

export type FireScheduled = (target: ScheduledTarget, cron: string, scheduledTime: number) => Promise<{ outcome: string }>;

/** One trigger fired: the Worker's outcome (`ok`, `exception`, ...) or why it could not run. */
export interface Fired {
  target: ScheduledTarget;
  cron: string;
  outcome?: string;
  error?: string;
}

/** Every trigger in the store with its target, parsed once per expression. */
export function* triggers(store: Store): Generator<{ target: ScheduledTarget; cron: string }> {
  for (const [account, a] of Object.entries(store.state.accounts)) {
    for (const s of Object.values(a.workers?.scripts ?? {}))
      for (const { cron } of s.schedules ?? []) yield { target: { account, script: s.name }, cron };
    for (const ns of Object.values(a.namespaces))
      for (const s of Object.values(ns.scripts))
        for (const { cron } of s.schedules ?? []) yield { target: { account, namespace: ns.name, script: s.name }, cron };
  }
}

export class CronScheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly parsed = new Map<string, Cron | Error>();

  constructor(
    private readonly store: Store,
    private readonly fire: FireScheduled,
    private readonly onError: (target: ScheduledTarget, cron: string, err: unknown) => void,
  ) {}

  /** Fires the triggers due in the minute of `at` (the timer calls it; tests call it with their own clock). */
  async tick(at: Date): Promise<Fired[]> {
    const minute = Math.floor(at.getTime() / 60_000) * 60_000;
    const due = [...triggers(this.store)].filter(({ cron }) => {
      let p = this.parsed.get(cron);
      if (!p) {
        p = parseCron(cron);
        this.parsed.set(cron, p);
      }
      return !(p instanceof Error) && cronMatches(p, new Date(minute));
    });
    return Promise.all(
      due.map(({ target, cron }) =>
        this.fire(target, cron, minute).then(
          ({ outcome }): Fired => ({ target, cron, outcome }),
          (err): Fired => {
            this.onError(target, cron, err);
            return { target, cron, error: (err as Error).message };
          },
        ),
      ),
    );
  }

  start(): void {
    const next = 60_000 - (Date.now() % 60_000);
    this.timer = setTimeout(() => {
      void this.tick(new Date());
      this.start();
    }, next);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Runs a Worker's scheduled() handler on the running workerd, with this cron and time. A user Worker runs directly,
 * as Cloudflare runs its crons: not through the dispatch Worker, and with no outbound Worker; its namespace's host
 * (which `token` authenticates the runtime to) runs it.
 */
export async function runScheduled(
  mf: Miniflare,
  store: Store,
  token: string,
  { target, cron, scheduledTime }: { target: ScheduledTarget; cron: string; scheduledTime: number },
): Promise<ScheduledResult> {
  if (target.namespace === undefined) {
    // Miniflare's typings leave out the Fetcher's scheduled(), which workerd has (service_binding_extra_handlers).
    const worker = (await mf.getWorker(accountWorkerName(target.account, target.script))) as unknown as {
      scheduled(o: { cron: string; scheduledTime: Date }): Promise<ScheduledResult>;
    };
    const result = await worker.scheduled({ cron, scheduledTime: new Date(scheduledTime) });
    return { outcome: result.outcome, noRetry: result.noRetry };
  }
  const ns = Object.values(store.state.accounts[target.account]?.namespaces ?? {}).find((n) => n.name === target.namespace);
  if (!ns) throw new Error(`no dispatch namespace ${target.namespace}`);
  const r = await mf.dispatchFetch("http://wfp.internal/", {
    method: "POST",
    headers: { [CONTROL_HEADER]: token, "MF-Route-Override": namespaceHostName(ns.id) },
    body: JSON.stringify({ scheduled: { name: target.script, cron, scheduledTime } }),
  });
  if (r.status !== 200) throw new Error(`the namespace's host refused: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as ScheduledResult;
}
