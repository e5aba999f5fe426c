/**
 * Shared by the real-engine benchmarks: projects driving the real CLI (test/helpers/pulumi-project.ts, compiled), the
 * emulator harness of the tests (test/helpers/emulator.ts, compiled), and markdown helpers.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { PulumiProject, ROOT, type RunResult, runCommand as run } from "../test/helpers/pulumi-project";
import type { JournalEntry } from "../test/helpers/emulator";

export { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../test/helpers/emulator";

export function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

export const quick = (): boolean => process.env.BENCH_QUICK === "1";

export { ROOT, runCommand as run, type RunResult } from "../test/helpers/pulumi-project";

/**
 * A benchmark project: the real-engine project of the e2e tests (test/helpers/pulumi-project.ts), under .wfp/bench/,
 * stack `bench`; without the preload unless the bench adds it (each states its set-up).
 */
export function benchProject(name: string, program: string, env: Record<string, string>): Promise<PulumiProject> {
  return PulumiProject.create(name, { program, env, area: "bench", stack: "bench", preload: false });
}
export type { PulumiProject };

export interface CallSummary {
  total: number;
  /** Answered with 429 (absorbed by retries, or not). */
  throttled: number;
  /** Answered with another 4xx/5xx (or a reset). */
  failed: number;
  /** Those calls, as `METHOD kind → status`, in order. */
  failures: string[];
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
  const failures: string[] = [];
  let writes = 0;
  for (const e of entries) {
    if (e.status === 429) {
      throttled++;
      continue;
    }
    if (e.status === 0 || e.status >= 400) failures.push(`${routeKind(e)} → ${e.status}`);
    if (e.method !== "GET") writes++;
    const k = routeKind(e);
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
  }
  return { total: entries.length - throttled, throttled, failed: failures.length, failures, writes, byKind };
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

/** CPU seconds and peak RSS (MiB) of one CLI run: the whole process tree, and the Node processes in it. */
export interface RunUsage {
  /** pulumi and every descendant it waited for (GNU time's user + system). */
  treeCpuS: number;
  /** The largest peak RSS of any single process in the tree (GNU time's maximum resident set size). */
  treeMaxRssMiB: number;
  /** The pulumi CLI process's own peak RSS (VmHWM), sampled every second. */
  engineMaxRssMiB: number;
  /** The Node processes (program, provider plugin), from a preload that records process.resourceUsage(). */
  nodeCpuS: number;
  nodeMaxRssMiB: number;
  nodeProcesses: number;
}

const USAGE_PRELOAD = `const fs = require("node:fs");
const file = require("node:path").join(process.env.BENCH_NODE_USAGE_DIR, process.pid + ".json");
const save = () => { try { const r = process.resourceUsage();
  fs.writeFileSync(file, JSON.stringify({ cpu: (r.userCPUTime + r.systemCPUTime) / 1e6, rss: r.maxRSS })); } catch {} };
setInterval(save, 1000).unref();
process.on("exit", save);
`;

/**
 * Runs `pulumi <args>` in the project under /usr/bin/time (the tree's CPU and largest RSS) with a Node preload
 * that writes each Node process's own CPU and peak RSS at exit and every second (the provider plugin is killed,
 * so up to a second of its CPU may be missed). Engine CPU is the tree's minus the Node processes'.
 */
export async function runMeasured(
  project: PulumiProject,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<RunResult & { usage: RunUsage }> {
  const dir = mkdtempSync(path.join(project.dir, "usage-"));
  const preload = path.join(dir, "preload.cjs");
  writeFileSync(preload, USAGE_PRELOAD);
  const timeFile = path.join(dir, "time.txt");
  const nodeOptions = [`--require ${preload}`, process.env.BENCH_NODE_OPTIONS].filter(Boolean).join(" ");
  const env = { ...project.env, NODE_OPTIONS: nodeOptions, BENCH_NODE_USAGE_DIR: dir, ...extraEnv };
  let engineHwmKiB = 0;
  const marker = `BENCH_NODE_USAGE_DIR=${dir}`;
  const sample = () => {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (path.basename(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]) !== "pulumi") continue;
        if (!readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker)) continue;
        const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (hwm) engineHwmKiB = Math.max(engineHwmKiB, Number(hwm[1]));
      } catch {}
    }
  };
  const sampler = setInterval(sample, 1000);
  const result = await run("/usr/bin/time", ["-f", "%U %S %M", "-o", timeFile, "pulumi", ...args, "--non-interactive"], {
    cwd: project.dir,
    env,
  }).finally(() => clearInterval(sampler));
  const [user, sys, rssKiB] = (readFileSync(timeFile, "utf8").trim().split("\n").pop() ?? "").split(" ").map(Number);
  const nodes = readdirSync(dir)
    .filter((f) => /^\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as { cpu: number; rss: number });
  rmSync(dir, { recursive: true, force: true });
  return {
    ...result,
    usage: {
      treeCpuS: user + sys,
      treeMaxRssMiB: rssKiB / 1024,
      engineMaxRssMiB: engineHwmKiB / 1024,
      nodeCpuS: nodes.reduce((s, n) => s + n.cpu, 0),
      nodeMaxRssMiB: Math.max(0, ...nodes.map((n) => n.rss / 1024)),
      nodeProcesses: nodes.length,
    },
  };
}

/** The largest stack JSON under the file backend's .pulumi/stacks (the stack's checkpoint). */
function checkpointFile(backendDir: string): string | undefined {
  const root = path.join(backendDir, ".pulumi", "stacks");
  let largest: { file: string; size: number } | undefined;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.json$/.test(e.name) && statSync(p).size > (largest?.size ?? -1)) largest = { file: p, size: statSync(p).size };
    }
  };
  if (existsSync(root)) walk(root);
  return largest?.file;
}

/**
 * The mean bytes of the state of each resource of a type (`:Tenant`): its inputs and outputs as the checkpoint
 * stores them (compact JSON, secrets as ciphertext), 0 when there is none.
 */
export function stateBytesPerResource(backendDir: string, typeSuffix: string): number {
  const file = checkpointFile(backendDir);
  if (!file) return 0;
  const checkpoint = JSON.parse(readFileSync(file, "utf8"));
  const resources: Array<{ type: string; inputs?: unknown; outputs?: unknown }> = checkpoint.checkpoint?.latest?.resources ?? [];
  const matching = resources.filter((r) => r.type.endsWith(typeSuffix));
  const bytes = matching.map((r) => JSON.stringify(r.inputs ?? {}).length + JSON.stringify(r.outputs ?? {}).length);
  return matching.length > 0 ? Math.round(bytes.reduce((a, b) => a + b, 0) / matching.length) : 0;
}

/** The size in bytes of the stack's checkpoint in a file backend (the largest stack JSON under .pulumi/stacks). */
export function checkpointBytes(backendDir: string): number {
  const root = path.join(backendDir, ".pulumi", "stacks");
  let largest = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.json(\.gz)?$/.test(e.name)) largest = Math.max(largest, statSync(p).size);
    }
  };
  if (existsSync(root)) walk(root);
  return largest;
}
