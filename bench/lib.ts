/**
 * Shared by the real-engine benchmarks: projects driving the real CLI (test/e2e/harness.ts, compiled), the
 * emulator harness of the tests (test/helpers/emulator.ts, compiled), and markdown helpers.
 */
import * as os from "node:os";
import { PulumiProject, ROOT, runCommand as run } from "../test/e2e/harness";
import type { JournalEntry } from "../test/helpers/emulator";

export { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../test/helpers/emulator";

export function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

export const quick = (): boolean => process.env.BENCH_QUICK === "1";

export { ROOT, runCommand as run, type RunResult } from "../test/e2e/harness";

/** A benchmark project: the e2e harness's real-engine project, under .wfp/bench/, stack `bench`. */
export function benchProject(name: string, program: string, env: Record<string, string>): Promise<PulumiProject> {
  return PulumiProject.create(name, { program, env, area: "bench", stack: "bench" });
}
export type { PulumiProject };

export interface CallSummary {
  total: number;
  /** Answered with 429 (absorbed by retries, or not). */
  throttled: number;
  /** Answered with another 4xx/5xx (or a reset). */
  failed: number;
  writes: number;
  /** Non-429 calls by `METHOD kind`. */
  byKind: Map<string, number>;
}

/** A short route name: the path after the account's `/workers`, with names replaced by placeholders. */
export function routeKind(e: JournalEntry): string {
  const p = e.path.replace(/^\/client\/v4\/accounts\/[^/]+/, "");
  const rules: [RegExp, string][] = [
    [/^\/workers\/dispatch\/namespaces\/[^/]+\/scripts\/[^/]+\/assets-upload-session$/, "assets-upload-session"],
    [/^\/workers\/dispatch\/namespaces\/[^/]+\/scripts\/[^/]+\/secrets(\/[^/]+)?$/, "script secret"],
    [/^\/workers\/dispatch\/namespaces\/[^/]+\/scripts\/[^/]+\/([a-z-]+)(\/.*)?$/, "script $1"],
    [/^\/workers\/dispatch\/namespaces\/[^/]+\/scripts\/[^/]+$/, "script"],
    [/^\/workers\/dispatch\/namespaces\/[^/]+\/scripts$/, "scripts list"],
    [/^\/workers\/dispatch\/namespaces\/[^/]+$/, "namespace"],
    [/^\/workers\/dispatch\/namespaces$/, "namespaces"],
    [/^\/workers\/assets\/upload$/, "assets upload"],
    [/^\/workers\/scripts\/[^/]+\/settings$/, "account-level script settings"],
  ];
  for (const [re, name] of rules) if (re.test(p)) return `${e.method} ${p.replace(re, name)}`;
  return `${e.method} ${p}`;
}

export function summarize(entries: JournalEntry[]): CallSummary {
  const byKind = new Map<string, number>();
  let throttled = 0;
  let failed = 0;
  let writes = 0;
  for (const e of entries) {
    if (e.status === 429) {
      throttled++;
      continue;
    }
    if (e.status === 0 || e.status >= 400) failed++;
    if (e.method !== "GET") writes++;
    const k = routeKind(e);
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
  }
  return { total: entries.length - throttled, throttled, failed, writes, byKind };
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** One line on the machine, for the tables' captions. */
export function machine(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${load}`;
}

/** The `--parallel` default of the installed Pulumi CLI, from its help. */
export async function pulumiDefaultParallel(): Promise<string> {
  const r = await run("pulumi", ["up", "--help"], { cwd: ROOT, env: process.env });
  return /--parallel int32.*\(default (\d+)\)/.exec(r.output)?.[1] ?? "?";
}

export async function pulumiVersion(): Promise<string> {
  return (await run("pulumi", ["version"], { cwd: ROOT, env: process.env })).stdout.trim();
}
