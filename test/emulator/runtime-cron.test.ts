/**
 * Cron triggers in the runtime (`workersPort`): a user Worker's and an account-level Worker's scheduled() run on
 * demand (the operator's trigger) and on time (the scheduler's tick, with a chosen clock), with the cron and time
 * Cloudflare passes. The Workers record each run in a KV namespace an account Worker serves back.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Harness, start, uniq } from "../helpers/emulator-api";
import { deployOk, get, kvBinding } from "../helpers/runtime";

let h: Harness;
let base: string;
let NS: string;
const js = (content: string) => ({ "worker.js": { content } });

const RECORDER = (key: string) => `export default {
  async fetch() { return new Response("tenant"); },
  async scheduled(controller, env) {
    if (controller.cron === "0 0 1 1 *") throw new Error("refused");
    await env.RUNS.put(${JSON.stringify(key)}, controller.cron + "@" + controller.scheduledTime);
  },
};`;

const READER = `export default {
  async fetch(request, env) { return new Response(await env.RUNS.get(new URL(request.url).pathname.slice(1)) ?? "none"); },
  async scheduled(controller, env) { await env.RUNS.put("account", controller.cron + "@" + controller.scheduledTime); },
};`;

const runs = async (key: string) => (await get(base, "reader.localhost", `/${key}`)).text;
const trigger = async (q: string) => {
  const r = await fetch(`${h.url}/__emulator/scheduled?${q}`, { method: "POST" });
  return { status: r.status, body: (await r.json()) as { outcome?: string; error?: string } };
};

beforeAll(async () => {
  h = await start({ workersPort: 0 });
  base = h.emu.workersUrl!;
  NS = uniq("crons");
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
  const KV = await kvBinding(h, "RUNS");
  await deployOk(h, NS, "tenant", js(RECORDER("tenant")), { bindings: [KV] });
  await deployOk(h, NS, "other", js(RECORDER("other")), { bindings: [KV] });
  await deployOk(h, null, "reader", js(READER), { bindings: [KV] });
  expect((await h.api("POST", "/scripts/reader/subdomain", { json: { enabled: true } })).status).toBe(200);
  const schedules = await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/tenant/schedules`, { json: [{ cron: "*/5 * * * *" }] });
  expect(schedules.status).toBe(200);
  expect((await h.api("PUT", "/scripts/reader/schedules", { json: [{ cron: "5 3 * * *" }] })).status).toBe(200);
}, 60_000);

afterAll(async () => h?.close());

// One scenario: the last step changes the schedules the tick step relies on, so the order holds under --sequence.shuffle.
describe("cron triggers", { shuffle: false }, () => {
  test("on demand: a user Worker's scheduled() runs directly with its first cron, or the one asked for, and the time", async () => {
    expect(await trigger(`namespace=${NS}&script=tenant&time=1767225600000`)).toEqual({
      status: 200,
      body: { outcome: "ok", noRetry: false },
    });
    expect(await runs("tenant")).toBe("*/5 * * * *@1767225600000");
    expect((await trigger(`namespace=${NS}&script=tenant&cron=${encodeURIComponent("0 12 * * mon")}&time=5`)).body.outcome).toBe("ok");
    expect(await runs("tenant")).toBe("0 12 * * mon@5");
    // A handler that throws: Cloudflare's outcome for it.
    expect((await trigger(`namespace=${NS}&script=tenant&cron=${encodeURIComponent("0 0 1 1 *")}`)).body.outcome).toBe("exception");
  });

  test("without the Workers' logs there is no tail (its cost is a round trip per invocation)", async () => {
    const r = await fetch(`${h.url}/__emulator/tail`);
    expect(r.status).toBe(409);
    expect(await r.text()).toMatch(/--quiet-workers/);
  });

  test("on demand: an account-level Worker's scheduled()", async () => {
    expect((await trigger("script=reader&time=7")).body).toEqual({ outcome: "ok", noRetry: false });
    expect(await runs("account")).toBe("5 3 * * *@7");
  });

  test("on time: the tick fires what is due in its minute, each Worker its own cron, and nothing else", async () => {
    const runtime = h.emu.runtime!;
    const at = Date.UTC(2026, 2, 2, 3, 5, 17);
    const minute = at - 17_000;
    const fired = await runtime.cron.tick(new Date(at));
    expect(fired.map((f) => [f.target.namespace ?? "", f.target.script, f.cron, f.outcome]).sort()).toEqual(
      [
        ["", "reader", "5 3 * * *", "ok"],
        [NS, "tenant", "*/5 * * * *", "ok"],
      ].sort(),
    );
    expect(await runs("tenant")).toBe(`*/5 * * * *@${minute}`);
    expect(await runs("account")).toBe(`5 3 * * *@${minute}`);
    expect(await runs("other")).toBe("none");
    expect(await runtime.cron.tick(new Date(Date.UTC(2026, 2, 2, 3, 6)))).toEqual([]);
  });

  test("a schedule changed through the API is what the next tick runs", async () => {
    await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/other/schedules`, { json: [{ cron: "7 * * * *" }] });
    await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/tenant/schedules`, { json: [] });
    const fired = await h.emu.runtime!.cron.tick(new Date(Date.UTC(2026, 2, 2, 4, 7)));
    expect(fired.map((f) => f.target.script)).toEqual(["other"]);
    expect(await runs("other")).toBe(`7 * * * *@${Date.UTC(2026, 2, 2, 4, 7)}`);
  });
});
