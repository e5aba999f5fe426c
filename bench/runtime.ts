/**
 * Runtime benchmark: requests per second and p50/p99 latency through the example dispatch Worker to a user Worker
 * and to a static asset, beside the same user Worker (and asset) served directly by Miniflare without our dispatch
 * layer; the time from a script PUT returning to the new code being served; and what validating an upload by
 * loading it adds to a PUT; and how soon many tenants with sites are served. Prints markdown tables. Run:
 * `node dist/bench/runtime.js` (about 2 minutes).
 *
 * BENCH_RT_SECONDS (default 5) per measurement, BENCH_RT_CONCURRENCY (default 8), BENCH_RT_UPDATES (default 10),
 * BENCH_RT_TENANTS (default 100: tenants with a site each, deployed after the rest), BENCH_RT_ONLY=requests (the
 * first tables alone: dispatched against direct).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { Miniflare } from "miniflare";
import { startTestEmulator, type TestEmulator } from "../test/helpers/emulator";
import { deploy, deployOk, routesBinding } from "../test/helpers/runtime";

const SECONDS = Number(process.env.BENCH_RT_SECONDS ?? (process.env.BENCH_QUICK === "1" ? 2 : 5));
const CONCURRENCY = Number(process.env.BENCH_RT_CONCURRENCY ?? 8);
const UPDATES = Number(process.env.BENCH_RT_UPDATES ?? (process.env.BENCH_QUICK === "1" ? 4 : 10));
const TENANTS = Number(process.env.BENCH_RT_TENANTS ?? (process.env.BENCH_QUICK === "1" ? 10 : 100));

const USER_WORKER = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (url.pathname === "/") return new Response("hello from " + env.NAME);
  return env.ASSETS.fetch(request);
} };`;
const ACME_BINDINGS = [
  { type: "plain_text", name: "NAME", text: "acme" },
  { type: "assets", name: "ASSETS" },
];
const PAGE = `<!doctype html><title>bench</title><p>${"static ".repeat(100)}</p>`;
const dispatcherSource = readFileSync(join(__dirname, "../../examples/platform/dispatcher/worker.js"), "utf8");

interface Stats {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

interface Target {
  url: string;
  host: string;
}

/**
 * Closed-loop load: `concurrency` clients, each sending its next request when the previous one ends, to each of the
 * targets in turn: targets measured together see the same machine (a lone request's latency drifts by more than a
 * hop costs). The clients run in a worker thread, off the event loop of the emulator and its workers port, as real
 * clients would.
 */
async function load(targets: Target[], seconds: number, concurrency = CONCURRENCY): Promise<Stats[]> {
  const worker = new Worker(__filename, { workerData: { targets, seconds, concurrency } });
  const [perTarget, elapsed] = await new Promise<[Array<[number[], number]>, number]>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await worker.terminate();
  return perTarget.map(([latencies, errors]) => {
    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
    return { rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), errors };
  });
}

/** The load thread: answers per target [latencies, errors], and the elapsed seconds. */
async function clients(o: { targets: Target[]; seconds: number; concurrency: number }): Promise<void> {
  const perTarget = o.targets.map((t) => ({
    ...t,
    agent: new Agent({ keepAlive: true, maxSockets: o.concurrency }),
    latencies: [] as number[],
    errors: 0,
  }));
  const end = performance.now() + o.seconds * 1000;
  const one = (t: (typeof perTarget)[number]) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(t.url, { agent: t.agent, headers: { host: t.host } }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode !== 200) t.errors++;
          t.latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on("error", () => {
        t.errors++;
        resolve();
      });
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < end) for (const t of perTarget) await one(t);
    }),
  );
  for (const t of perTarget) t.agent.destroy();
  parentPort!.postMessage([perTarget.map((t) => [t.latencies, t.errors]), (performance.now() - started) / 1000]);
}

async function platform(): Promise<{ emu: TestEmulator; base: string }> {
  const emu = await startTestEmulator({ workersPort: 0 });
  const ok = (r: { status: number; text: string }, what: string) => {
    if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.text}`);
  };
  ok(await emu.api("POST", "/dispatch/namespaces", { json: { name: "bench" } }), "namespace");
  await deployOk(
    emu,
    "bench",
    "acme",
    { "worker.js": { content: USER_WORKER } },
    { bindings: ACME_BINDINGS },
    { files: { "/page.html": PAGE } },
  );
  await deployOk(
    emu,
    null,
    "dispatcher",
    { "worker.js": { content: dispatcherSource } },
    {
      bindings: [
        { type: "dispatch_namespace", name: "DISPATCHER", namespace: "bench" },
        { type: "json", name: "PLANS", json: {} },
        await routesBinding(emu, { acme: "free" }, { "acme.example.com": "acme" }),
        { type: "plain_text", name: "ROUTING_DOMAIN", text: "localhost" },
      ],
    },
  );
  ok(await emu.api("POST", "/scripts/dispatcher/subdomain", { json: { enabled: true } }), "subdomain");
  return { emu, base: emu.emu.workersUrl! };
}

async function direct(dir: string): Promise<{ mf: Miniflare; url: string }> {
  writeFileSync(join(dir, "page.html"), PAGE);
  const mf = new Miniflare({
    modules: true,
    script: USER_WORKER,
    compatibilityDate: "2025-06-01",
    bindings: { NAME: "acme" },
    assets: { directory: dir, binding: "ASSETS", routerConfig: { has_user_worker: true } },
    cf: false,
    port: 0,
  });
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { mf, url };
}

const ms = (n: number) => (Number.isNaN(n) ? "–" : n.toFixed(2));

/** A request's answer and how long it took (ms). */
async function timed(url: string, host: string): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  const text = await fetchText(url, host).catch((e: Error) => `error: ${e.message}`);
  return { text, ms: performance.now() - t0 };
}

/**
 * A tenant's `while (true) {}` under a 50 ms CPU limit (the tenant pool, emulator/runtime/pool.ts): how long the
 * looping request takes to fail, and what a neighbour in the pool and another account's Worker sent 20 ms into the
 * loop wait. Run last: it adds a second workers.dev Worker, which ends `acme.localhost`'s routing to the dispatcher.
 */
async function loopBench(emu: TestEmulator, base: string, rounds: number): Promise<void> {
  const gate = `export default { async fetch(request, env) {
    const tenant = new URL(request.url).hostname.split(".")[0];
    try { return await env.NS.get(tenant, {}, { limits: { cpuMs: 50 } }).fetch(request); }
    catch (e) { return new Response(e.message, { status: 429 }); }
  } };`;
  await deployOk(
    emu,
    null,
    "gate",
    { "worker.js": { content: gate } },
    { bindings: [{ type: "dispatch_namespace", name: "NS", namespace: "bench" }] },
  );
  await deployOk(emu, "bench", "spin", { "worker.js": { content: "export default { fetch() { while (true) {} } };" } });
  await deployOk(emu, "bench", "calm", { "worker.js": { content: `export default { fetch() { return new Response("calm"); } };` } });
  const other = "fedcba9876543210fedcba9876543210";
  const form = new FormData();
  form.append(
    "metadata",
    new Blob([JSON.stringify({ main_module: "w.js", compatibility_date: "2025-06-01" })], { type: "application/json" }),
  );
  form.append(
    "w.js",
    new Blob([`export default { fetch() { return new Response("elsewhere"); } };`], { type: "application/javascript+module" }),
    "w.js",
  );
  const put = await emu.api("PUT", `${emu.apiBase}/accounts/${other}/workers/scripts/elsewhere`, { body: form });
  if (put.status !== 200) throw new Error(`elsewhere: ${put.text}`);
  for (const [account, script] of [
    ["0123456789abcdef0123456789abcdef", "gate"],
    [other, "elsewhere"],
  ])
    await emu.api("POST", `${emu.apiBase}/accounts/${account}/workers/scripts/${script}/subdomain`, { json: { enabled: true } });
  if ((await fetchText(`${base}/`, "calm.gate.localhost")) !== "calm") throw new Error("calm does not answer");
  const rows: Record<string, number[]> = { spin: [], neighbour: [], elsewhere: [], after: [] };
  for (let i = 0; i < rounds; i++) {
    const spin = timed(`${base}/`, "spin.gate.localhost");
    await new Promise((r) => setTimeout(r, 20));
    const [s, n, e] = await Promise.all([spin, timed(`${base}/`, "calm.gate.localhost"), timed(`${base}/`, "elsewhere.localhost")]);
    const a = await timed(`${base}/`, "calm.gate.localhost");
    if (s.text !== "Worker exceeded CPU time limit." || n.text !== "calm" || e.text !== "elsewhere" || a.text !== "calm")
      throw new Error(`round ${i}: ${JSON.stringify([s, n, e, a])}`);
    rows.spin!.push(s.ms);
    rows.neighbour!.push(n.ms + 20);
    rows.elsewhere!.push(e.ms);
    rows.after!.push(a.ms);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(`\n### Runtime: a tenant's while(true) under \`limits.cpuMs: 50\` (${rounds} rounds)\n`);
  console.log("| Request | median ms | max ms |");
  console.log("|---|---:|---:|");
  for (const [label, key] of [
    ["the looping tenant's, until its dispatcher sees `Worker exceeded CPU time limit.`", "spin"],
    ["a neighbour in the pool, sent 20 ms into the loop (from the loop's start)", "neighbour"],
    ["another account's Worker, sent 20 ms into the loop", "elsewhere"],
    ["the neighbour again, right after", "after"],
  ] as const)
    console.log(`| ${label} | ${med(rows[key]!).toFixed(0)} | ${Math.max(...rows[key]!).toFixed(0)} |`);
  console.log(`\nPool deaths: ${emu.emu.runtime!.supervisor!.deaths}.`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-runtime-"));
  const { emu, base } = await platform();
  const { mf, url } = await direct(dir);
  try {
    const paths = (path: string): [Target, Target] => [
      { url: `${url}${path}`, host: "localhost" },
      { url: `${base}${path}`, host: "acme.localhost" },
    ];
    // Warm both paths up before measuring.
    await load([...paths("/"), ...paths("/page")], 1, 1);
    // One client: the latency of a request alone, direct and dispatched requests in turn; CONCURRENCY clients: the
    // throughput, with the latency under load, one path at a time.
    for (const clients of [...new Set([1, CONCURRENCY])]) {
      const rows: Array<[string, string, Stats]> = [];
      for (const [target, path] of [
        ["user Worker", "/"],
        ["static asset", "/page"],
      ] as const) {
        const [direct, dispatched] =
          clients === 1
            ? await load(paths(path), SECONDS * 2, 1)
            : [(await load([paths(path)[0]], SECONDS, clients))[0]!, (await load([paths(path)[1]], SECONDS, clients))[0]!];
        rows.push([target, "direct (Miniflare)", direct!], [target, "through the dispatcher", dispatched!]);
      }
      console.log(`\n### Runtime: requests through the dispatcher (${clients} concurrent client(s), ${SECONDS} s per path)\n`);
      console.log("| Target | Path | req/s | p50 ms | p99 ms | p50 vs direct | errors |");
      console.log("|---|---|---:|---:|---:|---:|---:|");
      for (const [target, path, s] of rows) {
        const directRow = rows.find(([t, p]) => t === target && p.startsWith("direct"))![2];
        const ratio = path.startsWith("direct") ? "1.00×" : `${(s.p50 / directRow.p50).toFixed(2)}×`;
        console.log(`| ${target} | ${path} | ${s.rps.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ratio} | ${s.errors} |`);
      }
    }
    if (process.env.BENCH_RT_ONLY === "requests") return;

    // The dispatcher's two ways to a tenant, in one run: its hostname found in the routing KV namespace, and its
    // subdomain (whose plan is one KV read too).
    console.log(`\n### Runtime: a request routed by KV against one routed by subdomain (${SECONDS * 2} s, requests in turn)\n`);
    console.log("| Clients | Routed by | req/s | p50 ms | p99 ms | p50 vs subdomain | errors |");
    console.log("|---:|---|---:|---:|---:|---:|---:|");
    for (const clients of [...new Set([1, CONCURRENCY])]) {
      const [byKv, bySubdomain] = await load(
        [
          { url: `${base}/`, host: "acme.example.com" },
          { url: `${base}/`, host: "acme.localhost" },
        ],
        SECONDS * 2,
        clients,
      );
      for (const [label, s] of [
        ["subdomain (acme.localhost)", bySubdomain!],
        ["KV hostname (acme.example.com)", byKv!],
      ] as const)
        console.log(
          `| ${clients} | ${label} | ${s.rps.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${(s.p50 / bySubdomain!.p50).toFixed(2)}× | ${s.errors} |`,
        );
    }

    // From a PUT returning to the new code being served (the next request waits for the reload).
    const served: number[] = [];
    const puts: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const code = USER_WORKER.replace('"hello from "', `"v${i} from "`);
      const t0 = performance.now();
      const r = await deploy(emu, "bench", "acme", { "worker.js": { content: code } }, { bindings: ACME_BINDINGS, keep_assets: true });
      const t1 = performance.now();
      if (r.status !== 200) throw new Error(`update: ${r.text}`);
      for (;;) {
        const body = await fetchText(`${base}/`, "acme.localhost");
        if (body.startsWith(`v${i} `)) break;
      }
      puts.push(t1 - t0);
      served.push(performance.now() - t1);
    }
    served.sort((a, b) => a - b);
    puts.sort((a, b) => a - b);

    // A new tenant, with a site: handed to the namespace's host like an update.
    const added: number[] = [];
    for (let i = 0; i < Math.min(UPDATES, 4); i++) {
      const name = `new${i}`;
      const worker = `export default { fetch(r, env) { return new URL(r.url).pathname === "/" ? new Response("${name}") : env.ASSETS.fetch(r); } };`;
      const r = await deploy(
        emu,
        "bench",
        name,
        { "worker.js": { content: worker } },
        { bindings: [{ type: "assets", name: "ASSETS" }] },
        { files: { "/page.html": PAGE } },
      );
      const t1 = performance.now();
      if (r.status !== 200) throw new Error(`new tenant: ${r.text}`);
      while ((await fetchText(`${base}/`, `${name}.localhost`)) !== name);
      added.push(performance.now() - t1);
    }
    added.sort((a, b) => a - b);

    // An account-level Worker (the dispatcher) changed: workerd restarts with every Worker.
    const restarted: number[] = [];
    for (let i = 0; i < Math.min(UPDATES, 4); i++) {
      const source = `${dispatcherSource}\n// v${i}\n`;
      const generation = emu.emu.runtime!.generation;
      const r = await deploy(
        emu,
        null,
        "dispatcher",
        { "worker.js": { content: source } },
        { keep_bindings: ["dispatch_namespace", "json", "plain_text", "kv_namespace"] },
      );
      const t1 = performance.now();
      if (r.status !== 200) throw new Error(`dispatcher update: ${r.text}`);
      await fetchText(`${base}/`, "acme.localhost");
      if (emu.emu.runtime!.generation !== generation + 1) throw new Error("the dispatcher's update did not restart workerd");
      restarted.push(performance.now() - t1);
    }
    restarted.sort((a, b) => a - b);

    // Validation's cost: the same PUTs with validation alone (the default without a workers port; its workerd
    // starts at the first upload) and with none.
    const putTimes = async (options: { validateUploads?: boolean }): Promise<{ first: number; rest: number[] }> => {
      const e = await startTestEmulator(options);
      await e.api("POST", "/dispatch/namespaces", { json: { name: "bench" } });
      const times: number[] = [];
      for (let i = 0; i <= UPDATES; i++) {
        const t0 = performance.now();
        await deploy(e, "bench", "acme", { "worker.js": { content: USER_WORKER.replace("hello", `v${i}`) } });
        times.push(performance.now() - t0);
      }
      await e.close();
      const [first, ...rest] = times;
      return { first: first!, rest: rest.sort((a, b) => a - b) };
    };
    const validatedOnly = await putTimes({});
    const plain = await putTimes({ validateUploads: false });
    const plainPuts = plain.rest;

    const med = (a: number[]) => a[Math.floor(a.length / 2)]!;
    console.log(`\n### Runtime: updates (${UPDATES} script PUTs, a new version each)\n`);
    console.log("| Measure | median ms | max ms |");
    console.log("|---|---:|---:|");
    console.log(
      `| PUT returned → new code served (handed to the namespace's host) | ${med(served).toFixed(0)} | ${served.at(-1)!.toFixed(0)} |`,
    );
    console.log(
      `| PUT of a new tenant with a site returned → served (no restart) | ${med(added).toFixed(0)} | ${added.at(-1)!.toFixed(0)} |`,
    );
    console.log(
      `| PUT of the dispatch Worker returned → served (workerd restarted) | ${med(restarted).toFixed(0)} | ${restarted.at(-1)!.toFixed(0)} |`,
    );
    console.log(`| script PUT, uploads validated by loading them (runtime on) | ${med(puts).toFixed(0)} | ${puts.at(-1)!.toFixed(0)} |`);
    console.log(
      `| script PUT, validated, no workers port (first PUT: ${validatedOnly.first.toFixed(0)} ms, the validator starting) | ${med(validatedOnly.rest).toFixed(0)} | ${validatedOnly.rest.at(-1)!.toFixed(0)} |`,
    );
    console.log(`| script PUT, \`validateUploads: false\` | ${med(plainPuts).toFixed(0)} | ${plainPuts.at(-1)!.toFixed(0)} |`);

    // Many tenants with sites: how long until they are served, and a new one after them.
    const start = performance.now();
    for (let i = 0; i < TENANTS; i++)
      await deployOk(
        emu,
        "bench",
        `site${i}`,
        { "worker.js": { content: `export default { fetch(r, env) { return env.ASSETS.fetch(r); } };` } },
        { bindings: [{ type: "assets", name: "ASSETS" }] },
        { files: { "/index.html": `<h1>site${i}</h1>` } },
      );
    const deployed = performance.now();
    const first = await fetchText(`${base}/`, "site0.localhost");
    if (first !== "<h1>site0</h1>") throw new Error(`site0 answered ${first}`);
    const servedFirst = performance.now();
    await deployOk(emu, "bench", "late", { "worker.js": { content: `export default { fetch() { return new Response("late"); } };` } });
    const t = performance.now();
    while ((await fetchText(`${base}/`, "late.localhost")) !== "late");
    const late = performance.now() - t;
    console.log(`\n### Runtime: ${TENANTS} tenants with a site each\n`);
    console.log("| Measure | ms |");
    console.log("|---|---:|");
    console.log(`| ${TENANTS} script PUTs (with their asset uploads) | ${(deployed - start).toFixed(0)} |`);
    console.log(`| then the first request to one of them | ${(servedFirst - deployed).toFixed(0)} |`);
    console.log(`| then a new tenant's PUT returned → served | ${late.toFixed(0)} |`);

    await loopBench(emu, base, UPDATES);
  } finally {
    await mf.dispose();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function fetchText(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

if (isMainThread)
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
else void clients(workerData);
