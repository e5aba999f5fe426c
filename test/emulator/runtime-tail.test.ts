/**
 * Request logs and the live tail (`workersPort`): every invocation of an account-level Worker or a user Worker
 * becomes a Cloudflare tail event, printed as a line naming its Worker (with its console output) and streamed by
 * `/__emulator/tail`, filtered by script or tenant. Internal headers and credentials are dropped or redacted, and a
 * secret binding's value never appears, even when the Worker logs it.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { TailEvent } from "../../emulator/runtime/tail";
import { tail } from "../../emulator/tail-cli";
import { type Harness, start, uniq } from "../helpers/emulator-api";
import { deployOk, get } from "../helpers/runtime";

let h: Harness;
let base: string;
let NS: string;
const SECRET = "sk_live_tail-must-not-leak-7f3a";
const printed: string[] = [];
const js = (content: string) => ({ "worker.js": { content } });

const TENANT = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    console.log("hello from acme", url.pathname, "key=" + env.API_KEY);
    if (url.pathname === "/boom") throw new Error("boom-msg");
    return new Response("acme");
  },
  async scheduled(controller) { console.log("cron ran", controller.cron); },
};`;

const DISPATCHER = `export default {
  async fetch(request, env) {
    console.warn("dispatching");
    return env.DISPATCHER.get(new URL(request.url).hostname.split(".")[0]).fetch(request);
  },
};`;

/** Collects the events of one live tail until stopped. */
function liveTail(filter: Record<string, string>) {
  const events: TailEvent[] = [];
  const controller = new AbortController();
  // Ends when stopped, or when the emulator closes at the end of the file.
  const done = tail({ help: false, url: h.url, format: "json", filter }, (line) => events.push(JSON.parse(line)), controller.signal).catch(
    () => undefined,
  );
  const stop = async () => {
    controller.abort();
    await done;
  };
  return { events, stop };
}

async function until<T>(what: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    printed.push(String(chunk));
    return write(chunk as string, ...(rest as []));
  });
  h = await start({ workersPort: 0, workerLogs: true });
  base = h.emu.workersUrl!;
  NS = uniq("tail");
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
  await deployOk(h, NS, "acme", js(TENANT));
  const secret = await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/acme/secrets`, {
    json: { name: "API_KEY", text: SECRET, type: "secret_text" },
  });
  expect(secret.status).toBe(200);
  await deployOk(h, null, "dispatcher", js(DISPATCHER), { bindings: [{ type: "dispatch_namespace", name: "DISPATCHER", namespace: NS }] });
  expect((await h.api("POST", "/scripts/dispatcher/subdomain", { json: { enabled: true } })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await h?.close();
});

describe("logs and tail", () => {
  test("a tenant's request: its tail event, attributed, redacted, and only to the tails it matches", async () => {
    const acme = liveTail({ tenant: "acme" });
    const dispatcher = liveTail({ script: "dispatcher" });
    await new Promise((r) => setTimeout(r, 200));
    const r = await get(base, "acme.localhost", "/hello?x=1", { authorization: "Bearer user-token-123", "x-wfp-internal-token": "forged" });
    expect(r.text).toBe("acme");
    const e = await until(() => acme.events.find((x) => x.event?.request?.url.includes("/hello")));
    expect(e).toMatchObject({ scriptName: "acme", dispatchNamespace: NS, outcome: "ok" });
    expect(e.event!.request!.method).toBe("GET");
    expect(e.event!.request!.headers.authorization).toBe("[REDACTED]");
    expect(Object.keys(e.event!.request!.headers).filter((k) => k.startsWith("x-wfp-internal"))).toEqual([]);
    expect(e.logs[0]).toMatchObject({ level: "log", message: ["hello from acme", "/hello", "key=[REDACTED]"] });
    expect(typeof e.eventTimestamp).toBe("number");

    const d = await until(() => dispatcher.events.find((x) => x.event?.request?.url.includes("/hello")));
    expect(d).toMatchObject({ scriptName: "dispatcher", outcome: "ok" });
    expect(d.dispatchNamespace).toBeUndefined();
    expect(d.logs.map((l) => [l.level, l.message])).toEqual([["warn", ["dispatching"]]]);
    expect(acme.events.every((x) => x.scriptName === "acme")).toBe(true);
    expect(dispatcher.events.every((x) => x.scriptName === "dispatcher")).toBe(true);
    await acme.stop();
    await dispatcher.stop();
  });

  test("an exception is in the event, and a cron run too", async () => {
    const all = liveTail({ namespace: NS });
    await new Promise((r) => setTimeout(r, 200));
    expect((await get(base, "acme.localhost", "/boom")).status).toBe(500);
    const boom = await until(() => all.events.find((x) => x.event?.request?.url.includes("/boom")));
    expect(boom.outcome).toBe("exception");
    expect(boom.exceptions[0]).toMatchObject({ name: "Error", message: "boom-msg" });

    const run = await fetch(`${h.url}/__emulator/scheduled?namespace=${NS}&script=acme&cron=${encodeURIComponent("*/5 * * * *")}`, {
      method: "POST",
    });
    expect(run.status).toBe(200);
    const cron = await until(() => all.events.find((x) => x.event?.cron !== undefined));
    expect(cron).toMatchObject({ scriptName: "acme", outcome: "ok", event: { cron: "*/5 * * * *" } });
    expect(cron.logs[0]!.message).toEqual(["cron ran", "*/5 * * * *"]);
    await all.stop();
  });

  test("the terminal: one line per invocation naming the Worker, its console output, and never the secret", async () => {
    await get(base, "acme.localhost", "/printed");
    const lines = await until(() => {
      const text = printed.join("");
      return text.includes(`${NS}/acme GET /printed 200`) && text.includes("dispatcher GET /printed 200") ? text : undefined;
    });
    expect(lines).toMatch(new RegExp(`${NS}/acme log: hello from acme /printed key=\\[REDACTED\\]`));
    expect(lines).toMatch(/dispatcher warn: dispatching/);
    expect(lines).not.toContain(SECRET);
  });

  test("every secret of the invocation chain is redacted in every form: short, JSON-escaped, in the dispatcher's event", async () => {
    const secrets = { SHORT: "q7z", QUOTED: 'ab"cd\\ef-quoted', LONGER: "leaky-secret-value-9d2" };
    await deployOk(
      h,
      NS,
      "leaky",
      js(`export default { fetch(request, env) {
  console.log("short " + env.SHORT, JSON.stringify({ q: env.QUOTED }));
  throw new Error("failed with " + env.LONGER + " and " + env.SHORT);
} };`),
      { bindings: Object.entries(secrets).map(([name, text]) => ({ type: "secret_text", name, text })) },
    );
    const all = liveTail({});
    await new Promise((r) => setTimeout(r, 200));
    expect((await get(base, "leaky.localhost", "/leak")).status).toBe(500);
    const events = await until(() => {
      const found = all.events.filter((x) => x.event?.request?.url.includes("/leak"));
      return found.length === 2 && found.every((x) => x.exceptions.length > 0) ? found : undefined;
    });
    await all.stop();
    const strings: string[] = [];
    const collect = (v: unknown): void => {
      if (typeof v === "string") strings.push(v);
      else if (v && typeof v === "object") for (const x of Object.values(v)) collect(x);
    };
    collect(events);
    expect(events.map((e) => e.scriptName).sort()).toEqual(["dispatcher", "leaky"]);
    const forms = Object.values(secrets).flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    for (const form of forms)
      expect(
        strings.filter((x) => x.includes(form)),
        form,
      ).toEqual([]);
    expect(strings.join(" ")).toContain("short [REDACTED]");
  });

  test("the tail endpoint is for loopback callers only", async () => {
    const r = await fetch(`${h.url}/__emulator/tail`, { headers: { origin: "http://evil.example" } });
    expect(r.status).toBe(403);
  });
});
