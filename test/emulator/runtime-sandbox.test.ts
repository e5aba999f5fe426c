/**
 * The runtime as a sandbox: a tenant written to escape its dispatch namespace's outbound Worker, reach the
 * runtime's or the emulator's own sockets, replace or import the runtime's modules, or forge the runtime's internal
 * headers. A loopback server stands for everything on 127.0.0.1 the platform keeps tenants away from: it counts
 * every connection it gets.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { ACCOUNT, type Harness, start, uniq } from "../helpers/emulator-api";
import { deploy, deployOk, get } from "../helpers/runtime";

const js = (content: string) => ({ "worker.js": { content } });

let h: Harness;
let base: string;
let loop: Server;
let loopUrl: string;
let connections = 0;
/** Miniflare's entry (`http://127.0.0.1:PORT`), which routes on `MF-Route-Override`. */
let entryUrl: string;
const GUARDED = uniq("guarded");
const OPEN = uniq("open");
const SW = uniq("sw");
const FORWARDED = uniq("forwarded");

/** Answers every outbound request itself, naming the tenant: a tenant's fetch reaching it never goes further. */
const GUARD = `export default { fetch(request, env) {
  const url = new URL(request.url);
  return new Response("guard " + env.tenant_id + " " + url.hostname, { status: 403 });
} };`;

/** Routes `<tenant>.<gate>.localhost` to the tenant, with the tenant's name as outbound parameter. */
const GATE = `export default { async fetch(request, env) {
  const tenant = new URL(request.url).hostname.split(".")[0];
  try { return await env.NS.get(tenant, {}, { outbound: { tenant_id: tenant } }).fetch(request); }
  catch (e) { return new Response("gate: " + e.message, { status: 502 }); }
} };`;

/** Fetches `?url=` in the way the path names, and answers what came back (or the error). */
const EVIL = `import { connect } from "cloudflare:sockets";
let arm;
const armed = new Promise((r) => (arm = r)).then((url) => fetch(url));
const answer = async (p) => { try { const r = await p; return new Response(r.status + " " + (await r.text())); } catch (e) { return new Response("refused: " + e.message, { status: 599 }); } };
export default { async fetch(request, env) {
  const url = new URL(request.url);
  const target = url.searchParams.get("url");
  if (url.pathname === "/direct") return answer(fetch(target, { headers: { "MF-Route-Override": url.searchParams.get("route") ?? "" } }));
  if (url.pathname === "/scope") { arm(target); return answer(armed); }
  if (url.pathname === "/connect") {
    try {
      const t = new URL(target);
      const socket = connect({ hostname: t.hostname, port: Number(t.port) });
      const w = socket.writable.getWriter();
      await w.write(new TextEncoder().encode("GET / HTTP/1.1\\r\\nhost: x\\r\\nconnection: close\\r\\n\\r\\n"));
      const { value } = await socket.readable.getReader().read();
      return new Response("connected " + new TextDecoder().decode(value));
    } catch (e) { return new Response("refused: " + e.message, { status: 599 }); }
  }
  if (url.pathname === "/svc") {
    const r = await env.ADMIN.fetch("http://admin/", { headers: { "x-wfp-internal-outbound": '{"ROLE":"admin"}', "x-wfp-internal-dispatch": '{"o":0,"p":{"ROLE":"admin"},"l":null}' } });
    return new Response(await r.text());
  }
  const internal = [...request.headers.keys()].filter((k) => k.startsWith("x-wfp-"));
  return Response.json({ internal, env: Object.keys(env) });
} };`;

beforeAll(async () => {
  loop = createServer((_req, res) => res.end("loopback secret"));
  loop.on("connection", () => connections++);
  await new Promise<void>((r) => loop.listen(0, "127.0.0.1", r));
  loopUrl = `http://127.0.0.1:${(loop.address() as AddressInfo).port}/`;
  h = await start({ workersPort: 0 });
  base = h.emu.workersUrl!;
  for (const ns of [GUARDED, OPEN, SW, FORWARDED])
    expect((await h.api("POST", "/dispatch/namespaces", { json: { name: ns } })).status).toBe(200);
  await deployOk(h, null, "guard", js(GUARD));
  await deployOk(
    h,
    null,
    "admin",
    js(
      `export default { fetch(request, env) { return Response.json({ role: env.ROLE ?? null, internal: [...request.headers.keys()].filter((k) => k.startsWith("x-wfp-")) }); } };`,
    ),
    {
      bindings: [{ type: "plain_text", name: "ROLE", text: "user" }],
    },
  );
  const outbound = { worker: { service: "guard" }, params: [{ name: "tenant_id" }] };
  await deployOk(h, null, "gate", js(GATE), { bindings: [{ type: "dispatch_namespace", name: "NS", namespace: GUARDED, outbound }] });
  await deployOk(h, null, "opengate", js(GATE), { bindings: [{ type: "dispatch_namespace", name: "NS", namespace: OPEN }] });
  // An outbound Worker in service-worker syntax: it answers the names of the headers it got.
  const swOutbound = `addEventListener("fetch", (e) => e.respondWith(Response.json([...e.request.headers.keys()])));`;
  await deployOk(
    h,
    null,
    "swguard",
    { "worker.js": { content: swOutbound, type: "application/javascript" } },
    { main_module: undefined, body_part: "worker.js" },
  );
  const swOut = { worker: { service: "swguard" }, params: [{ name: "tenant_id" }] };
  await deployOk(h, null, "swgate", js(GATE), { bindings: [{ type: "dispatch_namespace", name: "NS", namespace: SW, outbound: swOut }] });
  await deployOk(h, SW, "evil", js(EVIL), { bindings: [{ type: "service", name: "ADMIN", service: "admin" }] });
  // The example platform's outbound Worker, which forwards every fetch it does not block.
  const forwarder = readFileSync(new URL("../../examples/platform/outbound/worker.js", import.meta.url), "utf8");
  await deployOk(h, null, "forwarder", js(forwarder), { bindings: [{ type: "json", name: "BLOCKED_HOSTS", json: [] }] });
  const fwdOut = { worker: { service: "forwarder" }, params: [{ name: "tenant_id" }] };
  await deployOk(h, null, "fwdgate", js(GATE), {
    bindings: [{ type: "dispatch_namespace", name: "NS", namespace: FORWARDED, outbound: fwdOut }],
  });
  await deployOk(h, FORWARDED, "evil", js(EVIL));
  await deployOk(h, null, "acctevil", js(EVIL));
  for (const s of ["gate", "opengate", "swgate", "fwdgate", "acctevil"])
    expect((await h.api("POST", `/scripts/${s}/subdomain`, { json: { enabled: true } })).status).toBe(200);
  for (const ns of [GUARDED, OPEN])
    await deployOk(h, ns, "evil", js(EVIL), { bindings: [{ type: "service", name: "ADMIN", service: "admin" }] });
  const mf = (h.emu.runtime as unknown as { mf: { ready: Promise<URL> } }).mf;
  entryUrl = (await mf.ready).origin;
}, 60_000);

afterAll(async () => {
  await h?.close();
  loop?.close();
});

beforeEach(() => {
  connections = 0;
});

/** A GET on the agent's connection (kept alive): its status, and whether the connection was an earlier one. */
function onAgent(agent: Agent, base: string, host: string): Promise<{ status: number; text: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL("/", base), { agent, headers: { host } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString("utf8");
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, reused: req.reusedSocket }));
    });
    req.on("error", reject);
    req.end();
  });
}

const evil = (gate: string, path: string, query: Record<string, string> = {}) =>
  get(base, `evil.${gate}.localhost`, `${path}?${new URLSearchParams(query)}`);

describe("under an outbound Worker, every way out reaches it", () => {
  test("a plain fetch", async () => {
    const r = await evil("gate", "/direct", { url: loopUrl });
    expect(r.text).toBe("403 guard evil 127.0.0.1");
    expect(connections).toBe(0);
  });

  test("a fetch from a promise armed at module scope", async () => {
    const r = await evil("gate", "/scope", { url: loopUrl });
    expect(r.text).toBe("403 guard evil 127.0.0.1");
    expect(connections).toBe(0);
  });

  test("connect() is refused, as Cloudflare refuses it under an outbound Worker", async () => {
    const r = await evil("gate", "/connect", { url: loopUrl });
    expect(r.status, r.text).toBe(599);
    expect(connections).toBe(0);
  });
});

describe("without an outbound Worker, loopback and private addresses are out of reach", () => {
  test("the loopback server, the emulator's API and Miniflare's entry", async () => {
    const targets: Array<[string, Record<string, string>]> = [
      [loopUrl, {}],
      [`${h.url}/__emulator/state`, {}],
      [`${entryUrl}/`, { route: "acct:0123456789abcdef0123456789abcdef:admin" }],
      ["http://10.0.0.1:9/", {}],
    ];
    for (const [url, extra] of targets) {
      const r = await evil("opengate", "/direct", { url, ...extra });
      expect(r.status, `${url}: ${r.text}`).toBe(599);
    }
    expect(connections).toBe(0);
  });

  test("connect() to loopback", async () => {
    const r = await evil("opengate", "/connect", { url: loopUrl });
    expect(r.status, r.text).toBe(599);
    expect(connections).toBe(0);
  });
});

describe("no Worker reaches the emulator or loopback unless the operator names it", () => {
  /** The emulator's API, its operator endpoints, its workers port, a loopback server. */
  const targets = () => [`${h.url}/client/v4/accounts/${ACCOUNT}/workers/scripts`, `${h.url}/__emulator/state`, `${base}/`, loopUrl];

  test("a tenant through the example's forwarding outbound Worker", async () => {
    for (const url of targets()) {
      const r = await get(base, "evil.fwdgate.localhost", `/direct?${new URLSearchParams({ url })}`);
      expect(r.status, `${url}: ${r.text}`).toBe(599);
    }
    expect(connections).toBe(0);
  });

  test("an account-level Worker, by fetch() and by connect()", async () => {
    for (const url of targets()) {
      const r = await get(base, "acctevil.localhost", `/direct?${new URLSearchParams({ url })}`);
      expect(r.status, `${url}: ${r.text}`).toBe(599);
    }
    const connect = await get(base, "acctevil.localhost", `/connect?${new URLSearchParams({ url: loopUrl })}`);
    expect(connect.status, connect.text).toBe(599);
    expect(connections).toBe(0);
  });
});

describe("the runtime's modules are not the tenant's", () => {
  test("a module named like the runtime's entry is refused at upload", async () => {
    for (const name of ["__wfp_entry.js", "__wfp/wrap.mjs", "__wfp/patch.mjs"]) {
      const r = await deploy(h, GUARDED, uniq("replacer"), { "worker.js": { content: EVIL }, [name]: { content: "export default {};" } });
      expect(r.status, r.text).toBe(400);
      expect(r.body.errors[0].message).toContain(name);
    }
  });

  test("importing the runtime's hook module gets the tenant nothing", async () => {
    // A dynamic import: the upload's validation cannot see it.
    const importer = `export default { async fetch(request) {
  // The runtime's modules as they were (__wfp_patch.js) and are (__wfp/patch.mjs): whatever they hand out.
  const hook = { ...(await import("./__wfp_" + "patch.js").catch(() => ({}))), ...(await import("./__wfp/" + "patch.mjs").catch(() => ({}))) };
  let store = hook.als;
  try { store ??= hook.take && hook.take(); } catch {}
  const target = new URL(request.url).searchParams.get("url");
  const run = (f) => (store ? store.exit(f) : f());
  try { const r = await run(() => fetch(target)); return new Response(r.status + " " + (await r.text())); }
  catch (e) { return new Response("refused: " + e.message, { status: 599 }); }
} };`;
    const r = await deploy(h, GUARDED, "importer", js(importer));
    if (r.status === 200) {
      const answer = await get(base, "importer.gate.localhost", `/?url=${encodeURIComponent(loopUrl)}`);
      expect(answer.text).not.toContain("loopback secret");
    } else expect(r.status, r.text).toBe(400);
    expect(connections).toBe(0);
  });
});

describe("internal headers never cross a hop", () => {
  test("the tenant sees none, and no internal env keys", async () => {
    const r = JSON.parse((await evil("gate", "/")).text);
    expect(r.internal).toEqual([]);
    expect(r.env).toEqual(["ADMIN"]);
  });

  test("forged over a service binding, they rewrite nothing", async () => {
    const r = JSON.parse((await evil("gate", "/svc")).text);
    expect(r).toEqual({ role: "user", internal: [] });
  });

  test("an outbound Worker without the runtime's wrapper (service-worker syntax) gets no internal header", async () => {
    const r = await evil("swgate", "/direct", { url: "http://example.com/" });
    expect(r.text).toMatch(/^200 \[/);
    const names: string[] = JSON.parse(r.text.slice(4));
    expect(names.filter((n) => n.startsWith("x-wfp-"))).toEqual([]);
  });

  test("sent from outside, they reach no Worker", async () => {
    const g = await get(base, "evil.gate.localhost", "/", { "x-wfp-internal-script": "other", "x-wfp-internal-outbound": "{}" });
    expect(JSON.parse(g.text).internal).toEqual([]);
  });
});

describe("a Worker that fails to load fails only its own requests", () => {
  let h2: Harness;
  let base2: string;
  const NS2 = uniq("loadfail");

  beforeAll(async () => {
    // Unvalidated uploads: how broken code gets in (and what a data dir from elsewhere may hold).
    h2 = await start({ workersPort: 0, validateUploads: false });
    base2 = h2.emu.workersUrl!;
    expect((await h2.api("POST", "/dispatch/namespaces", { json: { name: NS2 } })).status).toBe(200);
    await deployOk(h2, null, "gate", js(GATE), { bindings: [{ type: "dispatch_namespace", name: "NS", namespace: NS2 }] });
    await deployOk(h2, null, "broken", js("export default { fetch( {"));
    for (const s of ["gate", "broken"])
      expect((await h2.api("POST", `/scripts/${s}/subdomain`, { json: { enabled: true } })).status).toBe(200);
    await deployOk(h2, NS2, "good", js(`export default { fetch() { return new Response("good"); } };`));
    await deployOk(h2, NS2, "thrower", js(`throw new Error("boom at startup"); export default {};`));
  }, 60_000);

  afterAll(async () => {
    await h2?.close();
  });

  test("the others answer; the broken ones answer their error", async () => {
    expect((await get(base2, "good.gate.localhost")).text).toBe("good");
    const thrower = await get(base2, "thrower.gate.localhost");
    expect(thrower.status).toBe(502);
    expect(thrower.text).toContain("boom at startup");
    const broken = await get(base2, "broken.localhost");
    expect(broken.status).toBe(500);
    expect(broken.text).toContain("SyntaxError");
  });

  test("a zone route without a Worker, and a route and a domain naming a deleted Worker, turn off only their hosts", async () => {
    const zone = `${uniq("routes")}.test`;
    const created = await h2.api("POST", `${h2.apiBase}/zones`, { json: { account: { id: ACCOUNT }, name: zone } });
    expect(created.status, created.text).toBe(200);
    const zoneId = created.body.result.id;
    await deployOk(h2, null, "doomed", js(`export default { fetch() { return new Response("doomed"); } };`));
    const routes = [{ pattern: `static.${zone}/*` }, { pattern: `gone.${zone}/*`, script: "doomed" }];
    for (const json of routes) expect((await h2.api("POST", `${h2.apiBase}/zones/${zoneId}/workers/routes`, { json })).status).toBe(200);
    const domain = { hostname: `app.${zone}`, service: "doomed", zone_id: zoneId };
    expect((await h2.api("PUT", "/domains", { json: domain })).status).toBe(200);
    expect((await get(base2, `gone.${zone}`)).text).toBe("doomed");
    expect((await h2.api("DELETE", "/scripts/doomed")).status).toBe(200);
    expect((await get(base2, "good.gate.localhost")).text).toBe("good");
    const offRoute = await get(base2, `static.${zone}`);
    expect(offRoute.status).toBe(404);
    expect(offRoute.text).toContain(`route "static.${zone}/*" runs no Worker`);
    expect((await get(base2, `gone.${zone}`)).status).toBe(404);
  });

  test("an application/json module is refused at upload (10021), validation off too: no Worker is broken by one", async () => {
    const notJson = {
      "worker.js": { content: `import c from "./c.json"; export default { fetch() { return Response.json(c); } };` },
      "c.json": { content: "{not json", type: "application/json" },
    };
    for (const r of [await deploy(h2, NS2, "badjson", notJson), await deploy(h, GUARDED, "badjson", notJson)]) {
      expect(r.status, r.text).toBe(400);
      expect(r.body.errors[0].code).toBe(10021);
    }
    expect((await get(base2, "good.gate.localhost")).text).toBe("good");
  });

  test("tenants named like Object.prototype's and the table's own keys are tenants like any other", async () => {
    const names = ["__proto__", "constructor", "version", "shape", "code", "assets"];
    for (const name of names)
      await deployOk(h2, NS2, name, js(`export default { fetch() { return new Response(${JSON.stringify(name)}); } };`));
    for (const name of names) expect((await get(base2, `${name}.gate.localhost`)).text, name).toBe(name);
    for (const name of names) expect((await h2.api("DELETE", `/dispatch/namespaces/${NS2}/scripts/${name}`)).status).toBe(200);
    for (const name of names) expect((await get(base2, `${name}.gate.localhost`)).text, name).toContain("Worker not found");
    expect((await get(base2, "good.gate.localhost")).text).toBe("good");
  });

  test("a connection kept alive across a failed reload sees its outcome, as a new one does, and then the next one's", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // workerd failing to load (what no entry of the API does any more), by hand.
    const runtime = h2.emu.runtime as unknown as { miniflare(): Promise<unknown> };
    const miniflare = runtime.miniflare;
    try {
      await deployOk(h2, null, "doomed", js(`export default { fetch() { return new Response("doomed"); } };`));
      expect((await h2.api("POST", "/scripts/doomed/subdomain", { json: { enabled: true } })).status).toBe(200);
      expect((await onAgent(agent, base2, "doomed.localhost")).text).toBe("doomed");
      runtime.miniflare = () => Promise.reject(new Error("workerd could not start"));
      expect((await h2.api("DELETE", "/scripts/doomed")).status).toBe(200);
      // The failed reload's outcome on the old connection (the 503 closes it), not the deleted Worker.
      const after = await onAgent(agent, base2, "doomed.localhost");
      expect(after.status, after.text).toBe(503);
      expect(after.reused).toBe(true);
      runtime.miniflare = miniflare;
      await deployOk(h2, null, "other", js(`export default { fetch() { return new Response("other"); } };`));
      const fixed = await onAgent(agent, base2, "doomed.localhost");
      expect(fixed.status, fixed.text).toBe(404);
      expect(fixed.text).toContain('no Worker with workers.dev on for host "doomed.localhost"');
    } finally {
      runtime.miniflare = miniflare;
      agent.destroy();
      await h2.api("DELETE", "/scripts/other");
    }
  });

  test("and the emulator starts with them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wfp-loadfail-"));
    try {
      const first = await start({ dataDir, validateUploads: false });
      await deployOk(first, null, "broken", js("export default { fetch( {"));
      // Service-worker syntax, which workerd runs as it is: not parsing, and throwing at startup.
      const sw = (content: string) => ({ "worker.js": { content, type: "application/javascript" } });
      const swMeta = { main_module: undefined, body_part: "worker.js" };
      await deployOk(first, null, "swbroken", sw(`addEventListener("fetch", (e) => { e.respondWith(new Response("x")`), swMeta);
      await deployOk(first, null, "swthrows", sw(`throw new Error("sw boom"); addEventListener("fetch", () => {});`), swMeta);
      await deployOk(first, null, "fine", js(`export default { fetch() { return new Response("fine"); } };`));
      // A service binding to an entrypoint its Worker does not export.
      await deployOk(first, null, "unbound", js(`export default { fetch(r, env) { return env.S.fetch(r); } };`), {
        bindings: [{ type: "service", name: "S", service: "fine", entrypoint: "Nope" }],
      });
      for (const s of ["broken", "swbroken", "swthrows", "fine", "unbound"])
        expect((await first.api("POST", `/scripts/${s}/subdomain`, { json: { enabled: true } })).status).toBe(200);
      await first.close();
      // It says which Workers fail to start, once each.
      const said: string[] = [];
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
        said.push(String(chunk));
        return true;
      });
      const again = await start({ dataDir, workersPort: 0, validateUploads: false }).finally(() => stderr.mockRestore());
      try {
        for (const name of ["broken", "swbroken", "swthrows"]) {
          const lines = said.filter((l) => l.includes(`Worker "${name}" fails to start`));
          expect(lines, said.join("")).toHaveLength(1);
          expect(lines[0]).toMatch(/its requests answer why: Uncaught /);
        }
        expect(said.join("")).not.toContain('Worker "fine"');
        expect((await get(again.emu.workersUrl!, "fine.localhost")).text).toBe("fine");
        expect((await get(again.emu.workersUrl!, "broken.localhost")).status).toBe(500);
        const swBroken = await get(again.emu.workersUrl!, "swbroken.localhost");
        expect(swBroken.status).toBe(500);
        expect(swBroken.text).toMatch(/^wfp-emulator: this Worker failed to start: Uncaught SyntaxError/);
        expect((await get(again.emu.workersUrl!, "swthrows.localhost")).text).toContain("Uncaught Error: sw boom");
        expect((await get(again.emu.workersUrl!, "unbound.localhost")).text).toContain('exports no entrypoint "Nope"');
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("workerd dies with the emulator", () => {
  const isWorkerd = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd";
    } catch {
      return false;
    }
  };
  const workerdChildren = (pid: number) =>
    readdirSync(`/proc/${pid}/task`)
      .flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" "))
      .filter((child) => child && isWorkerd(child));

  test("a killed emulator (SIGKILL) leaves no workerd running", async () => {
    const cli = new URL("../../dist/emulator/cli.js", import.meta.url).pathname;
    const child = spawn(process.execPath, [cli, "--port", "0", "--workers-port", "0", "--quiet-workers"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("workers on ")) resolve();
        });
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
      });
      // The watchdog notes workerd within a scan or two.
      await new Promise((r) => setTimeout(r, 1_000));
      const workerd = workerdChildren(child.pid!);
      expect(workerd.length).toBeGreaterThan(0);
      const exit = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exit;
      const deadline = Date.now() + 10_000;
      while (workerd.some(isWorkerd) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(workerd.filter(isWorkerd)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
