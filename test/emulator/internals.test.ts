/** Units under the API: the multipart parser, fault path matching, bucketing, and the in-process Hono app. */
import { describe, expect, test } from "vitest";
import { createApp } from "../../emulator/index";
import { buildMultipart, multipartBoundary, parseMultipart } from "../../emulator/model/multipart";
import { compilePath, FaultInjector, RateLimiter } from "../../emulator/faults";
import { bucketize } from "../../emulator/routes/assets";
import { ACCOUNT } from "../helpers/emulator-api";

describe("multipart", () => {
  test("parses names, filenames, content types, escaped quotes and binary data; round-trips with the builder", async () => {
    const bin = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
    const { body, contentType } = buildMultipart([
      { name: "metadata", data: Buffer.from('{"a":1}') },
      { name: "bin", filename: "x.bin", contentType: "application/octet-stream", data: bin },
    ]);
    const parts = parseMultipart(body, multipartBoundary(contentType)!);
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ["metadata", undefined, undefined],
      ["bin", "x.bin", "application/octet-stream"],
    ]);
    expect(parts[1]!.data.equals(bin)).toBe(true);
    // The builder's output is also what fetch's FormData parser reads.
    const fd = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } }).formData();
    expect(fd.get("metadata")).toBe('{"a":1}');
  });

  test("accepts a quoted boundary and a preamble; rejects truncated bodies and parts without a name", () => {
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe("a b");
    expect(multipartBoundary("application/json")).toBeUndefined();
    const ok = Buffer.from('preamble\r\n--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nv\r\n--B--\r\n');
    expect(parseMultipart(ok, "B")[0]!.data.toString()).toBe("v");
    const escaped = Buffer.from('--B\r\nContent-Disposition: form-data; name="we\\"ird"; filename="a;b.js"\r\n\r\nv\r\n--B--');
    expect(parseMultipart(escaped, "B").map((p) => [p.name, p.filename])).toEqual([['we"ird', "a;b.js"]]);
    expect(() => parseMultipart(Buffer.from('--B\r\nContent-Disposition: form-data; name="x"\r\n\r\nv'), "B")).toThrow(/truncated/);
    expect(() => parseMultipart(Buffer.from("--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n--B--"), "B")).toThrow(/name/);
  });
});

describe("faults", () => {
  test("path patterns are URLPattern pathnames matched against the whole path", () => {
    const match = (pattern: string, path: string): boolean => compilePath(pattern).test({ pathname: path });
    expect(match("/client/v4/accounts/:a/workers/dispatch/namespaces", "/client/v4/accounts/abc/workers/dispatch/namespaces")).toBe(true);
    expect(match("/client/v4/accounts/:a/workers/dispatch/namespaces", "/client/v4/accounts/abc/workers/dispatch/namespaces/x")).toBe(
      false,
    );
    // `*` crosses segments; a plain path matches only itself.
    expect(match("/client/v4/*/scripts/:s", "/client/v4/accounts/a/workers/dispatch/namespaces/n/scripts/s")).toBe(true);
    expect(match("*/tags", "/client/v4/a/tags")).toBe(true);
    expect(match("/client/v4/x/scripts/s", "/client/v4/x/scripts/s/settings")).toBe(false);
    expect(match("*/scripts/(a|b)", "/client/v4/x/scripts/b")).toBe(true);
    expect(() => compilePath("/a/((")).toThrow(/URLPattern/);
  });

  test("the matcher needs no global URLPattern (Node 22): named groups with a regex, escapes, literal regex characters", () => {
    const match = (pattern: string, path: string): boolean => compilePath(pattern).test({ pathname: path });
    expect(match("/s/:name(a+)", "/s/aaa")).toBe(true);
    expect(match("/s/:name(a+)", "/s/ab")).toBe(false);
    expect(match("/a.b", "/a.b")).toBe(true);
    expect(match("/a.b", "/axb")).toBe(false);
    expect(match("/a\\*b", "/a*b")).toBe(true);
    expect(match("/a\\*b", "/axyb")).toBe(false);
    expect(match("/:a", "/x/y")).toBe(false);
    expect(match("/x+y", "/x+y")).toBe(true);
    for (const bad of ["/a/(", "/:", "/a/()", "/(?<x)", "/a\\"]) expect(() => compilePath(bad), bad).toThrow(/invalid fault path pattern/);
  });

  test("count, after and unlimited rules", () => {
    const f = new FaultInjector();
    f.add([{ path: "/a", status: 500, count: 2, after: 1 }]);
    expect([1, 2, 3, 4].map(() => f.match("GET", "/a")?.status)).toEqual([undefined, 500, 500, undefined]);
    f.add([{ path: "/b", method: "PUT", status: 429, count: 0 }]);
    expect(f.match("GET", "/b")).toBeUndefined();
    expect([1, 2, 3].every(() => f.match("PUT", "/b")?.status === 429)).toBe(true);
  });

  test("rate limiter: fixed windows from the first request, a block once over, then a fresh window", () => {
    let now = 0;
    const rl = new RateLimiter({ limit: 2, windowMs: 1000, blockMs: 100 }, () => now);
    expect(rl.check("k")).toMatchObject({ allowed: true, remaining: 1, resetSeconds: 1, windowSeconds: 1 });
    now = 600;
    expect(rl.check("k")).toMatchObject({ allowed: true, remaining: 0 });
    expect(rl.check("k")).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    now = 650; // still blocked (until 700)
    expect(rl.check("k").allowed).toBe(false);
    now = 700; // the block is over: a new window
    expect(rl.check("k")).toMatchObject({ allowed: true, remaining: 1 });
    // A window that simply ends (no block) restarts at the next request.
    now = 1700;
    expect(rl.check("k")).toMatchObject({ allowed: true, remaining: 1 });
  });
});

describe("bucketize", () => {
  test("≤ 2000 files and ≤ 40 MiB per bucket, sorted by hash", () => {
    const big = 15 * 1024 * 1024;
    const buckets = bucketize([
      { hash: "c".repeat(32), size: big },
      { hash: "a".repeat(32), size: big },
      { hash: "b".repeat(32), size: big },
    ]);
    expect(buckets).toEqual([["a".repeat(32), "b".repeat(32)], ["c".repeat(32)]]);
    expect(bucketize([])).toEqual([]);
  });
});

describe("createApp (in process, no port)", () => {
  test("serves the API through app.request()", async () => {
    const app = createApp({ tokens: ["t"] });
    const headers = { authorization: "Bearer t", "content-type": "application/json" };
    const base = `/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces`;
    const created = await app.request(base, { method: "POST", headers, body: JSON.stringify({ name: "inproc" }) });
    expect(created.status).toBe(200);
    const list = await (await app.request(base, { headers })).json();
    expect(list.result.map((n: { namespace_name: string }) => n.namespace_name)).toEqual(["inproc"]);
    const journal = await (await app.request("/__emulator/requests")).json();
    expect(journal).toHaveLength(2);
  });

  test("assets.config is validated on upload", async () => {
    const app = createApp({});
    const headers = { authorization: "Bearer local-dev-token" };
    await app.request(`/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: "cfg" }),
    });
    const fd = new FormData();
    fd.append(
      "metadata",
      new Blob([JSON.stringify({ main_module: "w.mjs", keep_assets: true, assets: { config: { html_handling: "sometimes" } } })], {
        type: "application/json",
      }),
      "metadata",
    );
    fd.append("w.mjs", new Blob(["export default {}"], { type: "application/javascript+module" }), "w.mjs");
    const r = await app.request(`/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces/cfg/scripts/s`, {
      method: "PUT",
      headers,
      body: fd,
    });
    expect(r.status).toBe(400);
    expect((await r.json()).errors[0]).toMatchObject({ code: 10021, message: expect.stringMatching(/html_handling/) });
  });
});
