/**
 * CPU and memory limits, contained by process: user Workers run in the tenant pool's workerd, apart from the
 * account-level Workers. A tenant's `while (true) {}` past its dispatch `limits.cpuMs` fails the dispatcher's
 * fetch() with Cloudflare's CPU error (the dispatcher answers 429, as Cloudflare's example does); a neighbour in the
 * pool and another account's Worker keep answering; the pool recovers by itself. A 2 GiB allocation kills only the
 * pool; an upload that spins at startup is refused with 10021 without holding another account's upload.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEFAULT_CPU_MS } from "../../cloudflare/limits";
import type { TailEvent } from "../../emulator/runtime/tail";
import { ACCOUNT, type Harness, scriptForm, start, uniq } from "../helpers/emulator-api";
import { deploy, deployOk, get } from "../helpers/runtime";

const js = (content: string) => ({ "worker.js": { content } });
const OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";
const NS = uniq("limits");

/**
 * Routes `<tenant>.gate.localhost` with a 50 ms CPU budget (`?cpu=0`: the plan's): 429 for a Worker over it, 502
 * for any other error.
 */
const GATE = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  const tenant = url.hostname.split(".")[0];
  const cpuMs = Number(url.searchParams.get("cpu") ?? 50);
  try { return await env.NS.get(tenant, {}, cpuMs ? { limits: { cpuMs } } : {}).fetch(request); }
  catch (e) { return new Response(e.message, { status: e.message === "Worker exceeded CPU time limit." ? 429 : 502 }); }
} };`;

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await start({ workersPort: 0 });
  base = h.emu.workersUrl!;
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
  await deployOk(h, null, "gate", js(GATE), { bindings: [{ type: "dispatch_namespace", name: "NS", namespace: NS }] });
  await deployOk(h, NS, "spin", js(`export default { fetch() { while (true) {} } };`));
  await deployOk(h, NS, "calm", js(`export default { fetch() { return new Response("calm"); } };`));
  await deployOk(
    h,
    NS,
    "later",
    js(`export default { fetch(request, env, ctx) {
  ctx.waitUntil(new Promise(() => setTimeout(() => { while (true) {} }, 50)));
  return new Response("answered");
} };`),
  );
  await deployOk(
    h,
    NS,
    "hog",
    js(
      `export default { fetch() { const a = []; for (let i = 0; i < 2048; i++) a.push(new Array(1 << 17).fill(i)); return new Response(String(a.length)); } };`,
    ),
  );
  const other = await h.api("PUT", `${h.apiBase}/accounts/${OTHER_ACCOUNT}/workers/scripts/elsewhere`, {
    body: scriptForm(
      { main_module: "worker.js", compatibility_date: "2025-06-01" },
      js(`export default { fetch() { return new Response("elsewhere"); } };`),
    ),
  });
  expect(other.status).toBe(200);
  for (const [account, script] of [
    [ACCOUNT, "gate"],
    [OTHER_ACCOUNT, "elsewhere"],
  ])
    expect(
      (await h.api("POST", `${h.apiBase}/accounts/${account}/workers/scripts/${script}/subdomain`, { json: { enabled: true } })).status,
    ).toBe(200);
}, 60_000);

afterAll(() => h?.close());

describe("a user Worker's while(true) under a 50 ms CPU limit", () => {
  test("fails with Cloudflare's CPU error while a neighbour and another account keep answering, and the pool recovers", async () => {
    const events: TailEvent[] = [];
    const unsubscribe = h.emu.runtime!.tail.subscribe({}, (e) => events.push(e));
    const deaths = h.emu.runtime!.supervisor!.deaths;
    const order: string[] = [];
    const spinning = get(base, "spin.gate.localhost").then((r) => {
      order.push("spin");
      return r;
    });
    // Sent while the pool spins: another account's Worker is not in the pool, the neighbour is. The spin must have
    // begun first (the supervisor blames the invocation begun first among those past their budget): on a loaded
    // machine 20 ms was not always enough for its request to get there; the pool is stopped 0.3 s or more later.
    await new Promise((r) => setTimeout(r, 100));
    const elsewhere = get(base, "elsewhere.localhost").then((r) => {
      order.push("elsewhere");
      return r;
    });
    const calm = get(base, "calm.gate.localhost");
    const [s, e, c] = await Promise.all([spinning, elsewhere, calm]);
    expect(s).toMatchObject({ status: 429, text: "Worker exceeded CPU time limit." });
    expect(e).toMatchObject({ status: 200, text: "elsewhere" });
    expect(order[0]).toBe("elsewhere");
    expect(c).toMatchObject({ status: 200, text: "calm" });
    expect(h.emu.runtime!.supervisor!.deaths).toBe(deaths + 1);
    unsubscribe();
    expect(events.find((ev) => ev.scriptName === "spin")).toMatchObject({ outcome: "exceededCpu", dispatchNamespace: NS });

    // Recovered without a restart of the emulator.
    expect(await get(base, "calm.gate.localhost")).toMatchObject({ status: 200, text: "calm" });
  }, 60_000);
});

describe("a loop no invocation reports", () => {
  test("one in waitUntil, after the response, is stopped by the supervisor's background ping, and the pool recovers", async () => {
    const supervisor = h.emu.runtime!.supervisor!;
    const deaths = supervisor.deaths;
    supervisor.stallLimitMs = 1_000;
    try {
      expect(await get(base, "later.gate.localhost", "/?cpu=0")).toMatchObject({ status: 200, text: "answered" });
      const end = Date.now() + 20_000;
      while (supervisor.deaths === deaths && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(supervisor.deaths).toBe(deaths + 1);
      expect(await get(base, "calm.gate.localhost")).toMatchObject({ status: 200, text: "calm" });
    } finally {
      supervisor.stallLimitMs = DEFAULT_CPU_MS;
    }
  }, 60_000);
});

describe("memory", () => {
  test("a 2 GiB allocation kills only the pool, and the dispatcher sees Cloudflare's memory error", async () => {
    const r = await get(base, "hog.gate.localhost", "/?cpu=0");
    expect(r).toMatchObject({ status: 502, text: "Worker exceeded memory limit." });
    expect(await get(base, "elsewhere.localhost")).toMatchObject({ status: 200, text: "elsewhere" });
    expect(await get(base, "calm.gate.localhost")).toMatchObject({ status: 200, text: "calm" });
  }, 60_000);
});

describe("startup CPU", () => {
  test("an upload spinning at module scope is refused with 10021, another account's upload meanwhile succeeds", async () => {
    const spin = deploy(h, NS, "startspin", js(`while (true) {}\nexport default { fetch() { return new Response("never"); } };`));
    await new Promise((r) => setTimeout(r, 20));
    const other = await h.api("PUT", `${h.apiBase}/accounts/${OTHER_ACCOUNT}/workers/scripts/${uniq("meanwhile")}`, {
      body: scriptForm(
        { main_module: "worker.js", compatibility_date: "2025-06-01" },
        js(`export default { fetch() { return new Response("ok"); } };`),
      ),
    });
    expect(other.status).toBe(200);
    const r = await spin;
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ code: 10021, message: "Script startup exceeded CPU time limit." }]);
  }, 60_000);
});
