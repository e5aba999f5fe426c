/**
 * WorkerDomain, WorkerRoute and CustomHostname against the emulator: create, read without drift, update in place,
 * drift found by read, import, delete, and the refusal to take over what the stack did not create without `adopt`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { customHostnameProvider as ch } from "../../provider/resources/hostnames/custom-hostname";
import { workerDomainProvider as wd } from "../../provider/resources/hostnames/worker-domain";
import { workerRouteProvider as wr } from "../../provider/resources/hostnames/worker-route";
import { ACCOUNT_ID, startTestEmulator, TEST_TOKEN, type TestEmulator } from "../helpers/emulator";

let emu: TestEmulator;
let zoneId: string;
const ZONE = "platform.test";

async function check(p: typeof wd, news: Record<string, unknown>): Promise<any> {
  const r = await p.check!({}, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

async function worker(name: string, tags: string[] = []): Promise<void> {
  const form = buildScriptUploadForm({ main_module: "index.js", compatibility_date: "2025-01-01", tags }, [
    { name: "index.js", type: "application/javascript+module", content: "export default { fetch() { return new Response('x') } }" },
  ]);
  expect((await emu.api("PUT", `/scripts/${name}`, { body: form })).status).toBe(200);
}

const root = (method: string, path: string, json?: unknown) => emu.api(method, `${emu.apiBase}${path}`, json === undefined ? {} : { json });

beforeAll(async () => {
  emu = await startTestEmulator({ connectProvider: true });
});
afterAll(async () => emu.close());
beforeEach(async () => {
  await emu.reset();
  zoneId = (await root("POST", "/zones", { account: { id: ACCOUNT_ID }, name: ZONE })).body.result.id;
  await worker("dispatcher");
  await worker("site");
});

describe("WorkerDomain", () => {
  it("create, read without drift, move to another Worker in place, drift on an out-of-band move, import, delete", async () => {
    const inputs = await check(wd, { hostname: `app.${ZONE}`, service: "site", zone: ZONE });
    const created = await wd.create(inputs);
    expect(created.outs).toEqual({
      hostname: `app.${ZONE}`,
      service: "site",
      environment: "production",
      zone: ZONE,
      zoneId,
      adopt: false,
      domainId: created.id,
    });
    const read = await wd.read!(created.id, created.outs);
    expect((await wd.diff!(created.id, read.props, inputs)).changes).toBe(false);

    const moved = await check(wd, { hostname: `app.${ZONE}`, service: "dispatcher", zoneId });
    expect(await wd.diff!(created.id, created.outs, moved)).toMatchObject({ changes: true, replaces: [], changedKeys: ["service"] });
    const updated = await wd.update!(created.id, created.outs, moved);
    expect(updated.outs).toMatchObject({ service: "dispatcher", domainId: created.id });

    // Someone points the hostname back at "site": refresh shows it, the next up moves it again.
    await emu.api("PUT", "/domains", { json: { hostname: `app.${ZONE}`, service: "site", zone_id: zoneId } });
    const drifted = await wd.read!(created.id, updated.outs);
    expect((await wd.diff!(created.id, drifted.props, moved)).changedKeys).toEqual(["service"]);

    const imported = await wd.read!(`app.${ZONE}`, {});
    expect(imported).toMatchObject({ id: created.id, inputs: { hostname: `app.${ZONE}`, service: "site", zoneId } });
    expect((await wd.check!({}, imported.inputs)).failures).toEqual([]);

    await wd.delete!(created.id, updated.outs);
    expect((await emu.state()).accounts[ACCOUNT_ID].domains).toEqual([]);
    expect(await wd.read!(created.id, updated.outs)).toEqual({});
    await wd.delete!(created.id, updated.outs); // already gone: fine
  });

  it("a hostname another Worker already has is refused, naming it and adopt; with adopt it is taken over", async () => {
    await emu.api("PUT", "/domains", { json: { hostname: `www.${ZONE}`, service: "site", zone_id: zoneId } });
    const err = (await wd.create(await check(wd, { hostname: `www.${ZONE}`, service: "dispatcher", zone: ZONE })).catch((e) => e)) as Error;
    expect(err.message).toContain(`WorkerDomain "www.${ZONE}": create failed: a custom domain on "www.${ZONE}" already exists`);
    expect(err.message).toContain('served by Worker "site"');
    expect(err.message).toContain("adopt: true");
    expect(err.message).not.toContain(TEST_TOKEN);
    expect((await emu.state()).accounts[ACCOUNT_ID].domains[0].service).toBe("site");
    const adopted = await wd.create(await check(wd, { hostname: `www.${ZONE}`, service: "dispatcher", zone: ZONE, adopt: true }));
    expect(adopted.outs).toMatchObject({ service: "dispatcher", adopt: true });
  });
});

describe("WorkerRoute", () => {
  it("create, read, update, drift when deleted out of band, import, delete; a taken pattern needs adopt", async () => {
    const inputs = await check(wr, { pattern: "*/*", script: "dispatcher", zone: ZONE });
    const created = await wr.create(inputs);
    expect(created.outs).toEqual({ pattern: "*/*", script: "dispatcher", zone: ZONE, zoneId, adopt: false, routeId: created.id });
    const read = await wr.read!(created.id, created.outs);
    expect((await wr.diff!(created.id, read.props, inputs)).changes).toBe(false);

    const err = (await wr.create(await check(wr, { pattern: "*/*", script: "site", zoneId })).catch((e) => e)) as Error;
    expect(err.message).toMatch(
      /WorkerRoute "\*\/\*": create failed: a route "\*\/\*" in zone platform.test already exists \(to Worker "dispatcher"\)/,
    );
    expect(err.message).toContain(`pulumi import 'pulumi-nodejs:dynamic/wfp:WorkerRoute' <resource name> ${ZONE}/*/*`);

    const news = await check(wr, { pattern: `shop.${ZONE}/*`, script: "site", zone: ZONE });
    const updated = await wr.update!(created.id, created.outs, news);
    expect(updated.outs).toMatchObject({ pattern: `shop.${ZONE}/*`, script: "site", routeId: created.id });

    const imported = await wr.read!(`${ZONE}/shop.${ZONE}/*`, {});
    expect(imported).toMatchObject({ id: created.id, inputs: { pattern: `shop.${ZONE}/*`, script: "site", zone: ZONE } });

    await root("DELETE", `/zones/${zoneId}/workers/routes/${created.id}`);
    expect(await wr.read!(created.id, updated.outs)).toEqual({});
    await wr.delete!(created.id, updated.outs);
  });
});

describe("a route or domain a killed run left, to a Worker this stack owns", () => {
  const A = "wfp-owner=platform/dev";
  const B = "wfp-owner=platform/other";
  beforeEach(() => worker("edge", [A]));

  it("WorkerRoute: adopted without adopt when it routes to that very Worker; refused for another stack or Worker", async () => {
    const left = await wr.create(await check(wr, { pattern: "*/*", script: "edge", zone: ZONE, owner: A }));
    const again = await wr.create(await check(wr, { pattern: "*/*", script: "edge", zone: ZONE, owner: A }));
    expect(again).toMatchObject({ id: left.id, outs: { script: "edge", adopt: false } });
    const other = await wr.create(await check(wr, { pattern: "*/*", script: "edge", zone: ZONE, owner: B })).catch((e: Error) => e);
    expect((other as Error).message).toContain("this stack did not create it");
    const moved = await wr.create(await check(wr, { pattern: "*/*", script: "site", zone: ZONE, owner: A })).catch((e: Error) => e);
    expect((moved as Error).message).toContain('(to Worker "edge")');
    expect((await emu.state()).zones[ZONE].routes).toHaveLength(1);
  });

  it("WorkerDomain: adopted without adopt when it serves that very Worker; refused for another stack", async () => {
    const left = await wd.create(await check(wd, { hostname: `edge.${ZONE}`, service: "edge", zone: ZONE, owner: A }));
    const again = await wd.create(await check(wd, { hostname: `edge.${ZONE}`, service: "edge", zone: ZONE, owner: A }));
    expect(again).toMatchObject({ id: left.id, outs: { service: "edge", adopt: false } });
    const other = await wd
      .create(await check(wd, { hostname: `edge.${ZONE}`, service: "edge", zone: ZONE, owner: B }))
      .catch((e: Error) => e);
    expect((other as Error).message).toContain("this stack did not create it");
  });

  it("an owner changes nothing else: no diff, and the outputs do not hold it", async () => {
    const inputs = await check(wr, { pattern: "*/*", script: "edge", zone: ZONE, owner: A });
    const created = await wr.create(inputs);
    expect(created.outs).not.toHaveProperty("owner");
    expect(
      (await wr.diff!(created.id, created.outs, await check(wr, { pattern: "*/*", script: "edge", zone: ZONE, owner: B }))).changes,
    ).toBe(false);
  });
});

describe("CustomHostname", () => {
  it("pending with records to hand the customer; a refresh sees it active; metadata updates in place; import; delete", async () => {
    const inputs = await check(ch, { hostname: "shop.acme.example", zone: ZONE, customMetadata: { tenant: "acme" } });
    const created = await ch.create(inputs);
    expect(created.outs).toMatchObject({
      hostname: "shop.acme.example",
      zone: ZONE,
      zoneId,
      sslMethod: "txt",
      status: "pending",
      sslStatus: "pending_validation",
      customMetadata: { tenant: "acme" },
      ownershipVerification: { type: "txt", name: "_cf-custom-hostname.shop.acme.example" },
      sslValidationRecords: [{ txt_name: "_acme-challenge.shop.acme.example" }],
    });

    expect((await fetch(`${emu.url}/__emulator/custom-hostnames/shop.acme.example/activate`, { method: "POST" })).status).toBe(200);
    const read = await ch.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ status: "active", sslStatus: "active", sslValidationRecords: [] });
    expect(read.props.ownershipVerification).toBeUndefined();
    // Validation is state, not configuration: no diff.
    expect((await ch.diff!(created.id, read.props, inputs)).changes).toBe(false);

    const news = await check(ch, { hostname: "shop.acme.example", zone: ZONE, customMetadata: { tenant: "acme", plan: "pro" } });
    expect((await ch.diff!(created.id, read.props, news)).changedKeys).toEqual(["customMetadata"]);
    const updated = await ch.update!(created.id, read.props, news);
    expect(updated.outs.customMetadata).toEqual({ tenant: "acme", plan: "pro" });

    const imported = await ch.read!(`${ZONE}/shop.acme.example`, {});
    expect(imported).toMatchObject({ id: created.id, inputs: { hostname: "shop.acme.example", zone: ZONE, sslMethod: "txt" } });

    await ch.delete!(created.id, updated.outs);
    expect(await ch.read!(created.id, updated.outs)).toEqual({});
    await ch.delete!(created.id, updated.outs);
  });

  it("one created outside the stack is refused without adopt; with adopt it is patched to the inputs; another zone's is refused", async () => {
    await root("POST", `/zones/${zoneId}/custom_hostnames`, { hostname: "www.globex.example", ssl: { method: "http", type: "dv" } });
    const err = (await ch.create(await check(ch, { hostname: "www.globex.example", zone: ZONE })).catch((e) => e)) as Error;
    expect(err.message).toContain(
      'CustomHostname "www.globex.example": create failed: the custom hostname "www.globex.example" already exists',
    );
    expect(err.message).toContain("adopt: true");
    const adopted = await ch.create(await check(ch, { hostname: "www.globex.example", zone: ZONE, adopt: true }));
    expect(adopted.outs).toMatchObject({ sslMethod: "txt", adopt: true });

    await root("POST", "/zones", { account: { id: ACCOUNT_ID }, name: "other.test" });
    const elsewhere = (await ch
      .create(await check(ch, { hostname: "www.globex.example", zone: "other.test", adopt: true }))
      .catch((e) => e)) as Error;
    expect(elsewhere.message).toContain("already in use in another zone (Cloudflare error 1406)");
  });

  it("a zone the account does not have is named", async () => {
    const err = (await ch.create(await check(ch, { hostname: "a.b.example", zone: "missing.test" })).catch((e) => e)) as Error;
    expect(err.message).toContain('the account has no zone named "missing.test"');
  });
});
