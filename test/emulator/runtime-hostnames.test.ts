/**
 * Tenants on their own hostnames, through the workers port as `curl -H 'Host: …'` reaches it: a custom domain reaches
 * its Worker; a custom hostname reaches, once active, the Worker of its zone's route, or of the fallback origin.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACCOUNT, type Harness, start } from "../helpers/emulator-api";
import { deployOk, get } from "../helpers/runtime";
import { pickByHost } from "../../emulator/runtime/workers/front.mjs";

const echo = (name: string) => ({
  "worker.js": {
    content: `export default { fetch(req) { const u = new URL(req.url); return new Response("${name} " + u.host + u.pathname); } };`,
  },
});

let h: Harness;
let base: string;
let zoneId: string;
const ZONE = "platform.test";
const root = (method: string, path: string, json?: unknown) => h.api(method, `${h.apiBase}${path}`, json === undefined ? {} : { json });
const activate = (host: string) => fetch(`${h.url}/__emulator/custom-hostnames/${host}/activate`, { method: "POST" });

beforeAll(async () => {
  h = await start({ workersPort: 0 });
  base = h.emu.workersUrl!;
  await deployOk(h, null, "dispatcher", echo("dispatcher"));
  await deployOk(h, null, "site", echo("site"));
  await deployOk(h, null, "fallback", echo("fallback"));
  expect((await h.api("POST", "/scripts/dispatcher/subdomain", { json: { enabled: true } })).status).toBe(200);
  zoneId = (await root("POST", "/zones", { account: { id: ACCOUNT }, name: ZONE })).body.result.id;
});
afterAll(async () => {
  await h.close();
});

// One scenario: each step builds on the domain, route and hostnames the last one left, so the order holds under
// --sequence.shuffle.
describe("Host → Worker on the workers port", { shuffle: false }, () => {
  test("a custom domain reaches its Worker, which is not on workers.dev; other hosts still reach the workers.dev Worker", async () => {
    expect((await h.api("PUT", "/domains", { json: { hostname: `app.${ZONE}`, service: "site", zone_id: zoneId } })).status).toBe(200);
    expect((await get(base, `app.${ZONE}`, "/x")).text).toBe(`site app.${ZONE}/x`);
    expect((await get(base, "acme.localhost")).text).toBe("dispatcher acme.localhost/");
  });

  test("a custom hostname: pending is not served; active, the zone's */* route's Worker gets it with its Host", async () => {
    const route = await root("POST", `/zones/${zoneId}/workers/routes`, { pattern: "*/*", script: "dispatcher" });
    expect(route.status).toBe(200);
    await root("POST", `/zones/${zoneId}/custom_hostnames`, { hostname: "shop.acme.example", ssl: { method: "txt", type: "dv" } });
    const pending = await get(base, "shop.acme.example");
    expect([pending.status, pending.text]).toEqual([
      404,
      expect.stringContaining('custom hostname "shop.acme.example" is pending validation'),
    ]);
    expect((await activate("shop.acme.example")).status).toBe(200);
    expect((await get(base, "shop.acme.example", "/cart")).text).toBe("dispatcher shop.acme.example/cart");
    // The custom domain is more specific than the route.
    expect((await get(base, `app.${ZONE}`)).text).toBe(`site app.${ZONE}/`);
    await root("DELETE", `/zones/${zoneId}/workers/routes/${route.body.result.id}`);
  });

  test("without a route, an active custom hostname reaches the Worker serving the zone's fallback origin", async () => {
    await h.api("PUT", "/domains", { json: { hostname: `origin.${ZONE}`, service: "fallback", zone_id: zoneId } });
    await root("PUT", `/zones/${zoneId}/custom_hostnames/fallback_origin`, { origin: `origin.${ZONE}` });
    await root("POST", `/zones/${zoneId}/custom_hostnames`, { hostname: "www.globex.example", ssl: { method: "http", type: "dv" } });
    await activate("www.globex.example");
    expect((await get(base, "www.globex.example", "/about")).text).toBe("fallback www.globex.example/about");
  });
});

describe("pickByHost", () => {
  const table = {
    domains: [{ hostname: "app.z.test", binding: "W0" }],
    zones: [
      {
        name: "z.test",
        routes: [{ pattern: "*/*", binding: "W1" }, { pattern: "z.test/api/*", binding: "W2" }, { pattern: "*.z.test/off*" }],
        active: ["shop.c.example"],
        pending: ["new.c.example"],
        fallbackOrigin: "app.z.test",
      },
    ],
  };
  test.each([
    ["app.z.test", "/", { binding: "W0" }],
    ["z.test", "/api/v1", { binding: "W2" }],
    ["z.test", "/", { binding: "W1" }],
    ["x.z.test", "/off/1", { none: 'route "*.z.test/off*" runs no Worker' }],
    ["shop.c.example", "/", { binding: "W1" }],
    ["SHOP.c.example.", "/", { binding: "W1" }],
    ["other.example", "/", undefined],
  ])("%s%s → %j", (host, path, expected) => {
    expect(pickByHost(host, path, table)).toEqual(expected);
  });
  test("a custom hostname goes to its zone, not to a zone of another account that the host is in", () => {
    const other = { name: "c.example", routes: [{ pattern: "*/*", binding: "W9" }], active: [], pending: [] };
    expect(pickByHost("shop.c.example", "/", { ...table, zones: [other, ...table.zones] })).toEqual({ binding: "W1" });
    expect(pickByHost("www.c.example", "/", { ...table, zones: [other, ...table.zones] })).toEqual({ binding: "W9" });
  });

  test("a pending custom hostname is named; without routes an active one goes to the fallback origin's Worker", () => {
    expect(pickByHost("new.c.example", "/", table)).toEqual({ none: expect.stringContaining("pending validation") });
    const noRoutes = { ...table, zones: [{ ...table.zones[0]!, routes: [] }] };
    expect(pickByHost("shop.c.example", "/", noRoutes)).toEqual({ binding: "W0" });
  });
});
