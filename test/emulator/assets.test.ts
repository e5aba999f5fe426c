/** Static assets: upload sessions, buckets and dedupe, the JWT-authenticated upload, completion tokens on PUT. */
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator/index";
import { ACCOUNT, TOKEN, assetHash, envelopeCodes, scriptForm, start, uniq, type Harness } from "../helpers/emulator-api";

let h: Harness;
beforeAll(async () => {
  h = await start();
});
afterAll(async () => {
  await h.emu.close();
});

interface Asset {
  path: string;
  content: string;
  type?: string;
}

const manifestOf = (assets: Asset[]) =>
  Object.fromEntries(assets.map((a) => [a.path, { hash: assetHash(a.content), size: Buffer.byteLength(a.content) }]));

async function newNamespace(): Promise<string> {
  const name = uniq("assets");
  await h.cf.workersForPlatforms.dispatch.namespaces.create({ account_id: ACCOUNT, name });
  return name;
}

async function session(ns: string, script: string, manifest: Record<string, { hash: string; size: number }>) {
  return h.api("POST", `/dispatch/namespaces/${ns}/scripts/${script}/assets-upload-session`, { json: { manifest } });
}

/** Uploads one bucket the way wrangler does: File parts named by hash, base64 bodies, with content types. */
async function uploadBucket(jwt: string, bucket: string[], assets: Asset[], baseUrl = h.workers) {
  const fd = new FormData();
  for (const hash of bucket) {
    const a = assets.find((x) => assetHash(x.content) === hash)!;
    fd.append(hash, new File([Buffer.from(a.content).toString("base64")], hash, { type: a.type ?? "text/html" }));
  }
  return h.api("POST", `${baseUrl}/assets/upload?base64=true`, { body: fd, token: jwt });
}

const SITE: Asset[] = [
  { path: "/index.html", content: "<h1>home</h1>" },
  { path: "/about/index.html", content: "<h1>about</h1>" },
  { path: "/style.css", content: "body{}", type: "text/css" },
  { path: "/copy-of-index.html", content: "<h1>home</h1>" },
];

describe("assets upload session", () => {
  test("SDK assetUpload.create returns a JWT and buckets of missing hashes, each once", async () => {
    const ns = await newNamespace();
    const res = await h.cf.workersForPlatforms.dispatch.namespaces.scripts.assetUpload.create("site", {
      account_id: ACCOUNT,
      dispatch_namespace: ns,
      manifest: manifestOf(SITE),
    });
    expect(res.jwt!.split(".")).toHaveLength(3);
    const payload = JSON.parse(Buffer.from(res.jwt!.split(".")[1]!, "base64url").toString());
    expect(payload).toMatchObject({ sub: "session", acc: ACCOUNT, scr: "site" });
    expect(payload.exp - payload.iat).toBe(3600);
    const all = res.buckets!.flat();
    expect(all.sort()).toEqual([...new Set(SITE.map((a) => assetHash(a.content)))].sort());
  });

  test("manifest validation: paths, hashes, sizes, file count; missing namespace", async () => {
    const ns = await newNamespace();
    const good = { hash: "a".repeat(32), size: 1 };
    const bad: Array<[string, unknown]> = [
      ["no leading slash", { "index.html": good }],
      ["dot-dot", { "/a/../b": good }],
      ["NUL", { "/a\u0000b": good }],
      ["short hash", { "/a": { hash: "abc", size: 1 } }],
      ["uppercase hash", { "/a": { hash: "A".repeat(32), size: 1 } }],
      ["fractional size", { "/a": { ...good, size: 1.5 } }],
      ["negative size", { "/a": { ...good, size: -1 } }],
      ["oversized entry", { "/big.bin": { ...good, size: 25 * 1024 * 1024 + 1 } }],
      ["not a manifest", []],
    ];
    for (const [label, manifest] of bad) {
      const r = await session(ns, "v", manifest as never);
      expect(r.status, label).toBe(400);
      expect(r.body.success, label).toBe(false);
    }
    expect((await session(ns, "v", { "/ok": { ...good, size: 25 * 1024 * 1024 } })).status).toBe(200);
    const missing = await session("no-such-ns", "v", { "/a": good });
    expect(envelopeCodes(missing.body)).toEqual([100119]);
    const malformed = await h.api("POST", `/dispatch/namespaces/${ns}/scripts/v/assets-upload-session`, {
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(envelopeCodes(malformed.body)).toEqual([6007]);
  });

  test("maxAssetFiles limits the manifest; buckets hold at most 2000 files and are deterministic", async () => {
    const emu = await startEmulator({ port: 0, maxAssetFiles: 2500, rateLimit: false });
    try {
      const base = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
      const headers = { authorization: "Bearer local-dev-token", "content-type": "application/json" };
      await fetch(`${base}/dispatch/namespaces`, { method: "POST", headers, body: JSON.stringify({ name: "many" }) });
      const manifest = (n: number) =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`/f${i}`, { hash: assetHash(`file-${i}`), size: 10 }]));
      const post = (m: unknown) =>
        fetch(`${base}/dispatch/namespaces/many/scripts/s/assets-upload-session`, {
          method: "POST",
          headers,
          body: JSON.stringify({ manifest: m }),
        });
      const tooMany = await post(manifest(2501));
      expect(tooMany.status).toBe(400);
      const r1 = (await (await post(manifest(2500))).json()).result;
      expect(r1.buckets.map((b: string[]) => b.length)).toEqual([2000, 500]);
      const r2 = (await (await post(manifest(2500))).json()).result;
      expect(r2.buckets).toEqual(r1.buckets);
    } finally {
      await emu.close();
    }
  });
});

describe("assets upload", () => {
  test("202 while hashes remain, 201 with the completion token at the end; content types recorded", async () => {
    const ns = await newNamespace();
    const { body } = await session(ns, "site", manifestOf(SITE));
    const { jwt, buckets } = body.result as { jwt: string; buckets: string[][] };
    const hashes = buckets.flat();
    expect(hashes).toHaveLength(3);
    const first = await uploadBucket(jwt, hashes.slice(0, 1), SITE);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ success: true, result: {} });
    const last = await uploadBucket(jwt, hashes.slice(1), SITE);
    expect(last.status).toBe(201);
    const completion = last.body.result.jwt as string;
    expect(JSON.parse(Buffer.from(completion.split(".")[1]!, "base64url").toString()).sub).toBe("completion");

    const snapshot = (await (await fetch(`${h.emu.url}/__emulator/state`)).json()).accounts[ACCOUNT].namespaces[ns];
    expect(snapshot.blobs).toEqual([...hashes].sort());
    expect(snapshot.blob_content_types[assetHash("body{}")]).toBe("text/css");

    const put = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/site`, {
      body: scriptForm({
        main_module: "worker.mjs",
        bindings: [{ name: "ASSETS", type: "assets" }],
        assets: { jwt: completion, config: { not_found_handling: "404-page" } },
      }),
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.result.has_assets).toBe(true);
    const s = (await (await fetch(`${h.emu.url}/__emulator/state`)).json()).accounts[ACCOUNT].namespaces[ns].scripts.site;
    expect(s.assets).toEqual({
      manifest: Object.fromEntries(SITE.map((a) => [a.path, assetHash(a.content)])),
      config: { not_found_handling: "404-page" },
    });

    // keep_assets keeps the files; without it (and without a jwt) the version has no assets.
    const kept = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/site`, {
      body: scriptForm({ main_module: "worker.mjs", keep_assets: true }),
    });
    expect(kept.body.result.has_assets).toBe(true);
    const dropped = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/site`, { body: scriptForm({ main_module: "worker.mjs" }) });
    expect(dropped.body.result.has_assets).toBe(false);
  });

  test("SDK workers.assets.upload.create with the JWT as Bearer (plain fields, no content type)", async () => {
    const ns = await newNamespace();
    const assets = [{ path: "/a.txt", content: "sdk-upload" }];
    const { jwt, buckets } = (await session(ns, "sdk", manifestOf(assets))).body.result;
    const res = await h.cf.workers.assets.upload.create(
      { account_id: ACCOUNT, base64: true, body: { [buckets[0][0]]: Buffer.from("sdk-upload").toString("base64") } },
      { headers: { Authorization: `Bearer ${jwt}` } },
    );
    expect(res?.jwt).toBeTruthy();
    const snapshot = (await (await fetch(`${h.emu.url}/__emulator/state`)).json()).accounts[ACCOUNT].namespaces[ns];
    expect(snapshot.blob_content_types[assetHash("sdk-upload")]).toBeNull();
  });

  test("dedupe across two scripts of one namespace; not across namespaces; empty buckets → completion token", async () => {
    const ns = await newNamespace();
    const { jwt, buckets } = (await session(ns, "one", manifestOf(SITE))).body.result;
    const done = await uploadBucket(jwt, buckets.flat(), SITE);
    expect(done.status).toBe(201);
    // A second script with an overlapping manifest only needs the new file.
    const more = [...SITE, { path: "/extra.js", content: "console.log(1)", type: "text/javascript" }];
    const second = (await session(ns, "two", manifestOf(more))).body.result;
    expect(second.buckets).toEqual([[assetHash("console.log(1)")]]);
    // The same manifest again: nothing to upload, and the JWT is already a completion token usable on PUT.
    const third = (await session(ns, "one", manifestOf(SITE))).body.result;
    expect(third.buckets).toEqual([]);
    const put = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/one`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt: third.jwt } }),
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.result.has_assets).toBe(true);
    // Another namespace does not share the store.
    const other = await newNamespace();
    expect((await session(other, "one", manifestOf(SITE))).body.result.buckets.flat()).toHaveLength(3);
  });

  test("bad uploads: unknown hash, bad base64, size mismatch, missing base64=true", async () => {
    const ns = await newNamespace();
    const assets = [{ path: "/x.txt", content: "hello" }];
    const { jwt } = (await session(ns, "bad", manifestOf(assets))).body.result;
    const send = (fd: FormData, q = "?base64=true") => h.api("POST", `/assets/upload${q}`, { body: fd, token: jwt });
    const unknown = new FormData();
    unknown.append("f".repeat(32), Buffer.from("hello").toString("base64"));
    expect((await send(unknown)).status).toBe(400);
    const badB64 = new FormData();
    badB64.append(assetHash("hello"), "not base64!!");
    expect((await send(badB64)).status).toBe(400);
    const wrongSize = new FormData();
    wrongSize.append(assetHash("hello"), Buffer.from("hello!").toString("base64"));
    expect((await send(wrongSize)).status).toBe(400);
    const ok = new FormData();
    ok.append(assetHash("hello"), Buffer.from("hello").toString("base64"));
    expect((await send(ok, "")).status).toBe(400);
    expect((await send(ok)).status).toBe(201);
  });

  test("wrong credentials: API token on upload → 401; JWT as API token → 403; completion token on upload → 401; forged → 401", async () => {
    const ns = await newNamespace();
    const assets = [{ path: "/x.txt", content: "creds" }];
    const { jwt } = (await session(ns, "creds", manifestOf(assets))).body.result;
    const fd = () => {
      const f = new FormData();
      f.append(assetHash("creds"), Buffer.from("creds").toString("base64"));
      return f;
    };
    const withToken = await h.api("POST", "/assets/upload?base64=true", { body: fd(), token: TOKEN });
    expect(withToken.status).toBe(401);
    expect(envelopeCodes(withToken.body)).toEqual([10000]);
    const asApiToken = await h.api("GET", "/dispatch/namespaces", { token: jwt });
    expect(asApiToken.status).toBe(403);
    const [hd, pl] = jwt.split(".");
    const forged = `${hd}.${pl}.${"A".repeat(43)}`;
    expect((await h.api("POST", "/assets/upload?base64=true", { body: fd(), token: forged })).status).toBe(401);
    const noAuth = await h.api("POST", "/assets/upload?base64=true", { body: fd(), token: null });
    expect(envelopeCodes(noAuth.body)).toEqual([9106]);
    const done = await h.api("POST", "/assets/upload?base64=true", { body: fd(), token: jwt });
    expect(done.status).toBe(201);
    const again = await h.api("POST", "/assets/upload?base64=true", { body: fd(), token: done.body.result.jwt });
    expect(again.status).toBe(401);
  });

  test("a completion token is bound to its account, namespace and script", async () => {
    const ns = await newNamespace();
    const assets = [{ path: "/x.txt", content: "bound" }];
    const { jwt } = (await session(ns, "owner", manifestOf(assets))).body.result;
    const done = await uploadBucket(jwt, [assetHash("bound")], assets);
    const completion = done.body.result.jwt;
    const other = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/thief`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt: completion } }),
    });
    expect(other.status).toBe(400);
    expect(envelopeCodes(other.body)).toEqual([10021]);
    const otherNs = await newNamespace();
    const crossNs = await h.api("PUT", `/dispatch/namespaces/${otherNs}/scripts/owner`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt: completion } }),
    });
    expect(crossNs.status).toBe(400);
    // A session token is not a completion token.
    const { jwt: sessionJwt } = (await session(ns, "owner", manifestOf([{ path: "/y", content: "not uploaded" }]))).body.result;
    const early = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/owner`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt: sessionJwt } }),
    });
    expect(early.status).toBe(400);
    const garbage = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/owner`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt: "x.y.z" } }),
    });
    expect(garbage.status).toBe(400);
    const owned = await h.api("PUT", `/dispatch/namespaces/${ns}/scripts/owner`, {
      body: scriptForm({ main_module: "worker.mjs", assets: { jwt: completion } }),
    });
    expect(owned.status, owned.text).toBe(200);
  });

  test("JWT expiry: expired session and completion tokens are refused", async () => {
    let now = Date.UTC(2026, 0, 1);
    const emu = await startEmulator({ port: 0, rateLimit: false, jwtTtlSeconds: 2, now: () => now });
    try {
      const base = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
      const headers = { authorization: "Bearer local-dev-token" };
      await fetch(`${base}/dispatch/namespaces`, { method: "POST", headers, body: JSON.stringify({ name: "exp" }) });
      const assets = [
        { path: "/a", content: "expiring" },
        { path: "/b", content: "later" },
      ];
      const open = async () =>
        (
          await (
            await fetch(`${base}/dispatch/namespaces/exp/scripts/s/assets-upload-session`, {
              method: "POST",
              headers,
              body: JSON.stringify({ manifest: manifestOf(assets) }),
            })
          ).json()
        ).result;
      const first = await open();
      const payload = JSON.parse(Buffer.from(first.jwt.split(".")[1], "base64url").toString());
      expect(payload.exp - payload.iat).toBe(2);
      now += 3_000;
      const expired = await uploadBucket(first.jwt, [assetHash("expiring")], assets, base);
      expect(expired.status).toBe(401);
      expect(envelopeCodes(expired.body)).toEqual([10000]);
      expect(expired.body.errors[0].message).toMatch(/expired/i);
      // A fresh session resumes; the completion token then expires too.
      const second = await open();
      const done = await uploadBucket(second.jwt, second.buckets.flat(), assets, base);
      expect(done.status).toBe(201);
      now += 3_000;
      const fd = scriptForm({ main_module: "worker.mjs", assets: { jwt: done.body.result.jwt } });
      const put = await fetch(`${base}/dispatch/namespaces/exp/scripts/s`, { method: "PUT", headers, body: fd });
      expect(put.status).toBe(400);
      expect((await put.json()).errors[0].message).toMatch(/expired/);
    } finally {
      await emu.close();
    }
  });

  test("concurrent bucket uploads: the set completes exactly once all hashes are stored", async () => {
    const ns = await newNamespace();
    const assets = Array.from({ length: 12 }, (_, i) => ({ path: `/f${i}.txt`, content: `content ${i}` }));
    const { jwt, buckets } = (await session(ns, "conc", manifestOf(assets))).body.result;
    const hashes: string[] = buckets.flat();
    const results = await Promise.all(hashes.map((hash) => uploadBucket(jwt, [hash], assets)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 202)).toHaveLength(11);
  });
});

test("SDK error classes for assets: a 404 namespace is a NotFoundError", async () => {
  const err = await h.cf.workersForPlatforms.dispatch.namespaces.scripts.assetUpload
    .create("x", { account_id: ACCOUNT, dispatch_namespace: "nope-ns", manifest: {} })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Cloudflare.NotFoundError);
});
