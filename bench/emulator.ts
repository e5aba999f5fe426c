/**
 * Emulator benchmark: script GETs per second (concurrent, loopback) and asset upload throughput (MB/s), in memory
 * and with a data directory. Prints a markdown table. Run: `node dist/bench/emulator.js` (about 30 s).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEmulator, TEST_TOKEN, type TestEmulator } from "../test/helpers/emulator";

const GET_SECONDS = Number(process.env.BENCH_GET_SECONDS ?? 5);
const GET_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ASSET_FILES = Number(process.env.BENCH_ASSET_FILES ?? 240);
const ASSET_SIZE_BYTES = Number(process.env.BENCH_ASSET_SIZE ?? 256 * 1024);
const UPLOAD_CONCURRENCY = 3; // wrangler's bucket concurrency

// The measured loops call fetch directly, so that the harness adds nothing to the timings.
const headers = { authorization: `Bearer ${TEST_TOKEN}` };

async function must(res: Promise<Response>, what: string): Promise<any> {
  const r = await res;
  const body = await r.json();
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(body)}`);
  return body;
}

async function setup(emu: TestEmulator): Promise<string> {
  const ok = (r: { ok: boolean; status: number; text: string }, what: string) => {
    if (!r.ok) throw new Error(`${what}: HTTP ${r.status} ${r.text}`);
  };
  ok(await emu.api("POST", "/dispatch/namespaces", { json: { name: "bench" } }), "create namespace");
  const fd = new FormData();
  fd.append(
    "metadata",
    new Blob([JSON.stringify({ main_module: "worker.mjs", tags: ["bench"], bindings: [{ name: "V", type: "plain_text", text: "x" }] })], {
      type: "application/json",
    }),
    "metadata.json",
  );
  fd.append(
    "worker.mjs",
    new Blob(["export default { fetch() { return new Response('hi'); } };"], { type: "application/javascript+module" }),
    "worker.mjs",
  );
  ok(await emu.api("PUT", "/dispatch/namespaces/bench/scripts/app", { body: fd }), "upload script");
  return emu.workers;
}

async function benchGets(base: string): Promise<{ rps: number; p50: number; p99: number; total: number }> {
  const url = `${base}/dispatch/namespaces/bench/scripts/app`;
  const deadline = performance.now() + GET_SECONDS * 1000;
  const latencies: number[] = [];
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const r = await fetch(url, { headers });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`GET ${r.status}`);
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: GET_CONCURRENCY }, worker));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), total: latencies.length };
}

async function benchUpload(base: string, script: string): Promise<{ mbps: number; bytes: number; seconds: number; buckets: number }> {
  const files = Array.from({ length: ASSET_FILES }, () => randomBytes(ASSET_SIZE_BYTES));
  const hashOf = (b: Buffer): string => createHash("sha256").update(b).digest("hex").slice(0, 32);
  const byHash = new Map(files.map((f) => [hashOf(f), f]));
  const manifest = Object.fromEntries(files.map((f, i) => [`/f${i}.bin`, { hash: hashOf(f), size: f.length }]));
  const start = performance.now();
  const session = (
    await must(
      fetch(`${base}/dispatch/namespaces/bench/scripts/${script}/assets-upload-session`, {
        method: "POST",
        headers,
        body: JSON.stringify({ manifest }),
      }),
      "session",
    )
  ).result;
  const queue: string[][] = [...session.buckets];
  let completion: string | undefined;
  const uploader = async (): Promise<void> => {
    for (let bucket = queue.shift(); bucket; bucket = queue.shift()) {
      const fd = new FormData();
      for (const h of bucket) fd.append(h, new File([byHash.get(h)!.toString("base64")], h, { type: "application/octet-stream" }));
      const r = await fetch(`${base}/assets/upload?base64=true`, {
        method: "POST",
        headers: { authorization: `Bearer ${session.jwt}` },
        body: fd,
      });
      const body = await r.json();
      if (r.status === 201) completion = body.result.jwt;
      else if (r.status !== 202) throw new Error(`upload ${r.status} ${JSON.stringify(body)}`);
    }
  };
  await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, uploader));
  if (!completion) throw new Error("no completion token");
  const seconds = (performance.now() - start) / 1000;
  const bytes = ASSET_FILES * ASSET_SIZE_BYTES;
  return { mbps: bytes / 1e6 / seconds, bytes, seconds, buckets: session.buckets.length };
}

async function run(label: string, dataDir: string | undefined): Promise<string[]> {
  const emu = await startTestEmulator({ dataDir });
  try {
    const base = await setup(emu);
    const gets = await benchGets(base);
    const up = await benchUpload(base, "app");
    return [
      `| ${label} | script GET, ${GET_CONCURRENCY} concurrent, ${GET_SECONDS}s | ${gets.rps.toFixed(0)} req/s | p50 ${gets.p50.toFixed(2)} ms, p99 ${gets.p99.toFixed(2)} ms, ${gets.total} requests |`,
      `| ${label} | asset upload, ${ASSET_FILES} × ${(ASSET_SIZE_BYTES / 1024).toFixed(0)} KiB, ${UPLOAD_CONCURRENCY} concurrent buckets | ${up.mbps.toFixed(1)} MB/s | ${(up.bytes / 1e6).toFixed(1)} MB raw (base64 on the wire) in ${up.seconds.toFixed(2)} s, ${up.buckets} bucket(s), session included |`,
    ];
  } finally {
    await emu.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "wfp-bench-"));
  try {
    const rows = [...(await run("in memory", undefined)), ...(await run("--data-dir", dir))];
    console.log(`\nEmulator benchmark (Node ${process.version}, loopback)\n`);
    console.log("| Mode | Operation | Throughput | Detail |");
    console.log("|---|---|---|---|");
    for (const r of rows) console.log(r);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
