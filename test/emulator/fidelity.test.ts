/**
 * Behaviours where Cloudflare was found to differ from the first emulator (emulator/README.md, "Fidelity
 * decisions"): missing-script codes per path, namespaces addressed by name only, strict inherit, binding targets,
 * the Worker size limit, namespace create, secrets over plain bindings, the asset manifest limit per plan and a
 * withheld completion JWT.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assetHash, envelopeCodes, type Harness, scriptForm, start, uniq } from "../helpers/emulator-api";

let h: Harness;
let NS: string;
beforeAll(async () => {
  h = await start();
  NS = uniq("fidelity");
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
});
afterAll(async () => {
  await h.close();
});

const scriptPath = (script: string, sub = "", ns = NS) => `/dispatch/namespaces/${ns}/scripts/${script}${sub}`;
const upload = (script: string, metadata: Record<string, unknown>, query = "") =>
  h.api("PUT", `${scriptPath(script)}${query}`, { body: scriptForm({ main_module: "worker.mjs", ...metadata }) });

function settingsForm(settings: Record<string, unknown>): FormData {
  const fd = new FormData();
  fd.append("settings", new Blob([JSON.stringify(settings)], { type: "application/json" }), "settings");
  return fd;
}

describe("a missing script on namespace paths is 10092", () => {
  beforeAll(async () => {
    expect((await upload("present", {})).status).toBe(200);
  });

  test.each([
    ["GET", ""],
    ["DELETE", ""],
    ["GET", "/settings"],
    ["GET", "/content"],
    ["GET", "/bindings"],
    ["GET", "/tags"],
    ["GET", "/secrets"],
    ["PUT", "/secrets"],
  ])("%s .../scripts/{missing}%s → 404 10092", async (method, sub) => {
    const r = await h.api(
      method,
      scriptPath("absent", sub),
      method === "PUT" ? { json: { name: "K", text: "v", type: "secret_text" } } : {},
    );
    expect(r.status).toBe(404);
    expect(r.body.errors).toEqual([{ code: 10092, message: "workers.api.error.environment_not_found" }]);
  });

  test("missingScriptCode overrides it (10007, what distilled's probes saw)", async () => {
    const other = await start({ missingScriptCode: 10007 });
    try {
      expect((await other.api("POST", "/dispatch/namespaces", { json: { name: "n" } })).status).toBe(200);
      const r = await other.api("GET", "/dispatch/namespaces/n/scripts/absent");
      expect(r.body.errors).toEqual([{ code: 10007, message: "workers.api.error.script_not_found" }]);
    } finally {
      await other.close();
    }
  });
});

describe("a namespace is addressed by its name only", () => {
  test("its id in the path → 404 100119, for the namespace and its scripts", async () => {
    const id = (await h.api("GET", `/dispatch/namespaces/${NS}`)).body.result.namespace_id as string;
    for (const [method, path] of [
      ["GET", `/dispatch/namespaces/${id}`],
      ["PUT", `/dispatch/namespaces/${id}`],
      ["DELETE", `/dispatch/namespaces/${id}`],
      ["GET", `/dispatch/namespaces/${id}/scripts`],
      ["PUT", `/dispatch/namespaces/${id}/scripts/present`],
    ] as const) {
      const init =
        method === "PUT" ? (path.includes("/scripts/") ? { body: scriptForm({ main_module: "worker.mjs" }) } : { json: { name: NS } }) : {};
      const r = await h.api(method, path, init);
      expect([r.status, envelopeCodes(r.body)], `${method} ${path}`).toEqual([404, [100119]]);
    }
    expect((await h.api("GET", `/dispatch/namespaces/${NS}`)).status).toBe(200);
  });
});

describe("namespace create and trusted mode", () => {
  test("POST takes only the name (trusted_workers is ignored); PUT sets trusted_workers", async () => {
    const name = uniq("trusted");
    const created = await h.api("POST", "/dispatch/namespaces", { json: { name, trusted_workers: true } });
    expect(created.body.result).toMatchObject({ namespace_name: name, trusted_workers: false });
    const put = await h.api("PUT", `/dispatch/namespaces/${name}`, { json: { name, trusted_workers: true } });
    expect(put.body.result).toMatchObject({ namespace_name: name, trusted_workers: true });
  });
});

describe("strict inherit", () => {
  test("settings PATCH: an inherit of a binding the script lacks → 10057", async () => {
    expect((await upload("inherit-patch", { bindings: [{ name: "A", type: "plain_text", text: "a" }] })).status).toBe(200);
    const r = await h.api("PATCH", scriptPath("inherit-patch", "/settings"), {
      body: settingsForm({ bindings: [{ name: "B", type: "inherit" }] }),
    });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { code: 10057, message: "inherit binding 'B' is invalid: previous version does not have binding named 'B'" },
    ]);
  });
});

describe("bindings to targets that do not exist", () => {
  const dispatch = (name: string, namespace: string) => ({ name, type: "dispatch_namespace", namespace });

  test("a dispatch_namespace binding to a missing namespace → 400 100119, one error per binding; to an existing one → 200", async () => {
    const bad = await upload("dispatcher", { bindings: [dispatch("A", "nope-1"), dispatch("OK", NS), dispatch("B", "nope-2")] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { code: 100119, message: "binding 'A' references dispatch namespace 'nope-1', which does not exist" },
      { code: 100119, message: "binding 'B' references dispatch namespace 'nope-2', which does not exist" },
    ]);
    expect((await h.namespace(NS)).scripts.dispatcher).toBeUndefined();
    expect((await upload("dispatcher", { bindings: [dispatch("OK", NS)] })).status).toBe(200);
    const patch = await h.api("PATCH", scriptPath("dispatcher", "/settings"), {
      body: settingsForm({ bindings: [dispatch("OK", "gone")] }),
    });
    expect([patch.status, envelopeCodes(patch.body)]).toEqual([400, [100119]]);
  });
});

describe("Worker size", () => {
  const big = (bytes: Buffer) =>
    h.api("PUT", scriptPath("big"), {
      body: (() => {
        const fd = scriptForm({ main_module: "worker.mjs" });
        fd.append("blob.bin", new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" }), "blob.bin");
        return fd;
      })(),
    });

  test("over 10 MiB gzip-compressed → 400 10027; the compressed size is what counts", async () => {
    const over = await big(randomBytes(10.5 * 1024 * 1024));
    expect(over.status).toBe(400);
    expect(envelopeCodes(over.body)).toEqual([10027]);
    expect(over.body.errors[0].message).toMatch(/^workers\.api\.error\.script_too_large/);
    // 12 MiB of zeros compress to a few KiB.
    expect((await big(Buffer.alloc(12 * 1024 * 1024))).status).toBe(200);
  });

  test("plan free: 3 MiB, also on the content endpoint", async () => {
    const free = await start({ plan: "free" });
    try {
      await free.api("POST", "/dispatch/namespaces", { json: { name: "f" } });
      expect((await free.api("PUT", "/dispatch/namespaces/f/scripts/s", { body: scriptForm({ main_module: "worker.mjs" }) })).status).toBe(
        200,
      );
      const fd = scriptForm({ main_module: "worker.mjs" });
      fd.append("blob.bin", new Blob([new Uint8Array(randomBytes(3.5 * 1024 * 1024))], { type: "application/octet-stream" }), "blob.bin");
      const r = await free.api("PUT", "/dispatch/namespaces/f/scripts/s/content", { body: fd });
      expect([r.status, envelopeCodes(r.body)]).toEqual([400, [10027]]);
    } finally {
      await free.close();
    }
  });
});

describe("secrets and plain bindings", () => {
  test("a secret PUT on a name a plain binding holds → 400 10053; secrets-bulk too, changing nothing", async () => {
    expect((await upload("plain", { bindings: [{ name: "MODE", type: "plain_text", text: "prod" }] })).status).toBe(200);
    const r = await h.api("PUT", scriptPath("plain", "/secrets"), { json: { name: "MODE", text: "s", type: "secret_text" } });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ code: 10053, message: "Binding name 'MODE' already in use" }]);
    const bulk = await h.api("PATCH", scriptPath("plain", "/secrets-bulk"), {
      json: { secrets: { OTHER: { type: "secret_text", text: "x" }, MODE: { type: "secret_text", text: "s" } } },
    });
    expect(envelopeCodes(bulk.body)).toEqual([10053]);
    const script = (await h.namespace(NS)).scripts.plain;
    expect(script.bindings).toEqual([{ name: "MODE", type: "plain_text" }]);
  });
});

describe("asset manifest limit per plan", () => {
  const manifest = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`/f${i}`, { hash: i.toString(16).padStart(32, "0"), size: 1 }]));
  const session = (t: Harness, ns: string, n: number) =>
    t.api("POST", `/dispatch/namespaces/${ns}/scripts/many/assets-upload-session`, { json: { manifest: manifest(n) } });

  test("Workers Paid by default: 100,000 files; plan free: 20,000", async () => {
    const ok = await session(h, NS, 20_001);
    expect(ok.status, ok.text).toBe(200);
    const over = await session(h, NS, 100_001);
    expect([over.status, envelopeCodes(over.body)]).toEqual([400, [10001]]);
    expect(over.body.errors[0].message).toMatch(/limit is 100000/);
    const free = await start({ plan: "free" });
    try {
      await free.api("POST", "/dispatch/namespaces", { json: { name: "f" } });
      const r = await session(free, "f", 20_001);
      expect(r.body.errors[0].message).toMatch(/limit is 20000/);
    } finally {
      await free.close();
    }
  });
});

describe("a completion JWT that never comes", () => {
  test("withholdCompletionJwt: the last bucket answers 202 {}; a new session lists nothing and hands the completion token", async () => {
    const files = ["<h1>a</h1>", "<h1>b</h1>"];
    const manifest = Object.fromEntries(files.map((f, i) => [`/${i}.html`, { hash: assetHash(f), size: f.length }]));
    const open = () => h.api("POST", scriptPath("withheld", "/assets-upload-session"), { json: { manifest } });
    const first = (await open()).body.result;
    expect(first.buckets.flat()).toHaveLength(2);
    await h.fault({ method: "POST", path: "*/workers/assets/upload", withholdCompletionJwt: true, count: 0 });
    try {
      const fd = new FormData();
      for (const f of files) fd.append(assetHash(f), new Blob([Buffer.from(f).toString("base64")], { type: "text/html" }), assetHash(f));
      const last = await h.api("POST", "/assets/upload?base64=true", { body: fd, token: first.jwt });
      expect([last.status, last.body.result]).toEqual([202, {}]);
    } finally {
      await h.clearFaults();
    }
    const again = (await open()).body.result;
    expect(again.buckets).toEqual([]);
    const put = await upload("withheld", { bindings: [{ name: "ASSETS", type: "assets" }], assets: { jwt: again.jwt } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.result.has_assets).toBe(true);
  });

  test("a rule with only withholdCompletionJwt is valid; one with nothing to do is not", async () => {
    const url = `${h.emu.url}/__emulator/faults`;
    const post = (rule: unknown) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rule) });
    expect((await post({ path: "*", withholdCompletionJwt: true })).status).toBe(200);
    expect((await post({ path: "*" })).status).toBe(400);
    await h.clearFaults();
  });
});

describe("a base URL without /client/v4", () => {
  test("every such path answers a plain JSON 404, not a Cloudflare envelope", async () => {
    const r = await h.api("GET", `${h.emu.url}/accounts/${"0".repeat(32)}/workers/dispatch/namespaces/${NS}`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: "not found" });
  });
});
