/**
 * KV at scale: one tenant writes about 1 GB of KV values (25 MiB each, the largest Cloudflare takes) into the
 * emulator with a data directory while another account's API calls are timed: creating, listing and deleting a
 * dispatch namespace, creating a KV namespace, writing, reading and listing a small value, deleting the namespace. The same calls are timed
 * first with no load, in the same run and the same emulator; the table gives each call's median and p95 latency with
 * and without the load, and their ratio. The emulator runs as its own process (`dist/emulator/cli.js`), and the
 * writes come from a worker thread, so neither the writer nor the timing share an event loop with the emulator.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/kv-scale.js
 *
 * Environment: BENCH_KV_MB (MiB written under load, default 1024; 200 with BENCH_QUICK=1), BENCH_KV_WRITERS
 * (concurrent writes, default 1), BENCH_KV_IDLE_S (seconds of calls with no load, default 10; 4 with BENCH_QUICK=1).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { envInt, machine, quick, ROOT, table } from "./lib";

const MB = envInt("BENCH_KV_MB", quick() ? 200 : 1024);
const WRITERS = envInt("BENCH_KV_WRITERS", 1);
const IDLE_S = envInt("BENCH_KV_IDLE_S", quick() ? 4 : 10);
const VALUE_MIB = 25;
const TOKEN = "bench-kv-token";
const TENANT = "a".repeat(32);
const OTHER = "b".repeat(32);
const headers = { authorization: `Bearer ${TOKEN}` };

async function startEmulator(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "dist/emulator/cli.js"),
      "--port",
      "0",
      "--token",
      TOKEN,
      "--data-dir",
      dataDir,
      "--no-rate-limit",
      "--no-validate-uploads",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n")[0]!;
      if (buf.includes("\n")) resolve(line.replace(/^listening on /, ""));
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { child, url };
}

async function call(method: string, url: string, body?: string): Promise<unknown> {
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${text.slice(0, 200)}`);
  return text;
}

/** The other account's calls, one round: each call's name and milliseconds. */
async function round(api: string, n: number): Promise<Array<[string, number]>> {
  const out: Array<[string, number]> = [];
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const v = await fn();
    out.push([name, performance.now() - t0]);
    return v;
  };
  const acct = `${api}/accounts/${OTHER}`;
  await timed("create dispatch namespace", () => call("POST", `${acct}/workers/dispatch/namespaces`, JSON.stringify({ name: `ns-${n}` })));
  await timed("list dispatch namespaces", () => call("GET", `${acct}/workers/dispatch/namespaces`));
  const created = await timed("create KV namespace", () =>
    call("POST", `${acct}/storage/kv/namespaces`, JSON.stringify({ title: `kv-${n}` })),
  );
  const id = (JSON.parse(created as string) as { result: { id: string } }).result.id;
  await timed("KV put (small)", () => call("PUT", `${acct}/storage/kv/namespaces/${id}/values/k`, "small value"));
  await timed("KV get (small)", () => call("GET", `${acct}/storage/kv/namespaces/${id}/values/k`));
  await timed("KV list keys", () => call("GET", `${acct}/storage/kv/namespaces/${id}/keys`));
  // Deleted again: the state stays the same size from the first round to the last.
  await timed("delete KV namespace", () => call("DELETE", `${acct}/storage/kv/namespaces/${id}`));
  await timed("delete dispatch namespace", () => call("DELETE", `${acct}/workers/dispatch/namespaces/ns-${n}`));
  return out;
}

/** Rounds until `done` resolves (or `seconds` pass, when given). */
async function probe(api: string, start: number, until: { seconds?: number; done?: Promise<unknown> }): Promise<Map<string, number[]>> {
  const byCall = new Map<string, number[]>();
  let finished = false;
  void until.done?.then(() => {
    finished = true;
  });
  const deadline = until.seconds === undefined ? Number.POSITIVE_INFINITY : performance.now() + until.seconds * 1000;
  for (let n = start; !finished && performance.now() < deadline; n++)
    for (const [name, ms] of await round(api, n)) byCall.set(name, [...(byCall.get(name) ?? []), ms]);
  return byCall;
}

/** The tenant's writes, from a worker thread: `mib` MiB in 25 MiB values, `writers` at a time. */
function load(api: string, mib: number, writers: number): Promise<{ seconds: number; values: number }> {
  const code = `
    const { parentPort, workerData: { api, values, writers, size, headers } } = require("node:worker_threads");
    const { randomBytes } = require("node:crypto");
    (async () => {
      const ns = await fetch(api + "/storage/kv/namespaces", { method: "POST", headers, body: JSON.stringify({ title: "big" }) });
      const id = (await ns.json()).result.id;
      const body = randomBytes(size);
      let next = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: writers }, async () => {
        for (let i = next++; i < values; i = next++) {
          body.writeUInt32BE(i, 0);
          const r = await fetch(api + "/storage/kv/namespaces/" + id + "/values/v" + i, { method: "PUT", headers, body });
          if (r.status !== 200) throw new Error("write " + i + ": " + r.status + " " + (await r.text()));
        }
      }));
      parentPort.postMessage({ seconds: (performance.now() - t0) / 1000, values });
    })().catch((e) => { parentPort.postMessage({ error: String(e) }); });
  `;
  const values = Math.ceil(mib / VALUE_MIB);
  const worker = new Worker(code, {
    eval: true,
    workerData: { api: `${api}/accounts/${TENANT}`, values, writers, size: VALUE_MIB * 1024 * 1024, headers },
  });
  return new Promise((resolve, reject) => {
    worker.once("message", (m: { seconds: number; values: number; error?: string }) => {
      void worker.terminate();
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once("error", reject);
  });
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "wfp-kv-scale-"));
  const { child, url } = await startEmulator(dataDir);
  const api = `${url}/client/v4`;
  try {
    await round(api, -1); // warm-up
    const idle = await probe(api, 0, { seconds: IDLE_S });
    const writes = load(api, MB, WRITERS);
    const loaded = await probe(api, 100_000, { done: writes.catch(() => undefined) });
    const { seconds, values } = await writes;
    const written = values * VALUE_MIB;
    const size = (f: string): string => `${(statSync(path.join(dataDir, f)).size / 2 ** 20).toFixed(1)} MiB`;
    console.log(`\n## KV at scale: another account's API calls while a tenant writes ${written} MiB of KV\n`);
    console.log(
      `${machine()}. ${values} values of ${VALUE_MIB} MiB, ${WRITERS} at a time, in ${seconds.toFixed(1)} s (${(written / seconds).toFixed(0)} MiB/s); ` +
        `afterwards state.json is ${size("state.json")}, the tenant's database ${size(`kvdb/${TENANT}.sqlite`)}.\n`,
    );
    const rows: string[][] = [];
    let worst = 0;
    for (const [name, base] of idle) {
      const under = loaded.get(name) ?? [];
      if (under.length === 0) continue;
      const ratio = quantile(under, 0.5) / quantile(base, 0.5);
      worst = Math.max(worst, ratio);
      rows.push([
        name,
        `${base.length} / ${under.length}`,
        ms(quantile(base, 0.5)),
        ms(quantile(under, 0.5)),
        `${ratio.toFixed(2)}x`,
        ms(quantile(base, 0.95)),
        ms(quantile(under, 0.95)),
        `${(quantile(under, 0.95) / quantile(base, 0.95)).toFixed(2)}x`,
      ]);
    }
    console.log(
      table(
        ["call (other account)", "calls idle / loaded", "p50 idle", "p50 loaded", "p50 ratio", "p95 idle", "p95 loaded", "p95 ratio"],
        rows,
      ),
    );
    console.log(`\nWorst p50 ratio: ${worst.toFixed(2)}x.`);
  } finally {
    const exit = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exit;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
