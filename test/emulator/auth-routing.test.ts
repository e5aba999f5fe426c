/** Auth, routing, rate limiting and the operator endpoints. */
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator/index";
import { ACCOUNT, TOKEN, envelopeCodes, start, uniq, type Harness } from "../helpers/emulator-api";

let h: Harness;
beforeAll(async () => {
  h = await start();
});
afterAll(async () => {
  await h.emu.close();
});

const op = (path: string, init?: RequestInit): Promise<Response> => fetch(`${h.emu.url}/__emulator${path}`, init);

describe("auth", () => {
  test("no auth headers → 400 9106", async () => {
    const r = await h.api("GET", "/dispatch/namespaces", { token: null });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, result: null, messages: [] });
    expect(envelopeCodes(r.body)).toEqual([9106]);
  });

  test("malformed Authorization → 400 6003 with error_chain 6111", async () => {
    const r = await h.api("GET", "/dispatch/namespaces", { headers: { authorization: "Token abc" } });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].code).toBe(6003);
    expect(r.body.errors[0].error_chain.map((e: { code: number }) => e.code)).toEqual([6111]);
  });

  test("wrong token → 403 10000, surfaced by the SDK as PermissionDeniedError", async () => {
    const bad = new Cloudflare({ apiToken: "nope", baseURL: h.emu.apiBase, maxRetries: 0 });
    const err = await bad.workersForPlatforms.dispatch.namespaces.list({ account_id: ACCOUNT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Cloudflare.PermissionDeniedError);
    expect((err as InstanceType<typeof Cloudflare.APIError>).status).toBe(403);
    expect((err as { errors: Array<{ code: number }> }).errors[0]!.code).toBe(10000);
  });

  test("X-Auth-Email + X-Auth-Key with a known key is accepted", async () => {
    const r = await h.api("GET", "/dispatch/namespaces", { token: null, headers: { "x-auth-email": "a@b.c", "x-auth-key": TOKEN } });
    expect(r.status).toBe(200);
  });

  test("api-version and X-Stainless headers are ignored", async () => {
    const r = await h.api("GET", "/dispatch/namespaces", { headers: { "api-version": "2026-01-01", "x-stainless-retry-count": "0" } });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
  });
});

describe("routing", () => {
  test("unknown route → 404 7003 + 7000", async () => {
    const r = await h.api("GET", "/dispatch/nothing-here");
    expect(r.status).toBe(404);
    expect(envelopeCodes(r.body)).toEqual([7003, 7000]);
    expect(r.body.errors[0].message).toMatch(/Could not route to .*perhaps your object identifier is invalid/);
  });

  test("malformed account id → 404 7003", async () => {
    const r = await h.api("GET", `${h.emu.apiBase}/accounts/not-an-account/workers/dispatch/namespaces`);
    expect(r.status).toBe(404);
    expect(envelopeCodes(r.body)).toContain(7003);
  });

  test("wrong method on a known path → 405 with Allow", async () => {
    const r = await h.api("POST", "/dispatch/namespaces/x/scripts/y/tags");
    expect(r.status).toBe(405);
    expect(r.body.success).toBe(false);
    expect(r.headers.get("allow")).toBe("GET, PUT");
  });
});

describe("rate limiting", () => {
  test("Cloudflare's headers on every answer; over the limit every call is refused for the block, then a fresh window", async () => {
    let now = 1_000_000;
    const emu = await startEmulator({
      port: 0,
      tokens: ["a", "b"],
      rateLimit: { limit: 3, windowMs: 10_000, blockMs: 4_000 },
      now: () => now,
    });
    try {
      const get = (token: string, path = "/dispatch/namespaces"): Promise<Response> =>
        fetch(`${emu.apiBase}/accounts/${ACCOUNT}/workers${path}`, { headers: { authorization: `Bearer ${token}` } });
      const first = await get("a");
      expect(first.headers.get("ratelimit")).toBe('"default";r=2;t=10');
      expect(first.headers.get("ratelimit-policy")).toBe('"burst";q=3;w=10');
      expect(first.headers.get("retry-after")).toBeNull();
      expect([...first.headers.keys()].filter((k) => k.startsWith("x-ratelimit"))).toEqual([]);
      now += 2_500;
      // An error answer carries them too; t counts down to the end of the window.
      const missing = await get("a", "/dispatch/namespaces/nope");
      expect(missing.status).toBe(404);
      expect(missing.headers.get("ratelimit")).toBe('"default";r=1;t=8');
      await get("a");
      const limited = await get("a");
      expect(limited.status).toBe(429);
      expect(envelopeCodes(await limited.json())).toEqual([971]);
      expect(limited.headers.get("retry-after")).toBe("4");
      expect(limited.headers.get("ratelimit")).toBe('"default";r=0;t=4');
      // Another token has its own window.
      expect((await get("b")).status).toBe(200);
      // Blocked for blockMs even though the window has ended; the block does not grow with refused calls.
      now += 3_000;
      const stillLimited = await get("a");
      expect(stillLimited.status).toBe(429);
      expect(stillLimited.headers.get("retry-after")).toBe("1");
      now += 1_000;
      const again = await get("a");
      expect(again.status).toBe(200);
      expect(again.headers.get("ratelimit")).toBe('"default";r=2;t=10');
      // The SDK sees a RateLimitError.
      const cf = new Cloudflare({ apiToken: "b", baseURL: emu.apiBase, maxRetries: 0 });
      for (let i = 0; i < 2; i++) await cf.workersForPlatforms.dispatch.namespaces.list({ account_id: ACCOUNT });
      await expect(cf.workersForPlatforms.dispatch.namespaces.list({ account_id: ACCOUNT })).rejects.toBeInstanceOf(
        Cloudflare.RateLimitError,
      );
    } finally {
      await emu.close();
    }
  });

  test("the default is Cloudflare's: 1200 requests per 300 s, then 5 minutes refused", async () => {
    let now = 0;
    const emu = await startEmulator({ port: 0, tokens: ["a"], now: () => now });
    try {
      const { limiter } = emu.emulator;
      for (let i = 0; i < 1199; i++) limiter!.check("a");
      const get = () => fetch(`${emu.apiBase}/accounts/${ACCOUNT}/workers/dispatch/namespaces`, { headers: { authorization: "Bearer a" } });
      const last = await get();
      expect(last.status).toBe(200);
      expect(last.headers.get("ratelimit")).toBe('"default";r=0;t=300');
      expect(last.headers.get("ratelimit-policy")).toBe('"burst";q=1200;w=300');
      now += 60_000;
      const over = await get();
      expect(over.status).toBe(429);
      expect(over.headers.get("retry-after")).toBe("300");
      now += 299_000;
      expect((await get()).status).toBe(429);
      now += 1_000;
      expect((await get()).status).toBe(200);
    } finally {
      await emu.close();
    }
  });

  test("rateLimit: false sends no rate-limit headers and never limits", async () => {
    const r = await h.api("GET", "/dispatch/namespaces");
    expect(r.headers.get("ratelimit")).toBeNull();
  });
});

describe("operator endpoints", () => {
  beforeEach(async () => {
    await op("/faults", { method: "DELETE" });
  });

  test("journal records method, path, query object and status; DELETE clears it", async () => {
    await op("/requests", { method: "DELETE" });
    await h.api("GET", "/dispatch/namespaces/missing-ns/scripts?tags=a:yes&limit=5");
    await h.api("GET", "/dispatch/namespaces");
    const journal = (await (await op("/requests")).json()) as unknown[];
    expect(journal).toEqual([
      {
        method: "GET",
        path: `/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces/missing-ns/scripts`,
        query: { tags: "a:yes", limit: "5" },
        status: 404,
      },
      { method: "GET", path: `/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces`, query: {}, status: 200 },
    ]);
    await op("/requests", { method: "DELETE" });
    expect(await (await op("/requests")).json()).toEqual([]);
  });

  test("faults: status, count, after, retryAfter, custom code; the SDK sees the error", async () => {
    const ns = uniq("fault");
    await h.api("POST", "/dispatch/namespaces", { json: { name: ns } });
    const res = await op("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        rules: [
          {
            method: "GET",
            path: `/client/v4/accounts/:account/workers/dispatch/namespaces/${ns}`,
            status: 503,
            count: 2,
            after: 1,
            retryAfter: 1,
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const path = `/dispatch/namespaces/${ns}`;
    expect((await h.api("GET", path)).status).toBe(200); // after: 1
    const f1 = await h.api("GET", path);
    expect(f1.status).toBe(503);
    expect(f1.headers.get("retry-after")).toBe("1");
    expect(f1.body.success).toBe(false);
    await expect(h.cf.workersForPlatforms.dispatch.namespaces.get(ns, { account_id: ACCOUNT })).rejects.toBeInstanceOf(
      Cloudflare.InternalServerError,
    );
    expect((await h.api("GET", path)).status).toBe(200); // count exhausted
    // PUT on the same path is not matched by a GET rule; a single rule object is accepted too.
    await op("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: `*/${ns}`, status: 429, code: 971 }),
    });
    const limited = await h.api("GET", path);
    expect(limited.status).toBe(429);
    expect(envelopeCodes(limited.body)).toEqual([971]);
  });

  test("faults: delay-only rule and DELETE clears rules", async () => {
    await op("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rules: [{ path: "/client/v4/accounts/*/dispatch/namespaces", delayMs: 150, count: 1 }] }),
    });
    const t0 = Date.now();
    const r = await h.api("GET", "/dispatch/namespaces");
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await op("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "*", status: 500, count: 0 }),
    });
    expect((await h.api("GET", "/dispatch/namespaces")).status).toBe(500);
    await op("/faults", { method: "DELETE" });
    expect((await h.api("GET", "/dispatch/namespaces")).status).toBe(200);
  });

  test("faults: reset destroys the connection and is journalled with status 0", async () => {
    await op("/requests", { method: "DELETE" });
    await op("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "*/dispatch/namespaces", reset: true }),
    });
    await expect(fetch(`${h.workers}/dispatch/namespaces`, { headers: { authorization: `Bearer ${TOKEN}` } })).rejects.toThrow();
    const journal = (await (await op("/requests")).json()) as Array<{ status: number }>;
    expect(journal.at(-1)!.status).toBe(0);
  });

  test("faults: an invalid rule is refused", async () => {
    const r = await op("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rules: [{ status: 500 }] }),
    });
    expect(r.status).toBe(400);
    const badPattern = await op("/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "^/a((", status: 500 }),
    });
    expect(badPattern.status).toBe(400);
    expect((await badPattern.json()).error).toMatch(/URLPattern/);
  });

  test("reset empties all state and the journal; state snapshot reflects it", async () => {
    const emu = await startEmulator({ port: 0, rateLimit: false });
    try {
      const workers = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
      const auth = { authorization: "Bearer local-dev-token", "content-type": "application/json" };
      await fetch(`${workers}/dispatch/namespaces`, { method: "POST", headers: auth, body: JSON.stringify({ name: "to-reset" }) });
      let state = await (await fetch(`${emu.url}/__emulator/state`)).json();
      expect(Object.keys(state.accounts[ACCOUNT].namespaces)).toEqual(["to-reset"]);
      expect((await (await fetch(`${emu.url}/__emulator/requests`)).json()).length).toBe(1);
      expect((await fetch(`${emu.url}/__emulator/reset`, { method: "POST" })).status).toBe(200);
      state = await (await fetch(`${emu.url}/__emulator/state`)).json();
      expect(state.accounts).toEqual({});
      expect(await (await fetch(`${emu.url}/__emulator/requests`)).json()).toEqual([]);
      const list = await (await fetch(`${workers}/dispatch/namespaces`, { headers: auth })).json();
      expect(list.result).toEqual([]);
    } finally {
      await emu.close();
    }
  });
});
