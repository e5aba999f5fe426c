/**
 * Red-team cases: input one tenant (or a web page) controls must not break the emulator for everyone, leave state
 * half-applied or reach the operator endpoints. Each case reproduces an attack on the API side; the data directory's
 * own cases (lock, modes, leftovers) are in datadir.test.ts.
 */
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createApp, startEmulator } from "../../emulator/index";
import { parseMultipart } from "../../emulator/model/multipart";
import { ACCOUNT, assetHash, envelopeCodes, scriptForm, start, uniq, type Harness } from "../helpers/emulator-api";

/** The API alone: loading uploads on workerd (validateUploads) is the runtime's, tested there. */
const API_ONLY = { rateLimit: false, validateUploads: false } as const;

let h: Harness;
beforeAll(async () => {
  h = await start(API_ONLY);
});
afterAll(async () => {
  await h?.close();
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "wfp-hard-"));
  dirs.push(d);
  return d;
}

async function namespace(): Promise<string> {
  const name = uniq("hard");
  const r = await h.api("POST", "/dispatch/namespaces", { json: { name } });
  expect(r.status, r.text).toBe(200);
  return name;
}

const entry = (content = "x") => ({ hash: assetHash(content), size: Buffer.byteLength(content) });

describe("a manifest that cannot be laid out as files is refused when the session opens", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["a file that is also a directory of another", { "/a": entry("1"), "/a/b": entry("2") }, /'\/a' is both a file and a directory/],
    ["the same, listed the other way round", { "/a/b/c": entry("1"), "/a/b": entry("2") }, /'\/a\/b' is both a file and a directory/],
    ["the root itself", { "/": entry() }, /empty segment/],
    ["a trailing slash", { "/dir/": entry() }, /empty segment/],
    ["an empty segment", { "/a//b": entry() }, /empty segment/],
    ["a '.' segment", { "/a/./b": entry() }, /'\.' and '\.\.' segments/],
    ["a '..' segment", { "/a/../b": entry() }, /'\.' and '\.\.' segments/],
    ["a segment over 255 bytes", { [`/${"é".repeat(128)}`]: entry() }, /256 bytes, the limit is 255/],
    ["a path over 2,048 bytes (PATH_MAX once laid out)", { [`/${"d".repeat(200)}`.repeat(11)]: entry() }, /2211 bytes, the limit is 2048/],
  ];
  for (const scope of ["namespace", "account"] as const) {
    test.each(cases)(`${scope} scope: %s → 400 10001`, async (_label, manifest, message) => {
      const path = scope === "namespace" ? `/dispatch/namespaces/${await namespace()}/scripts/site` : "/scripts/site";
      const r = await h.api("POST", `${path}/assets-upload-session`, { json: { manifest } });
      expect(r.status, r.text).toBe(400);
      expect(r.body).toMatchObject({ success: false, result: null });
      expect(envelopeCodes(r.body)).toEqual([10001]);
      expect(r.body.errors[0].message).toMatch(message);
    });
  }

  test("a segment of exactly 255 bytes and sibling files under one directory are fine", async () => {
    const ns = await namespace();
    const manifest = { [`/${"a".repeat(255)}`]: entry("1"), "/d/x": entry("2"), "/d/y": entry("3"), "/d/e/z": entry("4") };
    const r = await h.api("POST", `/dispatch/namespaces/${ns}/scripts/site/assets-upload-session`, { json: { manifest } });
    expect(r.status, r.text).toBe(200);
  });
});

describe("bounded input", () => {
  const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

  test("upload metadata nested 20,000 arrays deep → 400 10021 naming the limit; later writes still persist", async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    const base = () => `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
    const auth = { authorization: "Bearer local-dev-token" };
    try {
      await fetch(`${base()}/dispatch/namespaces`, { method: "POST", headers: auth, body: JSON.stringify({ name: "bomb" }) });
      const fd = new FormData();
      fd.append("metadata", new Blob([`{"main_module":"w.mjs","x":${deep(20_000)}}`], { type: "application/json" }), "metadata.json");
      fd.append(
        "w.mjs",
        new Blob(["export default {fetch(){return new Response('')}}"], { type: "application/javascript+module" }),
        "w.mjs",
      );
      const bomb = await fetch(`${base()}/dispatch/namespaces/bomb/scripts/s`, { method: "PUT", headers: auth, body: fd });
      const body = await bomb.json();
      expect(bomb.status, JSON.stringify(body)).toBe(400);
      expect(envelopeCodes(body)).toEqual([10021]);
      expect(body.errors[0].message).toMatch(/nested more than 64 levels deep/);
      const after = await fetch(`${base()}/dispatch/namespaces`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ name: "after" }),
      });
      expect(after.status).toBe(200);
      await emu.close();
      emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
      const list = await (await fetch(`${base()}/dispatch/namespaces`, { headers: auth })).json();
      expect(list.result.map((n: { namespace_name: string }) => n.namespace_name).sort()).toEqual(["after", "bomb"]);
    } finally {
      await emu.close();
    }
  });

  test("a JSON body nested too deep → 400 6007 with the limit, before anything changes", async () => {
    const ns = await namespace();
    expect((await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/s`, { body: scriptForm({ main_module: "worker.mjs" }) })).status).toBe(
      200,
    );
    const r = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/s/secrets`, {
      body: `{"name":"K","type":"secret_text","text":"v","extra":${deep(100)}}`,
      headers: { "content-type": "application/json" },
    });
    expect(r.status, r.text).toBe(400);
    expect(envelopeCodes(r.body)).toEqual([6007]);
    expect(r.body.errors[0].message).toMatch(/nested more than 64 levels deep/);
    expect((await h.api("GET", `/dispatch/namespaces/${ns}/scripts/s/secrets`)).body.result).toEqual([]);
  });

  test("a settings part nested too deep → 400, the script unchanged", async () => {
    const ns = await namespace();
    expect((await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/s`, { body: scriptForm({ main_module: "worker.mjs" }) })).status).toBe(
      200,
    );
    const fd = new FormData();
    fd.append("settings", new Blob([`{"logpush":true,"limits":${deep(5_000)}}`], { type: "application/json" }), "settings");
    const r = await h.api("PATCH", `/dispatch/namespaces/${ns}/scripts/s/settings`, { body: fd });
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors[0].message).toMatch(/nested more than 64 levels deep/);
    expect((await h.api("GET", `/dispatch/namespaces/${ns}/scripts/s/settings`)).body.result.logpush).toBe(false);
  });

  function manyParts(n: number, eol: string): { body: Buffer; contentType: string } {
    const b = "xB";
    const part = `--${b}${eol}Content-Disposition: form-data; name="p"${eol}${eol}${eol}`;
    return { body: Buffer.from(`${part.repeat(n)}--${b}--${eol}`), contentType: `multipart/form-data; boundary=${b}` };
  }

  test.each([
    ["CRLF", "\r\n"],
    ["LF", "\n"],
  ])("50,000 empty multipart parts (%s) → 400 naming the limit, reading no part past it", async (_label, eol) => {
    const ns = await namespace();
    // 10,000 parts, then 40,000 that are not even well-formed (no header terminator, no closing delimiter): the
    // limit is the answer only if the parser never reads past it.
    const { body: first, contentType } = manyParts(10_000, eol);
    const body = Buffer.concat([
      first.subarray(0, first.length - `--xB--${eol}`.length),
      Buffer.from(`--xB${eol}no header terminator`.repeat(40_000)),
    ]);
    const r = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/s`, { body, headers: { "content-type": contentType } });
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors[0].message).toMatch(/more than 10000 parts/);
  });

  test("the parser is linear in parts: 9,000 LF-only modules are read, each byte searched about once", async () => {
    const ns = await namespace();
    const b = "yB";
    const parts = [`--${b}\nContent-Disposition: form-data; name="metadata"\nContent-Type: application/json\n\n{"main_module":"m0.mjs"}\n`];
    for (let i = 0; i < 9_000; i++)
      parts.push(
        `--${b}\nContent-Disposition: form-data; name="m${i}.mjs"; filename="m${i}.mjs"\nContent-Type: application/javascript+module\n\nexport default {fetch(){return new Response("${i}")}}\n`,
      );
    const body = Buffer.from(`${parts.join("")}--${b}--\n`);
    const r = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/s`, {
      body,
      headers: { "content-type": `multipart/form-data; boundary=${b}` },
    });
    expect(r.status, r.text).toBe(200);
    // Each search starts where the last one ended: the bytes the searches pass over add up to about the body's
    // length (a parser searching from the start again would pass over thousands of times as many).
    const indexOf = vi.spyOn(Buffer.prototype, "indexOf");
    let scanned = 0;
    try {
      expect(parseMultipart(body, b)).toHaveLength(9_001);
      // Restoring the spy forgets its calls: they are added up first.
      indexOf.mock.calls.forEach(([, from], i) => {
        if (indexOf.mock.contexts[i] !== body) return;
        const found = indexOf.mock.results[i].value as number;
        scanned += (found < 0 ? body.length : found) - Number(from ?? 0);
      });
    } finally {
      indexOf.mockRestore();
    }
    expect(scanned).toBeGreaterThan(0);
    expect(scanned).toBeLessThan(2 * body.length);
  });
});

describe("names the emulator did not choose are plain names", () => {
  test("GET scripts/constructor (and other Object.prototype names) in an empty namespace → 404", async () => {
    const ns = await namespace();
    for (const name of ["constructor", "__proto__", "tostring", "hasownproperty", "valueof"]) {
      const r = await h.api("GET", `/dispatch/namespaces/${ns}/scripts/${name}`);
      expect(r.status, `${name}: ${r.text}`).toBe(404);
      expect(envelopeCodes(r.body)).toEqual([10092]);
    }
    const acc = await h.api("GET", "/scripts/constructor/settings");
    expect(acc.status, acc.text).toBe(404);
  });

  test("PUT __proto__ and constructor store ordinary scripts: listed, readable, in the state, deletable", async () => {
    const ns = await namespace();
    for (const name of ["__proto__", "constructor"]) {
      const put = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/${name}`, { body: scriptForm({ main_module: "worker.mjs" }) });
      expect(put.status, put.text).toBe(200);
      expect(put.body.result.id).toBe(name);
    }
    const list = await h.api("GET", `/dispatch/namespaces/${ns}/scripts`);
    expect(list.body.result.map((s: { script: { id: string } }) => s.script.id)).toEqual(["__proto__", "constructor"]);
    const got = await h.api("GET", `/dispatch/namespaces/${ns}/scripts/__proto__`);
    expect(got.body.result.script.id).toBe("__proto__");
    const state = await h.namespace(ns);
    expect(Object.keys(state.scripts).sort()).toEqual(["__proto__", "constructor"]);
    expect(state.script_count).toBe(2);
    expect((await h.api("DELETE", `/dispatch/namespaces/${ns}/scripts/__proto__`)).status).toBe(200);
    expect((await h.api("GET", `/dispatch/namespaces/${ns}/scripts/__proto__`)).status).toBe(404);
  });

  test("a service binding to 'constructor' is a missing Worker (10144), not Object", async () => {
    const r = await h.api("PUT", "/scripts/svc-user", {
      body: scriptForm({ main_module: "worker.mjs", bindings: [{ type: "service", name: "S", service: "constructor" }] }),
    });
    expect(r.status, r.text).toBe(400);
    expect(envelopeCodes(r.body)).toEqual([10144]);
  });

  test("binding types, secret names and metadata keys named after Object.prototype are stored as sent", async () => {
    const ns = await namespace();
    const put = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/s`, {
      body: scriptForm({ main_module: "worker.mjs", bindings: [{ type: "constructor", name: "C" }], ["__proto__"]: { cache_options: 1 } }),
    });
    expect(put.status, put.text).toBe(200);
    const settings = await h.api("GET", `/dispatch/namespaces/${ns}/scripts/s/settings`);
    expect(settings.status, settings.text).toBe(200);
    expect(settings.body.result.bindings).toEqual([{ type: "constructor", name: "C" }]);
    expect(settings.body.result.cache_options).toBeUndefined();
    const bulk = await h.api("PATCH", `/dispatch/namespaces/${ns}/scripts/s/secrets-bulk`, {
      body: '{"secrets":{"__proto__":{"type":"secret_text","text":"v"}}}',
      headers: { "content-type": "application/json" },
    });
    expect(bulk.status, bulk.text).toBe(200);
    expect(bulk.text).toContain('"__proto__":{"name":"__proto__","type":"secret_text"}');
    const secrets = await h.api("GET", `/dispatch/namespaces/${ns}/scripts/s/secrets`);
    expect(secrets.body.result).toEqual([{ name: "__proto__", type: "secret_text" }]);
  });
});

/** A raw HTTP request with a chosen Host header (fetch does not let one set it). */
function raw(url: string, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("operator endpoints answer only loopback callers", () => {
  test("a rebinding Host → 403, and nothing is reset", async () => {
    const ns = await namespace();
    const port = new URL(h.emu.url).port;
    for (const host of ["rebind.evil.example", `rebind.evil.example:${port}`, "localhost.evil.example", "127.0.0.1.nip.io"]) {
      const r = await raw(h.emu.url, "POST", "/__emulator/reset", { host, origin: "http://rebind.evil.example" });
      expect(r.status, `${host}: ${r.text}`).toBe(403);
      expect(r.text).toMatch(/loopback/);
    }
    expect(await h.namespace(ns)).toBeDefined();
  });

  test("a peer that is not on loopback → 403, whatever Host it sends (--host 0.0.0.0)", async () => {
    const app = createApp(API_ONLY);
    const from = (remoteAddress: string) =>
      app.request("http://localhost/__emulator/state", { headers: { host: "localhost" } }, { incoming: { socket: { remoteAddress } } });
    for (const peer of ["192.0.2.7", "::ffff:192.0.2.7", "2001:db8::1", "10.0.0.2"]) expect((await from(peer)).status, peer).toBe(403);
    for (const peer of ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"]) expect((await from(peer)).status, peer).toBe(200);
  });

  test("a foreign Origin with a loopback Host → 403", async () => {
    const port = new URL(h.emu.url).port;
    for (const origin of ["http://evil.example", "null", "http://localhost.evil.example"]) {
      const r = await raw(h.emu.url, "GET", "/__emulator/state", { host: `127.0.0.1:${port}`, origin });
      expect(r.status, `${origin}: ${r.text}`).toBe(403);
    }
  });

  test.each(["localhost", "127.0.0.1", "[::1]", "LOCALHOST:8787"])(
    "Host %s (any port), same-origin or no Origin → served",
    async (host) => {
      const port = new URL(h.emu.url).port;
      const r = await raw(h.emu.url, "GET", "/__emulator/faults", {
        host: host.includes(":") && !host.startsWith("[") ? host : `${host}:${port}`,
      });
      expect(r.status, r.text).toBe(200);
      const same = await raw(h.emu.url, "GET", "/__emulator/faults", { host: "localhost", origin: `http://localhost:${port}` });
      expect(same.status, same.text).toBe(200);
    },
  );

  test("the API refuses a browser's request from a foreign origin (403 10000), even with the token; loopback origins pass", async () => {
    const ns = await namespace();
    const path = `/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces/${ns}`;
    const token = { authorization: "Bearer test-token-8c1f0e5a" };
    const foreign = await raw(h.emu.url, "DELETE", path, { ...token, host: "rebind.evil.example", origin: "http://rebind.evil.example" });
    expect(foreign.status, foreign.text).toBe(403);
    expect(envelopeCodes(JSON.parse(foreign.text))).toEqual([10000]);
    expect(await h.namespace(ns)).toBeDefined();
    const local = await raw(h.emu.url, "GET", path, { ...token, origin: "http://localhost:5173" });
    expect(local.status, local.text).toBe(200);
  });

  test("the API itself keeps answering any Host (SDK, wrangler, containers)", async () => {
    const r = await raw(h.emu.url, "GET", `/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces`, {
      host: "emulator.internal:8787",
      authorization: "Bearer test-token-8c1f0e5a",
    });
    expect(r.status, r.text).toBe(200);
  });
});
