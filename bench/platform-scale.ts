/**
 * Scale benchmark of the platform stack: N tenants (default 200; a script, 2 secrets and 3 assets each) in ONE
 * stack, deployed by the real Pulumi CLI running the example platform program (dist/examples/platform) against the
 * emulator with its rate limit ON. Records API calls per tenant by route (from the emulator journal), wall time at
 * the CLI's default `--parallel`, the 429s absorbed by the provider's retries, the calls of a no-op re-run and of a
 * `preview --refresh`; for each run the CPU time of the engine and of the Node processes (program, provider) and
 * peak RSS (bench/lib.ts runMeasured), and the checkpoint's size after the first up with a tenant's share of it
 * (its inputs and outputs, in bytes). Several sizes
 * (BENCH_TENANTS=200,500,1000) run one after the other, each in a fresh stack and emulator, and end with a cost
 * curve: time per tenant, and each run against the engine's floor (bench/floor: as many trivial dynamic resources,
 * measured right after in the same engine). Prints markdown tables.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/platform-scale.js
 *   BENCH_TENANTS=200,500,1000 BENCH_RATE_LIMIT=1200/6s BENCH_RATE_BLOCK_S=6 node dist/bench/platform-scale.js
 *
 * Environment: BENCH_TENANTS (a size or a comma-separated list; default 200; 20 with BENCH_QUICK=1),
 * BENCH_RATE_LIMIT (requests/window, default "40/30s"; "off" for none), BENCH_RATE_BLOCK_S (how long a token stays blocked once
 * over the limit, default 5), BENCH_PARALLEL (passed as `--parallel`), BENCH_PULUMI_ARGS (more CLI arguments for the
 * three runs, e.g. "--profiling /tmp/prof"), BENCH_NODE_OPTIONS (added to the Node processes' NODE_OPTIONS, e.g.
 * "--max-old-space-size=16384" for 10,000 tenants), BENCH_FLOOR=0 skips the floor runs (=tenant gives the floor's
 * resources a Tenant's properties), BENCH_KEEP=1 keeps the project directory under .wfp/bench/. Engine knobs such
 * as PULUMI_SKIP_CHECKPOINTS=true pass through the environment.
 *
 * The default limit is a third of Cloudflare's rate (1200 per 300 s = 4 requests/s): on a 2-core machine the engine
 * drives about 2 requests/s, so Cloudflare's rate scaled down proportionally (120/30s) is never reached, and this
 * benchmark is about absorbing 429s. BENCH_RATE_LIMIT=120/30s shows the proportional case.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dump } from "js-yaml";
import {
  checkpointBytes,
  envInt,
  machine,
  benchProject,
  type PulumiProject,
  pulumiDefaultParallel,
  pulumiVersion,
  quick,
  type RunUsage,
  runMeasured,
  seconds,
  stateBytesPerResource,
  summarize,
  startTestEmulator,
  table,
  type CallSummary,
} from "./lib";

const NAMESPACE = "bench-platform";

function parseRate(spec: string): { limit: number; windowMs: number } {
  // "off": a limit never reached, for measuring the engine and the provider alone (the floor comparison).
  if (spec.trim() === "off") return { limit: 1e9, windowMs: 1000 };
  const m = /^(\d+)\/(\d+)s?$/.exec(spec.trim());
  if (!m) throw new Error(`BENCH_RATE_LIMIT must look like 120/30s, got ${spec}`);
  return { limit: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

function write(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** Writes tenants.yaml, each tenant's worker and site, and the secrets file (secrets.json). */
function generateTenants(dir: string, count: number): { file: string; secretsFile: string } {
  const tenants: Record<string, unknown>[] = [];
  const secrets: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const id = `t${String(i).padStart(4, "0")}`;
    write(
      path.join(dir, id, "worker.js"),
      `export default { async fetch(req, env) { return env.ASSETS.fetch(req); } };\n// tenant ${id}\n`,
    );
    write(
      path.join(dir, id, "public/index.html"),
      `<!doctype html><title>${id}</title><link rel=stylesheet href=style.css><h1>${id}</h1>\n`,
    );
    write(path.join(dir, id, "public/style.css"), `h1 { color: #${(i * 2654435761).toString(16).slice(-6).padStart(6, "0")}; }\n`);
    write(path.join(dir, id, "public/app.js"), `console.log(${JSON.stringify(id)});\n`);
    // In the platform's secrets file, not stack config: the engine hands the program all its config in ONE
    // environment variable (PULUMI_CONFIG), which Linux caps at 128 KiB (1,000 tenants' 2,000 secrets went over it).
    secrets[`${id}ApiKey`] = `key_${id}_${"x".repeat(24)}`;
    secrets[`${id}Webhook`] = `whsec_${id}_${"y".repeat(24)}`;
    tenants.push({
      id,
      plan: ["free", "pro", "enterprise"][i % 3],
      worker: {
        dir: id,
        modules: ["worker.js"],
        compatibilityDate: "2025-06-01",
        bindings: [
          { type: "assets", name: "ASSETS" },
          { type: "plain_text", name: "TENANT", text: id },
        ],
      },
      assets: { directory: `${id}/public` },
      secrets: { API_KEY: `${id}ApiKey`, WEBHOOK_SECRET: `${id}Webhook` },
    });
  }
  const file = path.join(dir, "tenants.yaml");
  writeFileSync(file, dump({ tenants }));
  const secretsFile = path.join(dir, "secrets.json");
  writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
  return { file, secretsFile };
}

interface Run {
  name: string;
  ms: number;
  usage: RunUsage;
}

interface SizeResult {
  tenants: number;
  resources: number;
  runs: Run[];
  checkpoint: number;
  /** A Tenant's inputs and outputs in the checkpoint, in bytes (mean). */
  tenantState: number;
  /**
   * The same three runs of as many trivial dynamic resources as tenants (bench/floor), in the same engine;
   * none with BENCH_FLOOR=0.
   */
  floor: Run[];
}

/** The README's recommended `nodeargs` (the preload), for the platform and its floor alike. */
function withPreload(project: PulumiProject): void {
  const yaml = path.join(project.dir, "Pulumi.yaml");
  writeFileSync(
    yaml,
    readFileSync(yaml, "utf8").replace(/^( +)typescript: false$/m, "$&\n$1nodeargs: --require pulumi-cloudflare-wfp/preload"),
  );
}

/** First up, no-op up and refresh preview of `count` trivial dynamic resources: the engine's floor for the platform. */
async function runFloor(count: number, extra: string[]): Promise<Run[]> {
  const project = await benchProject("platform-floor", "dist/bench/floor", {});
  withPreload(project);
  try {
    await project.must(["config", "set", "floor:count", String(count)]);
    if (process.env.BENCH_FLOOR === "tenant") await project.must(["config", "set", "floor:shape", "tenant"]);
    console.error(`[platform-scale] floor: ${count} trivial dynamic resources`);
    const runs: Run[] = [];
    for (const [name, args] of [
      ["up", ["up", "--yes", "--skip-preview", "--suppress-outputs"]],
      ["no-op", ["up", "--yes", "--skip-preview", "--suppress-outputs"]],
      ["refresh", ["preview", "--refresh", "--expect-no-changes", "--suppress-outputs"]],
    ] as const) {
      const r = await runMeasured(project, [...args, ...extra]);
      if (r.code !== 0) throw new Error(`floor ${name} failed (${r.code}):\n${r.output.slice(-4000)}`);
      runs.push({ name, ms: r.ms, usage: r.usage });
    }
    return runs;
  } finally {
    rmSync(project.dir, { recursive: true, force: true });
  }
}

const mib = (n: number) => `${n.toFixed(0)} MiB`;
const cpu = (u: RunUsage) => `${(u.treeCpuS - u.nodeCpuS).toFixed(1)} s / ${u.nodeCpuS.toFixed(1)} s`;

async function runSize(tenants: number, rate: { limit: number; windowMs: number }, blockMs: number): Promise<SizeResult> {
  const emu = await startTestEmulator({ rateLimit: { ...rate, blockMs } });
  const extra = [
    ...(process.env.BENCH_PARALLEL ? ["--parallel", process.env.BENCH_PARALLEL] : []),
    ...(process.env.BENCH_PULUMI_ARGS?.split(" ").filter(Boolean) ?? []),
  ];
  let project: PulumiProject | undefined;
  let ok = false;
  try {
    const [parallel, version] = await Promise.all([pulumiDefaultParallel(), pulumiVersion()]);
    project = await benchProject("platform-scale", "dist/examples/platform", emu.env);
    withPreload(project);
    const gen = generateTenants(path.join(project.dir, "tenants"), tenants);
    await project.must(["config", "set", "platform:namespace", NAMESPACE]);
    await project.must(["config", "set", "platform:tenantsFile", gen.file]);
    await project.must(["config", "set", "--plaintext", "platform:secretsFile", gen.secretsFile]);
    // The set-up above made no API call; start counting (and rate limiting) from a clean slate.
    await emu.reset();

    console.error(
      `[platform-scale] deploying ${tenants} tenants (rate limit ${rate.limit}/${rate.windowMs / 1000}s, block ${blockMs / 1000}s)`,
    );
    const up = await runMeasured(project, ["up", "--yes", "--skip-preview", "--suppress-outputs", ...extra]);
    const first = summarize(await emu.journal());
    if (up.code !== 0) throw new Error(`pulumi up failed (${up.code}):\n${up.output.slice(-6000)}`);
    const checkpoint = checkpointBytes(project.backendDir);
    const tenantState = stateBytesPerResource(project.backendDir, ":Tenant");
    const scripts = Object.values((await emu.namespace(NAMESPACE))?.scripts ?? {}) as any[];
    const complete = scripts.filter((s) => s.secrets.length === 2 && s.has_assets && Object.keys(s.assets.manifest).length === 3);
    if (complete.length !== tenants)
      throw new Error(`expected ${tenants} complete tenants, found ${complete.length} of ${scripts.length} scripts`);

    await emu.clearJournal();
    console.error(`[platform-scale] no-op re-run (first up ${seconds(up.ms)})`);
    const noop = await runMeasured(project, ["up", "--yes", "--skip-preview", "--suppress-outputs", ...extra]);
    if (noop.code !== 0) throw new Error(`no-op pulumi up failed (${noop.code}):\n${noop.output.slice(-4000)}`);
    const again = summarize(await emu.journal());
    const unchanged = /(\d+) unchanged/.exec(noop.output)?.[1] ?? "?";
    // Resources as the engine counts them (components and the stack included): the no-op's "unchanged".
    const resources = Number(unchanged) || tenants + 1;

    await emu.clearJournal();
    console.error(`[platform-scale] no-op preview --refresh (no-op up ${seconds(noop.ms)})`);
    const refresh = await runMeasured(project, ["preview", "--refresh", "--expect-no-changes", "--suppress-outputs", ...extra]);
    const refreshCalls = summarize(await emu.journal());

    const perTenant = (n: number) => (n / tenants).toFixed(2);
    const report = (s: CallSummary) => `${s.total} (${s.writes} writes)`;
    console.log(`\n### Platform scale: ${tenants} tenants in one stack (${machine()})\n`);
    console.log(
      `Pulumi CLI ${version}, \`--parallel\` ${process.env.BENCH_PARALLEL ?? `default (${parallel})`}` +
        `${process.env.PULUMI_SKIP_CHECKPOINTS ? `, PULUMI_SKIP_CHECKPOINTS=${process.env.PULUMI_SKIP_CHECKPOINTS}` : ""}; ` +
        `emulator in memory, rate limit ${rate.limit} requests per ${rate.windowMs / 1000} s per token (Cloudflare: 1200 per ` +
        `300 s), blocked ${blockMs / 1000} s once over; provider retry policy at its defaults. Checkpoint after the first ` +
        `up: ${(checkpoint / 2 ** 20).toFixed(1)} MiB, ${tenantState} bytes a tenant (its inputs and outputs). CPU: engine (the CLI tree less Node) / Node (program + provider).\n`,
    );
    // The least time the limit allows for these calls: the first window's worth at once, then one window per more.
    const limitFloor = (calls: number) =>
      rate.limit >= 1e9 ? "none" : seconds(Math.max(0, Math.ceil(calls / rate.limit) - 1) * rate.windowMs);
    const row = (name: string, r: typeof up, s: CallSummary, result: string) => [
      name,
      seconds(r.ms),
      report(s),
      perTenant(s.total),
      limitFloor(s.total),
      s.throttled,
      s.failed,
      cpu(r.usage),
      `${mib(r.usage.engineMaxRssMiB)} / ${mib(r.usage.nodeMaxRssMiB)}`,
      result,
    ];
    console.log(
      table(
        [
          "Run",
          "Wall time",
          "API calls",
          "Per tenant",
          "Floor the limit imposes",
          "429s absorbed",
          "Failed calls",
          "CPU engine / Node",
          "Peak RSS engine / Node",
          "Result",
        ],
        [
          row(
            `\`pulumi up\`, ${tenants} new tenants (${resources} resources, the stack and the platform's own included)`,
            up,
            first,
            `${complete.length}/${tenants} tenants complete`,
          ),
          row("no-op `pulumi up`", noop, again, `${unchanged} unchanged, ${again.writes} writes`),
          row(
            "`pulumi preview --refresh --expect-no-changes`",
            refresh,
            refreshCalls,
            refresh.code === 0 ? "no changes" : `exit ${refresh.code}`,
          ),
        ],
      ),
    );
    console.log(`\nCalls of the first \`pulumi up\` by route (429 answers excluded):\n`);
    console.log(
      table(
        ["Call", "Count", "Per tenant"],
        [...first.byKind.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => [`\`${k}\``, n, perTenant(n)]),
      ),
    );
    if (again.writes !== 0) throw new Error(`the no-op re-run made ${again.writes} write calls`);
    // A failed call the provider retried is reported, not fatal: the tenants' completeness is checked above.
    for (const [run, summary] of [
      ["first up", first],
      ["refresh", refreshCalls],
    ] as const)
      if (summary.failed > 0) console.log(`\nFailed calls of the ${run} (each retried): ${summary.failures.join(", ")}\n`);
    if (refresh.code !== 0) throw new Error(`preview --refresh exited ${refresh.code}:\n${refresh.output.slice(-4000)}`);
    ok = true;
    const runs = [
      { name: "up", ms: up.ms, usage: up.usage },
      { name: "no-op", ms: noop.ms, usage: noop.usage },
      { name: "refresh", ms: refresh.ms, usage: refresh.usage },
    ];
    const floor = process.env.BENCH_FLOOR === "0" ? [] : await runFloor(tenants, extra);
    return { tenants, resources, runs, checkpoint, tenantState, floor };
  } finally {
    await emu.close();
    if (project && ok && process.env.BENCH_KEEP !== "1") rmSync(project.dir, { recursive: true, force: true });
    else if (project) console.error(`[platform-scale] project kept in ${project.dir}`);
  }
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_TENANTS ?? String(quick() ? 20 : 200))
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const rate = parseRate(process.env.BENCH_RATE_LIMIT ?? "40/30s");
  const blockMs = envInt("BENCH_RATE_BLOCK_S", 5) * 1000;
  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await runSize(n, rate, blockMs));
  const perTenant = (r: SizeResult, i: number) => `${(r.runs[i].ms / r.tenants).toFixed(0)} ms`;
  const ratio = (r: SizeResult, i: number) => {
    const cpuOf = (x: Run) => x.usage.treeCpuS;
    if (!r.floor[i]) return "not run";
    return `${(r.runs[i].ms / r.floor[i].ms).toFixed(2)}× / ${(cpuOf(r.runs[i]) / cpuOf(r.floor[i])).toFixed(2)}×`;
  };
  const engine = (r: SizeResult, i: number) =>
    `${(((r.runs[i].usage.treeCpuS - r.runs[i].usage.nodeCpuS) / r.resources) * 1000).toFixed(0)} ms`;
  console.log(`\n### Cost curve (${machine()})\n`);
  console.log(
    "Per tenant: wall time divided by tenants. Against the floor: the same run of as many trivial dynamic resources " +
      "(bench/floor) in the same engine, wall / CPU of the whole CLI tree. Both projects have the README's preload.\n",
  );
  console.log(
    table(
      [
        "Tenants",
        "Resources",
        "First up",
        "per tenant",
        "engine CPU per resource",
        "floor per resource",
        "vs floor",
        "No-op up",
        "per tenant",
        "vs floor",
        "Refresh preview",
        "per tenant",
        "vs floor",
        "Checkpoint",
        "State per tenant",
        "Engine peak RSS",
      ],
      results.map((r) => [
        r.tenants,
        r.resources,
        seconds(r.runs[0].ms),
        perTenant(r, 0),
        engine(r, 0),
        r.floor[0] ? `${(r.floor[0].ms / r.tenants).toFixed(0)} ms` : "not run",
        ratio(r, 0),
        seconds(r.runs[1].ms),
        perTenant(r, 1),
        ratio(r, 1),
        seconds(r.runs[2].ms),
        perTenant(r, 2),
        ratio(r, 2),
        `${(r.checkpoint / 2 ** 20).toFixed(1)} MiB`,
        `${r.tenantState} B`,
        mib(Math.max(...r.runs.map((x) => x.usage.engineMaxRssMiB))),
      ]),
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
