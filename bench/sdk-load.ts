/**
 * What loading the `cloudflare` SDK costs the provider host: a fresh Node process that has loaded what the host
 * has before its first API call (`@pulumi/pulumi`, after provider/lazy-pulumi-modules.ts) makes one call (a GET of
 * the dispatch namespaces) against the emulator, in four ways, alternating in each round: plain `fetch` (the
 * floor: no SDK at all), the whole SDK package's client, the SDK's client core alone (provider/api/sdk-core.ts),
 * and the provider's own client (on that core, with its retries, pacer and errors). Reports, for the call from the
 * first `require` to the answer, the modules it added to require.cache, its wall and CPU (user + system) time,
 * and the whole process's wall time: medians of the rounds, each beside the floor's. Node's compile cache is on
 * and warm, as in the provider host.
 *
 * Environment: BENCH_ROUNDS (default 11; 5 with BENCH_QUICK=1).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { envInt, quick, ROOT, startTestEmulator, table } from "./lib";

const ROUNDS = envInt("BENCH_ROUNDS", quick() ? 5 : 11);

/** Each variant's call; `credentials` is the emulator's, `namespaces` the GET's path under the base URL. */
const VARIANTS: Record<string, string> = {
  "floor: fetch, no SDK": `
    fetch(credentials.baseUrl + namespaces, { headers: { authorization: "Bearer " + credentials.apiToken } })
      .then((r) => r.json()).then((body) => body.result)`,
  "whole SDK package (before)": `
    new (require("cloudflare").default)({ apiToken: credentials.apiToken, baseURL: credentials.baseUrl, maxRetries: 0 })
      .request({ method: "get", path: namespaces }).then((body) => body.result)`,
  "SDK client core (now)": `
    new (require(${JSON.stringify(path.join(ROOT, "dist/provider/api/sdk-core.js"))}).sdkCore().Client)({
      apiToken: credentials.apiToken, baseURL: credentials.baseUrl, maxRetries: 0,
    }).request({ method: "get", path: namespaces }).then((body) => body.result)`,
  "provider's client on the core (now)": `
    new (require(${JSON.stringify(path.join(ROOT, "dist/provider/api/client.js"))}).CloudflareApi)(credentials)
      .call({ method: "get", path: "/dispatch/namespaces", op: { resource: "bench", operation: "list" } })`,
};

function script(call: string): string {
  return `
    require(${JSON.stringify(path.join(ROOT, "dist/provider/lazy-pulumi-modules.js"))});
    require("@pulumi/pulumi");
    const credentials = JSON.parse(process.env.BENCH_CREDENTIALS);
    const namespaces = "/accounts/" + credentials.accountId + "/workers/dispatch/namespaces";
    const modulesBefore = Object.keys(require.cache).length;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    Promise.resolve().then(() => ${call}).then((result) => {
      const callMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      if (!Array.isArray(result)) throw new Error("unexpected answer: " + JSON.stringify(result));
      process.stdout.write(JSON.stringify({
        modules: Object.keys(require.cache).length - modulesBefore,
        callMs,
        callCpuMs: (cpu.user + cpu.system) / 1000,
      }));
    });`;
}

interface Sample {
  modules: number;
  callMs: number;
  callCpuMs: number;
  processMs: number;
}

function runOnce(code: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["-e", code], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (status) => {
      const processMs = performance.now() - started;
      if (status !== 0) return reject(new Error(`the probe exited with ${status}`));
      resolve({ ...(JSON.parse(out) as Omit<Sample, "processMs">), processMs });
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const signed = (ms: number) => `${ms < 0 ? "-" : "+"}${Math.abs(ms).toFixed(0)}`;

async function main(): Promise<void> {
  const emu = await startTestEmulator();
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "wfp-bench-sdk-load-"));
  try {
    const env = { ...process.env, NODE_COMPILE_CACHE: cacheDir, BENCH_CREDENTIALS: JSON.stringify(emu.credentials) };
    const scripts = Object.entries(VARIANTS).map(([name, call]) => ({ name, code: script(call) }));
    for (const { code } of scripts) await runOnce(code, env); // warms the compile cache
    const samples = new Map<string, Sample[]>(scripts.map(({ name }) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const { name, code } of scripts) samples.get(name)?.push(await runOnce(code, env));
    }
    const summary = [...samples].map(([name, runs]) => ({
      name,
      modules: median(runs.map((r) => r.modules)),
      call: median(runs.map((r) => r.callMs)),
      cpu: median(runs.map((r) => r.callCpuMs)),
      process: median(runs.map((r) => r.processMs)),
    }));
    const floor = summary[0];
    console.log(`\n### The first API call of a provider host (${ROUNDS} rounds, load ${os.loadavg()[0].toFixed(1)})\n`);
    console.log(
      table(
        ["variant", "modules the call loads", "call: wall", "call: CPU", "call over the floor: wall / CPU", "process: wall"],
        summary.map((s) => [
          s.name,
          s.modules,
          `${s.call.toFixed(0)} ms`,
          `${s.cpu.toFixed(0)} ms`,
          `${signed(s.call - floor.call)} / ${signed(s.cpu - floor.cpu)} ms`,
          `${s.process.toFixed(0)} ms`,
        ]),
      ),
    );
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    await emu.close();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
