/**
 * Zones, Workers custom domains, zone routes, and Cloudflare for SaaS custom hostnames with the fallback origin:
 * envelopes, codes and validation states through the official SDK, persistence, and prototype-safe keys.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator/index";
import { ACCOUNT, type Harness, scriptForm, start, TOKEN, uniq } from "../helpers/emulator-api";

let h: Harness;
let zoneId: string;
let zoneName: string;
beforeAll(async () => {
  h = await start();
  zoneName = `${uniq("platform")}.test`;
  zoneId = (await h.cf.zones.create({ account: { id: ACCOUNT }, name: zoneName })).id;
  for (const name of ["dispatcher", "site"])
    expect((await h.api("PUT", `/scripts/${name}`, { body: scriptForm({ main_module: "worker.mjs" }) })).status).toBe(200);
});
afterAll(async () => {
  await h.close();
});

async function failure(promise: Promise<unknown>): Promise<[number, number]> {
  const err = (await promise.catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
  expect(err).toBeInstanceOf(Cloudflare.APIError);
  return [err.status as number, (err.errors as Array<{ code: number }>)[0]!.code];
}

const zone = () => ({ zone_id: zoneId });

describe("zones", () => {
  test("create, look up by name, get; a second zone of that name is 1061; an unknown id is 7003", async () => {
    const got = await h.cf.zones.get({ zone_id: zoneId });
    expect(got).toMatchObject({ id: zoneId, name: zoneName, status: "active", account: { id: ACCOUNT } });
    const listed = [];
    for await (const z of h.cf.zones.list({ name: zoneName })) listed.push(z.id);
    expect(listed).toEqual([zoneId]);
    expect(await failure(h.cf.zones.create({ account: { id: ACCOUNT }, name: zoneName }))).toEqual([400, 1061]);
    expect(await failure(h.cf.zones.get({ zone_id: "0".repeat(32) }))).toEqual([404, 7003]);
    expect(await failure(h.cf.zones.create({ account: { id: ACCOUNT }, name: "not a name" }))).toEqual([400, 10001]);
  });
});

describe("Workers custom domains", () => {
  const domains = () => h.cf.workers.domains;

  test("PUT attaches a zone hostname to a Worker; list filters by hostname; GET; DELETE", async () => {
    const hostname = `app.${zoneName}`;
    const d = await domains().update({ account_id: ACCOUNT, hostname, service: "site", zone_id: zoneId } as never);
    expect(d).toMatchObject({ hostname, service: "site", zone_id: zoneId, zone_name: zoneName, environment: "production" });
    const listed = [];
    for await (const x of domains().list({ account_id: ACCOUNT, hostname })) listed.push(x);
    expect(listed).toEqual([d]);
    expect(await domains().get(d.id, { account_id: ACCOUNT })).toEqual(d);
    // A second PUT of the hostname moves it, keeping its id.
    const moved = await domains().update({ account_id: ACCOUNT, hostname, service: "dispatcher", zone_name: zoneName } as never);
    expect([moved.id, moved.service]).toEqual([d.id, "dispatcher"]);
    await domains().delete(d.id, { account_id: ACCOUNT });
    expect(await failure(domains().get(d.id, { account_id: ACCOUNT }))).toEqual([404, 100114]);
  });

  test("refused: a hostname outside the zone, a missing Worker, no zone of the account", async () => {
    const put = (body: Record<string, unknown>) => domains().update({ account_id: ACCOUNT, ...body } as never);
    expect(await failure(put({ hostname: "elsewhere.example", service: "site", zone_id: zoneId }))).toEqual([400, 100116]);
    expect(await failure(put({ hostname: `x.${zoneName}`, service: "nope", zone_id: zoneId }))).toEqual([404, 10007]);
    expect(await failure(put({ hostname: "nozone.example", service: "site" }))).toEqual([400, 10001]);
  });
});

describe("zone routes", () => {
  const routes = () => h.cf.workers.routes;

  test("create, list, get, update, delete", async () => {
    const r = await routes().create({ ...zone(), pattern: `${zoneName}/api/*`, script: "site" });
    expect(r).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), pattern: `${zoneName}/api/*`, script: "site" });
    const all = [];
    for await (const x of routes().list(zone())) all.push(x);
    expect(all).toContainEqual(r);
    expect(await routes().get(r.id, zone())).toEqual(r);
    const updated = await routes().update(r.id, { ...zone(), pattern: `*.${zoneName}/*`, script: "dispatcher" });
    expect(updated).toEqual({ id: r.id, pattern: `*.${zoneName}/*`, script: "dispatcher" });
    expect(await routes().delete(r.id, zone())).toEqual({ id: r.id });
    expect(await failure(routes().get(r.id, zone()))).toEqual([404, 10005]);
  });

  test("*/* is allowed (custom hostnames to the dispatcher); a pattern outside the zone is 10022, a missing Worker 10019, a taken pattern 10020", async () => {
    const all = await routes().create({ ...zone(), pattern: "*/*", script: "dispatcher" });
    expect(await failure(routes().create({ ...zone(), pattern: "*/*", script: "site" }))).toEqual([409, 10020]);
    expect(await failure(routes().create({ ...zone(), pattern: "other.example/*", script: "site" }))).toEqual([400, 10022]);
    expect(await failure(routes().create({ ...zone(), pattern: `${zoneName}/*`, script: "missing" }))).toEqual([400, 10019]);
    await routes().delete(all.id, zone());
  });
});

describe("custom hostnames", () => {
  const ch = () => h.cf.customHostnames;

  test("create is pending with ownership and certificate validation records; the operator activates it", async () => {
    const hostname = `shop.${uniq("acme")}.example`;
    const created = await ch().create({
      ...zone(),
      hostname,
      ssl: { method: "txt", type: "dv" },
      custom_metadata: { tenant: "acme" },
    } as never);
    expect(created).toMatchObject({
      hostname,
      status: "pending",
      ssl: { method: "txt", type: "dv", status: "pending_validation", validation_records: [{ txt_name: `_acme-challenge.${hostname}` }] },
      ownership_verification: { type: "txt", name: `_cf-custom-hostname.${hostname}` },
      custom_metadata: { tenant: "acme" },
    });
    const found = await ch().list({ ...zone(), hostname });
    expect(found.result.map((x) => x.id)).toEqual([created.id]);

    const res = await fetch(`${h.url}/__emulator/custom-hostnames/${hostname}/activate`, { method: "POST" });
    expect(res.status).toBe(200);
    const active = await ch().get(created.id, zone());
    expect([active.status, active.ssl?.status, active.ownership_verification, active.ssl?.validation_records]).toEqual([
      "active",
      "active",
      undefined,
      undefined,
    ]);
    expect((await fetch(`${h.url}/__emulator/custom-hostnames/unknown.example/activate`, { method: "POST" })).status).toBe(404);
  });

  test("a duplicate is 1406 (in any zone); a missing one 1436; PATCH changes the method and metadata; DELETE", async () => {
    const hostname = `www.${uniq("globex")}.example`;
    const created = await ch().create({ ...zone(), hostname, ssl: { method: "http", type: "dv" } } as never);
    expect(created.ssl?.validation_records?.[0]?.http_url).toContain(hostname);
    const other = await h.cf.zones.create({ account: { id: ACCOUNT }, name: `${uniq("other")}.test` });
    expect(await failure(ch().create({ zone_id: other.id, hostname, ssl: { method: "http", type: "dv" } } as never))).toEqual([409, 1406]);
    const patched = await ch().edit(created.id, {
      ...zone(),
      ssl: { method: "txt", type: "dv" },
      custom_metadata: { plan: "pro" },
    } as never);
    expect(patched).toMatchObject({ ssl: { method: "txt" }, custom_metadata: { plan: "pro" } });
    await ch().delete(created.id, zone());
    expect(await failure(ch().get(created.id, zone()))).toEqual([404, 1436]);
    expect(await failure(ch().create({ ...zone(), hostname: "bad host", ssl: { method: "txt" } } as never))).toEqual([400, 10001]);
    expect(await failure(ch().create({ ...zone(), hostname: `x.${hostname}`, ssl: { method: "nope" } } as never))).toEqual([400, 10001]);
  });

  test("fallback origin: unset is 1551; PUT a zone hostname; GET; DELETE", async () => {
    const fo = () => ch().fallbackOrigin;
    expect(await failure(fo().get(zone()))).toEqual([404, 1551]);
    expect(await failure(fo().update({ ...zone(), origin: "elsewhere.example" }))).toEqual([400, 10001]);
    const set = await fo().update({ ...zone(), origin: `fallback.${zoneName}` });
    expect(set).toMatchObject({ origin: `fallback.${zoneName}`, status: "active" });
    expect(await fo().get(zone())).toMatchObject({ origin: `fallback.${zoneName}` });
    await fo().delete(zone());
    expect(await failure(fo().get(zone()))).toEqual([404, 1551]);
  });
});

describe("state", () => {
  test("zones, domains, routes and custom hostnames survive a restart; names like __proto__ are plain keys", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wfp-domains-"));
    try {
      let emu = await startEmulator({ port: 0, dataDir, rateLimit: false, tokens: [TOKEN] });
      let cf = new Cloudflare({ apiToken: TOKEN, baseURL: emu.apiBase, maxRetries: 0 });
      const z = await cf.zones.create({ account: { id: ACCOUNT }, name: "persist.test" });
      await fetch(`${emu.apiBase}/accounts/${ACCOUNT}/workers/scripts/site`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: scriptForm({ main_module: "worker.mjs" }),
      });
      const route = await cf.workers.routes.create({ zone_id: z.id, pattern: "*/*", script: "site" });
      const domain = await cf.workers.domains.update({ account_id: ACCOUNT, hostname: "persist.test", service: "site" } as never);
      const host = await cf.customHostnames.create({
        zone_id: z.id,
        hostname: "shop.customer.example",
        ssl: { method: "txt", type: "dv" },
        custom_metadata: JSON.parse('{"__proto__": "x", "constructor": "y"}'),
      } as never);
      await fetch(`${emu.url}/__emulator/custom-hostnames/shop.customer.example/activate`, { method: "POST" });
      await emu.close();
      emu = await startEmulator({ port: 0, dataDir, rateLimit: false, tokens: [TOKEN] });
      cf = new Cloudflare({ apiToken: TOKEN, baseURL: emu.apiBase, maxRetries: 0 });
      try {
        expect(await cf.workers.routes.get(route.id, { zone_id: z.id })).toEqual(route);
        expect(await cf.workers.domains.get(domain.id, { account_id: ACCOUNT })).toEqual(domain);
        const again = await cf.customHostnames.get(host.id, { zone_id: z.id });
        expect(again.status).toBe("active");
        expect(Object.keys(again.custom_metadata ?? {}).sort()).toEqual(["__proto__", "constructor"]);
      } finally {
        await emu.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
