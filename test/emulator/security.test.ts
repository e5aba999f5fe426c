/**
 * Emulator security, table-driven over every API route (the app's own route list, so a new route is covered
 * without editing this file): missing, malformed and wrong credentials, asset JWTs used as API tokens
 * and the reverse, completion tokens aimed at another namespace or script, session JWTs aimed at another
 * account, and manifest paths that try to escape. Codes: emulator/README.md.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../../emulator/index";
import { ACCOUNT, TOKEN, assetHash, envelopeCodes, scriptForm, start, type Harness } from "../helpers/emulator-api";

const OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";
const WORKERS = "/client/v4/accounts/:account_id/workers";

/** `[METHOD, path template]` for every API route the emulator registers (Hono's own route list). */
function enumerateRoutes(): Array<[string, string]> {
  const routes = createApp()
    .routes.filter((r) => r.method !== "ALL" && r.path.startsWith(WORKERS))
    .map((r): [string, string] => [r.method, r.path.slice(WORKERS.length)]);
  return [...new Map(routes.map((r) => [r.join(" "), r])).values()];
}

const ROUTES = enumerateRoutes();
const isUpload = (template: string) => template === "/assets/upload";

let h: Harness;
let ns: string;
let nsB: string;
const SCRIPT = "victim";
let sessionJwt: string;
let completionJwt: string;

/** A session for `script` in `namespace` with one file; returns the session JWT and the upload result. */
async function session(namespace: string, script: string, content: string): Promise<{ jwt: string; hash: string }> {
  const hash = assetHash(`${content}`);
  const r = await h.api("POST", `/dispatch/namespaces/${namespace}/scripts/${script}/assets-upload-session`, {
    json: { manifest: { "/index.html": { hash, size: Buffer.byteLength(content) } } },
  });
  expect(r.status, r.text).toBe(200);
  return { jwt: r.body.result.jwt, hash };
}

function uploadForm(hash: string, content: string): FormData {
  const fd = new FormData();
  fd.append(hash, new Blob([Buffer.from(content).toString("base64")], { type: "text/html" }), hash);
  return fd;
}

function fill(template: string, namespace = ns): string {
  return template.replace(":namespace", namespace).replace(":script", SCRIPT).replace(":tag", "t1").replace(":name", "API_KEY");
}

beforeAll(async () => {
  h = await start();
  ns = `sec-a-${process.pid}`;
  nsB = `sec-b-${process.pid}`;
  for (const name of [ns, nsB]) expect((await h.api("POST", "/dispatch/namespaces", { json: { name } })).status).toBe(200);
  for (const [n, s] of [
    [ns, SCRIPT],
    [ns, "other"],
    [nsB, SCRIPT],
  ] as const) {
    const put = await h.api("PUT", `/dispatch/namespaces/${n}/scripts/${s}`, { body: scriptForm({ main_module: "worker.mjs" }) });
    expect(put.status, put.text).toBe(200);
  }
  // A session JWT (one bucket pending) and a completion JWT (after the upload), both for ns/victim.
  const pending = await session(ns, SCRIPT, "<h1>pending</h1>");
  sessionJwt = pending.jwt;
  const done = await session(ns, SCRIPT, "<h1>done</h1>");
  const up = await h.api("POST", "/assets/upload?base64=true", { body: uploadForm(done.hash, "<h1>done</h1>"), token: done.jwt });
  expect(up.status, up.text).toBe(201);
  completionJwt = up.body.result.jwt;
});
afterAll(async () => {
  await h?.emu.close();
});

describe("every route refuses bad credentials", () => {
  test("the routes are the app's and all exist", async () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(23);
    expect(ROUTES).toContainEqual(["POST", "/assets/upload"]);
    expect(ROUTES).toContainEqual(["PATCH", "/scripts/:script/script-settings"]);
    // With the right credential none of them answers "no route" or an auth error: the table hits real handlers.
    // A throwaway namespace: these calls really run, DELETEs included.
    const scratch = `sec-scratch-${process.pid}`;
    expect((await h.api("POST", "/dispatch/namespaces", { json: { name: scratch } })).status).toBe(200);
    for (const p of [`/dispatch/namespaces/${scratch}/scripts/${SCRIPT}`, `/scripts/${SCRIPT}`]) {
      expect((await h.api("PUT", p, { body: scriptForm({ main_module: "worker.mjs" }) })).status).toBe(200);
    }
    for (const [method, template] of ROUTES) {
      const token = isUpload(template) ? sessionJwt : TOKEN;
      const r = await h.api(method, `${fill(template, scratch)}${isUpload(template) ? "?base64=true" : ""}`, {
        token,
        body: method === "GET" ? null : "{}",
        headers: { "content-type": "application/json" },
      });
      expect(
        envelopeCodes(r.body).some((c) => [9106, 6003, 10000, 7003].includes(c)),
        `${method} ${template}: ${r.text}`,
      ).toBe(false);
    }
  });

  type Case = { name: string; headers: () => Record<string, string>; expect: (template: string) => [number, number] };
  const CASES: Case[] = [
    { name: "no credentials", headers: () => ({}), expect: () => [400, 9106] },
    { name: "a malformed Authorization header", headers: () => ({ authorization: "Token abc" }), expect: () => [400, 6003] },
    {
      name: "a wrong token",
      headers: () => ({ authorization: "Bearer not-a-token" }),
      expect: (t) => (isUpload(t) ? [401, 10000] : [403, 10000]),
    },
    {
      name: "a wrong X-Auth-Key",
      headers: () => ({ "x-auth-email": "a@b.c", "x-auth-key": "nope" }),
      expect: (t) => (isUpload(t) ? [401, 10000] : [403, 10000]),
    },
    // An asset JWT is not an API token; an API token is not an upload JWT.
    {
      name: "an upload-session JWT",
      headers: () => ({ authorization: `Bearer ${sessionJwt}` }),
      expect: (t) => (isUpload(t) ? [0, 0] : [403, 10000]),
    },
    {
      name: "a completion JWT",
      headers: () => ({ authorization: `Bearer ${completionJwt}` }),
      expect: (t) => (isUpload(t) ? [401, 10000] : [403, 10000]),
    },
    { name: "the API token", headers: () => ({ authorization: `Bearer ${TOKEN}` }), expect: (t) => (isUpload(t) ? [401, 10000] : [0, 0]) },
  ];

  const table = ROUTES.flatMap(([method, template]) =>
    CASES.map((c) => [`${method} ${template} with ${c.name}`, method, template, c] as const),
  ).filter(([, , template, c]) => c.expect(template)[0] !== 0);

  test.each(table)("%s", async (_title, method, template, c) => {
    const before = JSON.stringify(await (await fetch(`${h.emu.url}/__emulator/state`)).json());
    const r = await h.api(method, `${fill(template)}${isUpload(template) ? "?base64=true" : ""}`, {
      token: null,
      headers: { ...c.headers(), "content-type": "application/json" },
      body: method === "GET" ? null : "{}",
    });
    const [status, code] = c.expect(template);
    expect(r.status, r.text).toBe(status);
    expect(envelopeCodes(r.body)).toEqual([code]);
    expect(r.body).toMatchObject({ success: false, result: null });
    // A refused request changes nothing.
    expect(JSON.stringify(await (await fetch(`${h.emu.url}/__emulator/state`)).json())).toBe(before);
  });
});

describe("asset tokens are bound to their account, namespace and script", () => {
  const deploy = (namespace: string, script: string, jwt: string) =>
    h.api("PUT", `/dispatch/namespaces/${namespace}/scripts/${script}`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt }, bindings: [{ type: "assets", name: "ASSETS" }] }),
    });

  test("a completion token attaches to its own script (control)", async () => {
    const r = await deploy(ns, SCRIPT, completionJwt);
    expect(r.status, r.text).toBe(200);
  });

  test.each([
    ["another script in the same namespace", () => ns, "other"],
    ["the same script name in another namespace", () => nsB, SCRIPT],
  ])("a completion token cannot attach assets to %s", async (_what, namespace, script) => {
    const before = (await (await fetch(`${h.emu.url}/__emulator/state`)).json()).accounts[ACCOUNT].namespaces;
    const r = await deploy(namespace(), script, completionJwt);
    expect(r.status).toBe(400);
    expect(envelopeCodes(r.body)).toEqual([10021]);
    expect(r.body.errors[0].message).toMatch(/different account, namespace or script/);
    const after = (await (await fetch(`${h.emu.url}/__emulator/state`)).json()).accounts[ACCOUNT].namespaces;
    expect(after[namespace()].scripts[script]).toEqual(before[namespace()].scripts[script]);
  });

  test("an upload-session token cannot stand in for a completion token", async () => {
    const r = await deploy(ns, SCRIPT, sessionJwt);
    expect(r.status).toBe(400);
    expect(envelopeCodes(r.body)).toEqual([10021]);
  });

  test("a session JWT of one account cannot upload to another account", async () => {
    const content = `<p>cross-account ${process.pid}</p>`;
    const s = await session(ns, "xacct", content);
    const url = `${h.emu.apiBase}/accounts/${OTHER_ACCOUNT}/workers/assets/upload?base64=true`;
    const r = await h.api("POST", url, { body: uploadForm(s.hash, content), token: s.jwt });
    expect(r.status).toBe(401);
    expect(envelopeCodes(r.body)).toEqual([10000]);
    const state = await (await fetch(`${h.emu.url}/__emulator/state`)).json();
    expect(state.accounts[ACCOUNT].namespaces[ns].blobs).not.toContain(s.hash);
    expect(state.accounts[OTHER_ACCOUNT]).toBeUndefined();
    // The same upload under its own account works: the refusal was about the account only.
    const ok = await h.api("POST", "/assets/upload?base64=true", { body: uploadForm(s.hash, content), token: s.jwt });
    expect(ok.status, ok.text).toBe(201);
  });

  test("a session JWT cannot upload a hash its manifest does not list", async () => {
    const content = "<p>listed</p>";
    const s = await session(ns, "listed", content);
    const stray = "<p>stray</p>";
    const r = await h.api("POST", "/assets/upload?base64=true", { body: uploadForm(assetHash(stray), stray), token: s.jwt });
    expect(r.status).toBe(400);
    expect(envelopeCodes(r.body)).toEqual([10001]);
  });
});

describe("an asset blob holds the bytes its hash names, for every script of the namespace", () => {
  let pads = 0;
  /**
   * Opens `script`'s session for a file under `hash` (its size that of `content`) beside a new file of its own, so
   * the session always has a bucket (its JWT uploads): the JWT, and whether `hash` is asked for.
   */
  async function open(namespace: string, script: string, hash: string, content: string) {
    const pad = `pad ${process.pid} ${pads++}`;
    const manifest = { "/index.html": { hash, size: Buffer.byteLength(content) }, "/pad.txt": { hash: assetHash(pad), size: pad.length } };
    const r = await h.api("POST", `/dispatch/namespaces/${namespace}/scripts/${script}/assets-upload-session`, { json: { manifest } });
    expect(r.status, r.text).toBe(200);
    return { jwt: r.body.result.jwt as string, asked: (r.body.result.buckets as string[][]).flat().includes(hash) };
  }
  /** Uploads `content` under `hash`: 202 while the session's pad is pending, or the refusal. */
  const upload = (jwt: string, hash: string, content: string) =>
    h.api("POST", "/assets/upload?base64=true", { body: uploadForm(hash, content), token: jwt });
  /** The stored bytes of `hash` in `namespace`, as text. */
  async function stored(namespace: string, hash: string): Promise<string | undefined> {
    const id = (await h.api("GET", `/dispatch/namespaces/${namespace}`)).body.result.namespace_id;
    return (await h.emu.emulator.ctx.store.readBlob(id, hash))?.toString("utf8");
  }
  /** A hash of another scheme (salted, as the docs advise for isolation): the emulator cannot recompute it. */
  const salted = (content: string) => assetHash(`tenant-salt:${content}`);

  test("bytes other than those stored under a hash are refused (10001); the stored file stays", async () => {
    const victim = "<h1>victim</h1>";
    const evil = "<h1>evil!!</h1>";
    for (const hash of [assetHash(victim), salted(victim)]) {
      const v = await open(nsB, "victim", hash, victim);
      expect((await upload(v.jwt, hash, victim)).status).toBe(202);
      // The attacker lists the hash (asked for it or not) and sends its own bytes of that size.
      const a = await open(nsB, "attacker", hash, evil);
      const r = await upload(a.jwt, hash, evil);
      expect(r.status, r.text).toBe(400);
      expect(envelopeCodes(r.body)).toEqual([10001]);
      expect(r.body.errors[0].message).toContain(hash);
      expect(await stored(nsB, hash)).toBe(victim);
    }
  });

  test("bytes uploaded first under another file's hash give way to the file's own bytes", async () => {
    const victim = "<h1>victim 2</h1>";
    const hash = assetHash(victim);
    const a = await open(nsB, "squatter", hash, "<h1>squat!!!!</h1>");
    expect((await upload(a.jwt, hash, "<h1>squat!!!!</h1>")).status).toBe(202);
    // The squatter's bytes do not hash to the key: the victim's session asks for the file, and its bytes win.
    const v = await open(nsB, "victim", hash, victim);
    expect(v.asked).toBe(true);
    expect((await upload(v.jwt, hash, victim)).status).toBe(202);
    expect(await stored(nsB, hash)).toBe(victim);
  });

  test("a hash the emulator cannot recompute is reused only by the scripts that uploaded its bytes", async () => {
    const content = "<h1>salted</h1>";
    const hash = salted(content);
    const v = await open(nsB, "victim", hash, content);
    expect((await upload(v.jwt, hash, content)).status).toBe(202);
    // The uploader's next session reuses it; another script's is asked for the bytes (it must hold them).
    expect((await open(nsB, "victim", hash, content)).asked).toBe(false);
    const other = await open(nsB, "claimer", hash, content);
    expect(other.asked).toBe(true);
    expect((await upload(other.jwt, hash, content)).status).toBe(202);
    expect((await open(nsB, "claimer", hash, content)).asked).toBe(false);
    // A hash the emulator recomputes (sha256 of the bytes) is shared across the namespace, as Cloudflare dedupes.
    const plain = "<h1>plain</h1>";
    const p = await open(nsB, "victim", assetHash(plain), plain);
    expect((await upload(p.jwt, assetHash(plain), plain)).status).toBe(202);
    expect((await open(nsB, "claimer", assetHash(plain), plain)).asked).toBe(false);
  });
});

describe("manifest paths that could escape are refused", () => {
  const hash = assetHash("x");
  const post = (p: string) =>
    h.api("POST", `/dispatch/namespaces/${ns}/scripts/paths/assets-upload-session`, { json: { manifest: { [p]: { hash, size: 1 } } } });

  test("a plain /-rooted path is accepted (control)", async () => {
    expect((await post("/assets/app.js")).status).toBe(200);
  });

  test.each([
    ["a relative path", "index.html"],
    ["an empty path", ""],
    ["a leading ..", "../etc/passwd"],
    ["a .. segment", "/a/../../etc/passwd"],
    ["a trailing ..", "/a/.."],
    ["a Windows drive path", "C:\\Windows\\win.ini"],
    ["a Windows drive path with slashes", "C:/Windows/win.ini"],
    ["a UNC path", "\\\\server\\share\\x"],
    ["a backslash-rooted path", "\\etc\\passwd"],
    ["a .. between backslashes", "/a\\..\\..\\etc\\passwd"],
    ["a NUL byte", "/index.html\0.png"],
  ])("%s: %j", async (_what, p) => {
    const r = await post(p);
    expect(r.status, r.text).toBe(400);
    expect(envelopeCodes(r.body)).toEqual([10001]);
  });
});

describe("a hostname belongs to one account", () => {
  const zones = (account: string, name: string) => h.api("POST", `${h.apiBase}/zones`, { json: { account: { id: account }, name } });

  test("another account cannot add a zone of the same name or one under it (1061); its own other zones are fine", async () => {
    const a = await zones(ACCOUNT, "owned-a.test");
    expect(a.status, a.text).toBe(200);
    for (const name of ["owned-a.test", "shop.owned-a.test"]) {
      const b = await zones(OTHER_ACCOUNT, name);
      expect(b.status, `${name}: ${b.text}`).toBe(400);
      expect(envelopeCodes(b.body)).toEqual([1061]);
    }
    expect((await zones(ACCOUNT, "shop.owned-a.test")).status).toBe(200);
    expect((await zones(OTHER_ACCOUNT, "owned-b.test")).status).toBe(200);
  });

  test("another account cannot make a host of one's zone its custom hostname (1406)", async () => {
    const a = await zones(ACCOUNT, "owned-c.test");
    const b = await zones(OTHER_ACCOUNT, "saas-b.test");
    expect([a.status, b.status]).toEqual([200, 200]);
    const ssl = { method: "txt", type: "dv" };
    const taken = await h.api("POST", `${h.apiBase}/zones/${b.body.result.id}/custom_hostnames`, {
      json: { hostname: "app.owned-c.test", ssl },
    });
    expect(taken.status, taken.text).toBe(409);
    expect(envelopeCodes(taken.body)).toEqual([1406]);
    const own = await h.api("POST", `${h.apiBase}/zones/${b.body.result.id}/custom_hostnames`, {
      json: { hostname: "shop.customer-c.test", ssl },
    });
    expect(own.status, own.text).toBe(200);
  });

  test("no zone or custom hostname takes a workers.dev host (`*.localhost`, `*.workers.dev`) of any account's Worker", async () => {
    for (const name of ["dispatcher.localhost", "acme.dispatcher.localhost", "workers.dev", "acme.sub.workers.dev"]) {
      const r = await zones(OTHER_ACCOUNT, name);
      expect(r.status, `${name}: ${r.text}`).toBe(400);
      expect(envelopeCodes(r.body)).toEqual([10001]);
      expect(r.body.errors[0].message).toContain("workers.dev");
    }
    const saas = await zones(OTHER_ACCOUNT, "saas-d.test");
    expect(saas.status, saas.text).toBe(200);
    for (const hostname of ["dispatcher.localhost", "acme.sub.workers.dev"]) {
      const r = await h.api("POST", `${h.apiBase}/zones/${saas.body.result.id}/custom_hostnames`, {
        json: { hostname, ssl: { method: "txt", type: "dv" } },
      });
      expect(r.status, `${hostname}: ${r.text}`).toBe(400);
      expect(envelopeCodes(r.body)).toEqual([10001]);
    }
  });
});
