/**
 * The runtime (`workersPort`): deployed through the API, requested through real HTTP. The example platform's own
 * dispatch and outbound Workers route to user Workers in a namespace: bindings, secrets, outbound parameters,
 * custom limits, live updates and deletes, and uploads validated by loading them. One emulator for the file.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { pickWorker } from "../../emulator/runtime/workers/front.mjs";
import { ACCOUNT, envelopeCodes, type Harness, start, uniq } from "../helpers/emulator-api";
import { deploy, deployOk, get, kvBinding, routesBinding } from "../helpers/runtime";

const example = (p: string) => readFileSync(new URL(`../../examples/platform/${p}`, import.meta.url), "utf8");
const js = (content: string) => ({ "worker.js": { content } });

let h: Harness;
let base: string;
let NS: string;
/** The KV namespace hello reads (SESSIONS) and kvwriter writes (KV). */
let sessions: Awaited<ReturnType<typeof kvBinding>>;
const DISPATCHER = "dispatcher";
let host: (tenant: string) => string;
let echo: Server;
let echoUrl: string;

const HELLO = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (url.pathname === "/kv") { await env.SESSIONS.put("k", url.searchParams.get("v")); return new Response(await env.SESSIONS.get("k")); }
  if (url.pathname === "/kv-read") return new Response(await env.SESSIONS.get(url.searchParams.get("k")));
  if (url.pathname === "/svc") return env.SVC.fetch("http://svc/hi");
  const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(env.API_KEY ?? "")))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return Response.json({ v: 1, path: url.pathname, host: url.hostname, region: env.REGION, features: env.FEATURES, keyDigest: digest,
    version: typeof env.VERSION?.id, internal: Object.keys(env).filter((k) => k.startsWith("__")) });
} };`;

const FETCHER = `export default { async fetch(request, env) {
  const target = new URL(request.url).searchParams.get("url");
  const n = Number(new URL(request.url).searchParams.get("n") ?? 1);
  let last;
  try { for (let i = 0; i < n; i++) last = await fetch(target); } catch (e) { return new Response("error: " + e.message, { status: 500 }); }
  return new Response(last.status + " " + (await last.text()));
} };`;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

beforeAll(async () => {
  echo = createServer((req, res) => res.end(`echo tenant=${req.headers["x-tenant-id"] ?? "-"}`));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/`;
  // The outbound Worker forwards to a local echo server: the operator lets it.
  h = await start({ workersPort: 0, localNetworkWorkers: ["outbound"] });
  base = h.emu.workersUrl!;
  NS = uniq("rt");
  sessions = await kvBinding(h, "SESSIONS");
  host = (tenant) => `${tenant}.${DISPATCHER}.localhost`;
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
  await deployOk(h, null, "outbound", js(example("outbound/worker.js")), {
    bindings: [{ type: "json", name: "BLOCKED_HOSTS", json: ["blocked.example"] }],
  });
  await deployOk(h, null, "svc", js(`export default { fetch() { return new Response("from svc"); } };`));
  await deployOk(h, NS, "hello", js(HELLO), {
    bindings: [
      { type: "plain_text", name: "REGION", text: "eu" },
      { type: "json", name: "FEATURES", json: { reports: true } },
      sessions,
      { type: "version_metadata", name: "VERSION" },
      { type: "service", name: "SVC", service: "svc" },
    ],
  });
  expect(
    (
      await h.api("PUT", `/dispatch/namespaces/${NS}/scripts/hello/secrets`, {
        json: { name: "API_KEY", text: "sk-1", type: "secret_text" },
      })
    ).status,
  ).toBe(200);
  await deployOk(h, NS, "fetcher", js(FETCHER));
  await deployOk(h, NS, "aiuser", js(`export default { fetch() { return new Response("unreachable"); } };`), {
    bindings: [{ type: "ai", name: "AI" }],
  });
  await deployOk(h, null, DISPATCHER, js(example("dispatcher/worker.js")), {
    bindings: [
      {
        type: "dispatch_namespace",
        name: "DISPATCHER",
        namespace: NS,
        outbound: { worker: { service: "outbound" }, params: [{ name: "tenant_id" }] },
      },
      { type: "json", name: "PLANS", json: { small: { subRequests: 2 } } },
      await routesBinding(h, { fetcher: "small" }),
      { type: "plain_text", name: "ROUTING_DOMAIN", text: `${DISPATCHER}.localhost` },
    ],
  });
  expect((await h.api("POST", `/scripts/${DISPATCHER}/subdomain`, { json: { enabled: true } })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await h?.close();
  echo?.close();
});

describe("dispatch through the example dispatch Worker", () => {
  test("a user Worker gets its bindings: plain text, JSON, secret (its value, never shown), version metadata, KV, service", async () => {
    const r = await get(base, host("hello"), "/x?y=1");
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      v: 1,
      path: "/x",
      host: "hello.dispatcher.localhost",
      region: "eu",
      features: { reports: true },
      keyDigest: sha256("sk-1"),
      version: "string",
      internal: [],
    });
    expect((await get(base, host("hello"), "/kv?v=stored")).text).toBe("stored");
    expect((await get(base, host("hello"), "/svc")).text).toBe("from svc");
  });

  test("path routing on the dispatcher's host, and a missing tenant gets the dispatcher's 404", async () => {
    expect(JSON.parse((await get(base, "dispatcher.localhost", "/hello/a/b")).text).path).toBe("/a/b");
    for (const nobody of ["nobody", "constructor"]) {
      const missing = await get(base, host(nobody));
      expect([missing.status, missing.text]).toEqual([404, `No tenant "${nobody}"\n`]);
    }
  });

  test("the outbound Worker sees the user Worker's fetch() with the outbound params, and blocks its listed host", async () => {
    const allowed = await get(base, host("fetcher"), `/?url=${encodeURIComponent(echoUrl)}`);
    expect(allowed.text).toBe("200 echo tenant=fetcher");
    const blocked = await get(base, host("fetcher"), `/?url=${encodeURIComponent("http://api.blocked.example/")}`);
    expect(blocked.text).toBe("403 Outbound request to api.blocked.example is blocked by the platform\n");
  });

  test("custom limits: subRequests is enforced per request", async () => {
    expect((await get(base, host("fetcher"), `/?n=2&url=${encodeURIComponent(echoUrl)}`)).text).toBe("200 echo tenant=fetcher");
    expect((await get(base, host("fetcher"), `/?n=3&url=${encodeURIComponent(echoUrl)}`)).text).toBe("error: Too many subrequests.");
  });

  test("a binding the runtime cannot provide fails the request, naming it", async () => {
    const r = await get(base, host("aiuser"));
    expect(r.status).toBe(500);
    expect(r.text).toContain("AI (ai)");
  });

  test("internal headers from outside never reach a Worker", async () => {
    const r = await get(base, host("fetcher"), `/?url=${encodeURIComponent(echoUrl)}`, {
      "x-wfp-internal-dispatch": '{"o":null,"p":{},"l":{"subRequests":0}}',
    });
    expect(r.text).toBe("200 echo tenant=fetcher");
  });
});

describe("trusted and untrusted namespaces", () => {
  const PROBE = `export default { async fetch(request) {
  let cache;
  try { cache = typeof caches.default.match; } catch (e) { cache = "refused: " + e.message; }
  return Response.json({ cf: request.cf?.country ?? null, copy: new Request(request).cf?.country ?? null, cache });
} };`;
  const setTrust = async (trusted_workers: boolean) =>
    expect((await h.api("PUT", `/dispatch/namespaces/${NS}`, { json: { name: NS, trusted_workers } })).status).toBe(200);

  test("untrusted (the default): no request.cf, caches.default disabled; trusted: both, at the next request", async () => {
    await deployOk(h, NS, "trustprobe", js(PROBE));
    try {
      expect(JSON.parse((await get(base, host("trustprobe"))).text)).toEqual({
        cf: null,
        copy: null,
        cache: "refused: caches.default is disabled in an untrusted dispatch namespace (trusted_workers: false)",
      });
      await setTrust(true);
      expect(JSON.parse((await get(base, host("trustprobe"))).text)).toEqual({ cf: "US", copy: "US", cache: "function" });
      await setTrust(false);
      expect(JSON.parse((await get(base, host("trustprobe"))).text).cf).toBeNull();
    } finally {
      await setTrust(false);
      await h.api("DELETE", `/dispatch/namespaces/${NS}/scripts/trustprobe`);
    }
  });
});

describe("changes are live at the next request", () => {
  test("an upload, a secret change and a delete, each served at the next request", async () => {
    const name = "live";
    const url = `/dispatch/namespaces/${NS}/scripts/${name}`;
    const version = (v: string) => js(`export default { fetch(r, env) { return new Response("${v} " + (env.S ?? "")); } };`);
    await deployOk(h, NS, name, version("one"));
    expect((await get(base, host(name))).text).toBe("one ");
    // Each request right after the API call: it waits for the reload, never sees the old code.
    const served = async (): Promise<[number, string]> => {
      const r = await get(base, host(name));
      return [r.status, r.text];
    };
    await deployOk(h, NS, name, version("two"));
    expect(await served()).toEqual([200, "two "]);
    expect((await h.api("PUT", `${url}/secrets`, { json: { name: "S", text: "s", type: "secret_text" } })).status).toBe(200);
    expect(await served()).toEqual([200, "two s"]);
    expect((await h.api("DELETE", url)).status).toBe(200);
    expect(await served()).toEqual([404, `No tenant "${name}"\n`]);
  });

  test("a new user Worker, new code, a secret change and a delete are served without restarting workerd", async () => {
    const name = "hot";
    const url = `/dispatch/namespaces/${NS}/scripts/${name}`;
    const version = (v: string) => js(`export default { fetch(r, env) { return new Response("${v} " + (env.S ?? "") + env.P); } };`);
    const runtime = h.emu.runtime!;
    await runtime.settle();
    const generation = runtime.generation;
    await deployOk(h, NS, name, version("one"), { bindings: [{ type: "plain_text", name: "P", text: "!" }] });
    expect((await get(base, host(name))).text).toBe("one !");
    // keep_bindings: what the provider sends when only the code changed.
    await deployOk(h, NS, name, version("two"), { keep_bindings: ["plain_text", "secret_text"] });
    expect((await get(base, host(name))).text).toBe("two !");
    expect((await h.api("PUT", `${url}/secrets`, { json: { name: "S", text: "s", type: "secret_text" } })).status).toBe(200);
    expect((await get(base, host(name))).text).toBe("two s!");
    expect((await h.api("DELETE", url)).status).toBe(200);
    expect((await get(base, host(name))).text).toBe(`No tenant "${name}"\n`);
    expect(runtime.generation).toBe(generation);
  });

  test("a site (a single-page app), new code beside it and a new asset set are served without restarting workerd", async () => {
    const name = "hotsite";
    const version = (v: string) =>
      js(`export default { fetch(r, env) { return new URL(r.url).pathname === "/api" ? new Response("${v}") : env.ASSETS.fetch(r); } };`);
    const site = { files: { "/index.html": "<h1>app</h1>" }, config: { not_found_handling: "single-page-application" } };
    const runtime = h.emu.runtime!;
    await runtime.settle();
    const generation = runtime.generation;
    await deployOk(h, NS, name, version("one"), { bindings: [{ type: "assets", name: "ASSETS" }] }, site);
    expect((await get(base, host(name), "/api")).text).toBe("one");
    await deployOk(h, NS, name, version("two"), { keep_assets: true, bindings: [{ type: "assets", name: "ASSETS" }] });
    expect((await get(base, host(name), "/api")).text).toBe("two");
    expect((await get(base, host(name), "/deep/link", { "sec-fetch-mode": "navigate" })).text).toBe("<h1>app</h1>");
    await deployOk(
      h,
      NS,
      name,
      version("three"),
      { bindings: [{ type: "assets", name: "ASSETS" }] },
      { ...site, files: { "/index.html": "<h1>v3</h1>" } },
    );
    expect((await get(base, host(name), "/")).text).toBe("<h1>v3</h1>");
    expect((await get(base, host(name), "/api")).text).toBe("three");
    expect(runtime.generation).toBe(generation);
  });
});

describe("KV across reloads", () => {
  test("a value written before an upload is read after it", async () => {
    await deployOk(
      h,
      NS,
      "kvwriter",
      js(`export default { async fetch(r, env) { await env.KV.put("kept", "yes"); return new Response("ok"); } };`),
      {
        bindings: [{ ...sessions, name: "KV" }],
      },
    );
    expect((await get(base, host("kvwriter"))).text).toBe("ok");
    await deployOk(h, NS, "kvwriter", js(`export default { fetch() { return new Response("v2"); } };`));
    expect((await get(base, host("kvwriter"))).text).toBe("v2");
    // An account-level Worker changed: workerd restarts; the store of that namespace id does not go with it.
    const runtime = h.emu.runtime!;
    const generation = runtime.generation;
    await deployOk(h, null, "svc", js(`export default { fetch() { return new Response("from svc, again"); } };`));
    expect((await get(base, host("hello"), "/kv-read?k=kept")).text).toBe("yes");
    expect(runtime.generation).toBe(generation + 1);
    await deployOk(h, null, "svc", js(`export default { fetch() { return new Response("from svc"); } };`));
  });
});

describe("reloads wait for requests in flight", () => {
  test("a slow response being forwarded when an upload lands completes", async () => {
    const slow = `export default { async fetch(request) {
      if (new URL(request.url).searchParams.has("wait")) await new Promise((r) => setTimeout(r, 600));
      return new Response("slow done");
    } };`;
    await deployOk(h, NS, "slow", js(slow));
    expect((await get(base, host("slow"))).text).toBe("slow done");
    // Forwarded now (nothing pending); the account-level upload below restarts workerd while it runs.
    const pending = get(base, host("slow"), "/?wait");
    await new Promise((r) => setTimeout(r, 150));
    const generation = h.emu.runtime!.generation;
    await deployOk(h, null, "other", js(`export default { fetch() { return new Response("other"); } };`));
    expect(await pending).toMatchObject({ status: 200, text: "slow done" });
    expect((await get(base, host("slow"))).text).toBe("slow done");
    expect(h.emu.runtime!.generation).toBe(generation + 1);
    expect((await h.api("DELETE", "/scripts/other")).status).toBe(200);
  });
});

describe("a restart waits for a response still streaming", () => {
  test("its body is finished before workerd restarts, and the client gets all of it", async () => {
    const streaming = `export default { fetch() {
      const { readable, writable } = new TransformStream();
      const w = writable.getWriter();
      (async () => { await w.write(new TextEncoder().encode("part1 ")); await new Promise((r) => setTimeout(r, 800)); await w.write(new TextEncoder().encode("part2")); await w.close(); })();
      return new Response(readable);
    } };`;
    await deployOk(h, NS, "streaming", js(streaming));
    let firstPart: () => void;
    const started = new Promise<void>((resolve) => {
      firstPart = resolve;
    });
    const body = new Promise<string>((resolve, reject) => {
      const req = request(new URL("/", base), { headers: { host: host("streaming") } }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString("utf8");
          firstPart();
        });
        res.on("end", () => resolve(text));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    // The head and the first part are through: only the rest of the body is to come when the restart is due.
    await started;
    const generation = h.emu.runtime!.generation;
    await deployOk(h, null, "other", js(`export default { fetch() { return new Response("other"); } };`));
    try {
      expect(await body).toBe("part1 part2");
      await h.emu.runtime!.settle();
      expect(h.emu.runtime!.generation).toBe(generation + 1);
    } finally {
      await h.api("DELETE", "/scripts/other");
    }
  });
});

describe("the workers port", () => {
  test("an idle keep-alive connection carries on across a restart: its next request is served, on it, by the new workerd", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = () =>
      new Promise<{ text: string; reused: boolean }>((resolve, reject) => {
        const req = request(new URL("/", base), { agent, headers: { host: host("hello") } }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString("utf8");
          });
          res.on("end", () => resolve({ text, reused: req.reusedSocket }));
        });
        req.on("error", reject);
        req.end();
      });
    try {
      expect(JSON.parse((await send()).text).v).toBe(1);
      const generation = h.emu.runtime!.generation;
      await deployOk(h, null, "other", js(`export default { fetch() { return new Response("other"); } };`));
      const after = await send();
      expect(h.emu.runtime!.generation).toBe(generation + 1);
      expect(after.reused).toBe(true);
      expect(JSON.parse(after.text).v).toBe(1);
    } finally {
      agent.destroy();
      await h.api("DELETE", "/scripts/other");
    }
  });

  test("a 4 MB request body and its 4 MB answer pass through whole", async () => {
    await deployOk(
      h,
      NS,
      "digest",
      js(`export default { async fetch(request) {
        const body = new Uint8Array(await request.arrayBuffer());
        const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", body))].map((b) => b.toString(16).padStart(2, "0")).join("");
        return new Response(body.reverse(), { headers: { "x-digest": hex } });
      } };`),
    );
    const body = randomBytes(4 * 1024 * 1024);
    const r = await new Promise<{ digest: string; bytes: Buffer }>((resolve, reject) => {
      const req = request(new URL("/", base), { method: "POST", headers: { host: host("digest") } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ digest: String(res.headers["x-digest"]), bytes: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(r.digest).toBe(createHash("sha256").update(body).digest("hex"));
    expect(r.bytes.equals(Buffer.from(body).reverse())).toBe(true);
  });

  test("a WebSocket to a user Worker through the dispatcher echoes, and a restart closes it rather than leave it hanging", async () => {
    const echoWs = `export default { fetch(request) {
      if (request.headers.get("upgrade") !== "websocket") return new Response("no upgrade", { status: 426 });
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", (e) => server.send("echo " + e.data));
      return new Response(null, { status: 101, webSocket: client });
    } };`;
    await deployOk(h, NS, "sockets", js(echoWs));
    // Path routing on 127.0.0.1: the client resolves no *.localhost names.
    const ws = new WebSocket(`${base.replace("http://", "ws://")}/sockets/`);
    const messages: string[] = [];
    const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
    ws.addEventListener("message", (e) => messages.push(String(e.data)));
    try {
      await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve);
        ws.addEventListener("error", reject);
      });
      ws.send("one");
      await vi.waitFor(() => expect(messages).toEqual(["echo one"]));
      await deployOk(h, null, "other", js(`export default { fetch() { return new Response("other"); } };`));
      expect(await closed).toBe(1006);
    } finally {
      ws.close();
      await h.api("DELETE", "/scripts/other");
    }
  });

  test("a service binding to an entrypoint its Worker does not export fails only the Worker holding it", async () => {
    await deployOk(h, null, "unbound", js(`export default { fetch(r, env) { return env.S.fetch(r); } };`), {
      bindings: [{ type: "service", name: "S", service: "svc", entrypoint: "Nope" }],
    });
    try {
      expect((await h.api("POST", "/scripts/unbound/subdomain", { json: { enabled: true } })).status).toBe(200);
      const refused = await get(base, "unbound.localhost");
      expect(refused.status).toBe(500);
      expect(refused.text).toContain('S (service: Worker "svc" exports no entrypoint "Nope")');
      expect((await get(base, host("hello"))).status).toBe(200);
    } finally {
      expect((await h.api("DELETE", "/scripts/unbound")).status).toBe(200);
    }
  });

  test("when workerd cannot load the Workers, requests answer 503 with its message; the change that fixes it serves again", async () => {
    // workerd failing to start (what no entry of the API does any more), by hand.
    const runtime = h.emu.runtime as unknown as { miniflare(): Promise<unknown> };
    const miniflare = runtime.miniflare;
    runtime.miniflare = () => Promise.reject(new Error("workerd could not start"));
    try {
      await deployOk(h, null, "svc2", js(`export default { fetch() { return new Response("svc2"); } };`));
      const refused = await get(base, host("hello"));
      expect(refused.status).toBe(503);
      expect(refused.text).toBe("wfp-emulator: the Workers failed to load: workerd could not start\n");
    } finally {
      runtime.miniflare = miniflare;
      expect((await h.api("DELETE", "/scripts/svc2")).status).toBe(200);
    }
    const again = await get(base, host("hello"));
    expect(again.status, again.text).toBe(200);
  });

  test("with two public Workers each is reached by its name, an unknown host gets the port's 404 naming them, and requests carry a placeholder cf", async () => {
    await deployOk(
      h,
      null,
      "cfecho",
      js(`export default { fetch(r) { return Response.json({ country: r.cf?.country, colo: r.cf?.colo }); } };`),
    );
    expect((await h.api("POST", "/scripts/cfecho/subdomain", { json: { enabled: true } })).status).toBe(200);
    try {
      const echoed = await get(base, "cfecho.localhost");
      expect(echoed.status, echoed.text).toBe(200);
      expect(JSON.parse(echoed.text)).toEqual({ country: "US", colo: "DFW" });
      expect((await get(base, host("hello"))).status).toBe(200);
      expect(await get(base, "elsewhere.localhost")).toMatchObject({
        status: 404,
        text: 'wfp-emulator: no Worker with workers.dev on for host "elsewhere.localhost" (Workers: cfecho.localhost, dispatcher.localhost)\n',
      });
    } finally {
      await h.api("DELETE", "/scripts/cfecho");
    }
  });
});

describe("uploads are validated by loading them", () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ["no handler", "export const x = 1;", 10068, /^No event handlers were registered/],
    ["syntax error", "export default { fetch( {", 10021, /^Uncaught SyntaxError/],
    ["throw at startup", "throw new Error('boom'); export default {};", 10021, /^Uncaught Error: boom/],
  ];
  for (const [what, code, errorCode, message] of cases) {
    test(`${what}: ${errorCode}, for namespace and account-level scripts`, async () => {
      for (const ns of [NS, null]) {
        const r = await deploy(h, ns, "bad", js(code));
        expect(r.status, r.text).toBe(400);
        expect(envelopeCodes(r.body)).toEqual([errorCode]);
        expect(r.body.errors[0].message).toMatch(message);
      }
      expect((await h.namespace(NS)).scripts.bad).toBeUndefined();
      expect((await h.state()).accounts[ACCOUNT].workers.scripts.bad).toBeUndefined();
    });
  }
});

describe("service-worker syntax is validated as workerd runs it", () => {
  const sw = (content: string) => ({ "worker.js": { content, type: "application/javascript" } });
  const meta = { main_module: undefined, body_part: "worker.js" };
  const cases: Array<[string, string, number, RegExp]> = [
    ["a syntax error", `addEventListener("fetch", (e) => { e.respondWith(new Response("x")`, 10021, /^Uncaught SyntaxError/],
    ["a throw at startup", `throw new Error("sw boom"); addEventListener("fetch", () => {});`, 10021, /^Uncaught Error: sw boom/],
    ["no listener", "var x = 1;", 10068, /^No event handlers were registered/],
  ];
  test.each(cases)("%s: refused at upload (%s), for namespace and account-level scripts", async (_what, code, errorCode, message) => {
    for (const ns of [NS, null]) {
      const r = await deploy(h, ns, "swbad", sw(code), meta);
      expect(r.status, r.text).toBe(400);
      expect(envelopeCodes(r.body)).toEqual([errorCode]);
      expect(r.body.errors[0].message).toMatch(message);
    }
    expect((await get(base, host("hello"))).status).toBe(200);
  });

  test("sloppy-mode code (a script, not a module) is accepted and served", async () => {
    await deployOk(
      h,
      null,
      "swsloppy",
      sw(`var n = 010; with (Math) n = n + 0; addEventListener("fetch", (e) => e.respondWith(new Response("sloppy " + n)));`),
      meta,
    );
    try {
      expect((await h.api("POST", "/scripts/swsloppy/subdomain", { json: { enabled: true } })).status).toBe(200);
      expect((await get(base, "swsloppy.localhost")).text).toBe("sloppy 8");
    } finally {
      await h.api("DELETE", "/scripts/swsloppy");
    }
  });
});

describe("uploads are validated by default, without the workers port too", () => {
  test("a syntax error is refused; with validateUploads: false it is accepted", async () => {
    for (const validateUploads of [undefined, false]) {
      const e = await start(validateUploads === undefined ? {} : { validateUploads });
      try {
        const r = await deploy(e, null, "bad", js("export default { fetch( {"));
        if (validateUploads === false) expect(r.status, r.text).toBe(200);
        else expect(envelopeCodes(r.body)).toEqual([10021]);
      } finally {
        await e.close();
      }
    }
  });
});

describe("the validator's memory stays bounded", () => {
  /** workerd processes this test process started (each Miniflare instance is one). */
  const workerdChildren = (): number =>
    readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const stat = readFileSync(`/proc/${p}/stat`, "utf8");
          const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
          return comm === "workerd" && Number(rest?.split(" ")[1]) === process.pid;
        } catch {
          return false;
        }
      }).length;

  test("a validator that has loaded its share of distinct Workers is replaced and shut down; validation goes on", async () => {
    await h.emu.runtime!.settle(); // no restart of this file's harness under way
    const others = workerdChildren();
    const e = await start({});
    try {
      const runtime = e.emu.runtime!;
      runtime.validator.loadsPerInstance = 2;
      // workerd keeps every isolate its Worker Loader loaded: 10,000 tenants' uploads grew one to 6 GB.
      for (let i = 0; i < 6; i++)
        await deployOk(e, null, `distinct-${i}`, js(`export default { fetch() { return new Response("${i}"); } };`));
      const bad = await deploy(e, null, "bad", js("export default { fetch( {"));
      expect(envelopeCodes(bad.body)).toEqual([10021]);
      expect(runtime.validator.started).toBe(4);
      await vi.waitFor(() => expect(workerdChildren()).toBe(others + 1), { timeout: 10_000, interval: 100 });
    } finally {
      await e.close();
    }
    await vi.waitFor(() => expect(workerdChildren()).toBe(others), { timeout: 10_000, interval: 100 });
  });
});

describe("Host → Worker", () => {
  const w = (script: string) => ({ script });
  test.each([
    ["dispatcher.localhost", ["dispatcher", "other"], "dispatcher"],
    ["acme.dispatcher.localhost", ["dispatcher", "other"], "dispatcher"],
    ["other.example.workers.dev", ["dispatcher", "other"], "other"],
    ["acme.localhost", ["dispatcher"], "dispatcher"],
    ["127.0.0.1", ["dispatcher"], "dispatcher"],
    ["acme.localhost", ["dispatcher", "other"], undefined],
    // Two accounts' Workers of one name on workers.dev: the name is neither's (no account takes another's host).
    ["dispatcher.localhost", ["dispatcher", "dispatcher", "other"], undefined],
    ["acme.dispatcher.localhost", ["dispatcher", "dispatcher"], undefined],
    ["dispatcher.example.workers.dev", ["dispatcher", "dispatcher"], undefined],
  ])("%s with %j → %s", (hostname, names, expected) => {
    expect(pickWorker(hostname, names.map(w))?.script).toBe(expected);
  });
});
