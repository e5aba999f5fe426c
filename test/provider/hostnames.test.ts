/**
 * WorkerDomain, WorkerRoute and CustomHostname against the emulator: create, read without drift, update in place,
 * drift found by read, import, delete, and the refusal to take over what the stack did not create without `adopt`.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { UNKNOWN } from "../../provider/validation";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { captureProviderLog, useEmulator } from "../helpers/provider";

const emu = useEmulator();
const { CustomHostname: ch, WorkerDomain: wd, WorkerRoute: wr, Worker: workerProvider } = emu.providers;
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

beforeEach(async () => {
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

  it("a zone the account does not have is still named at create, whatever check said", async () => {
    const inputs = { hostname: "a.b.example", zone: "missing.test", sslMethod: "txt", adopt: false };
    const err = (await ch.create(inputs).catch((e) => e)) as Error;
    expect(err.message).toContain('the account has no zone named "missing.test"');
  });
});

describe("what a hostname resource needs is looked up at check, before anything is written", () => {
  const failures = async (p: typeof wd, news: Record<string, unknown>, olds: Record<string, unknown> = {}) =>
    (await p.check!(olds, news)).failures;

  it("a zone typo fails on zone, naming the near zone and the account's zones; a zone id of no zone fails on zoneId", async () => {
    await root("POST", "/zones", { account: { id: ACCOUNT_ID }, name: "other.test" });
    await emu.clearJournal();
    const near =
      'names no zone of the account ("platfrom.test"); did you mean platform.test?; the account\'s zones: other.test, platform.test';
    for (const [p, news] of [
      [wr, { pattern: "*/*", script: "dispatcher", zone: "platfrom.test" }],
      [wd, { hostname: "app.platfrom.test", service: "site", zone: "platfrom.test" }],
      [ch, { hostname: "shop.acme.example", zone: "platfrom.test" }],
    ] as const)
      expect(await failures(p, news)).toEqual([{ property: "zone", reason: expect.stringContaining(near) }]);
    expect(await failures(ch, { hostname: "shop.acme.example", zoneId: "0".repeat(32) })).toEqual([
      { property: "zoneId", reason: expect.stringContaining(`names no zone of the account ("${"0".repeat(32)}")`) },
    ]);
    expect(await emu.writes()).toEqual([]);
  });

  it("a Worker the account lacks fails on script or service; one checked in the same run or not known yet passes", async () => {
    emu.newRun({ shareReads: true });
    expect(await failures(wr, { pattern: "*/*", script: "dispacher", zone: ZONE })).toEqual([
      { property: "script", reason: expect.stringContaining('names no account-level Worker ("dispacher"); did you mean dispatcher?') },
    ]);
    expect(await failures(wd, { hostname: `app.${ZONE}`, service: "edge", zone: ZONE })).toEqual([
      { property: "service", reason: expect.stringContaining("pass that Worker's name output (worker.name)") },
    ]);
    // The program declares it (preview: it is to be created in this run).
    await workerProvider.check!({}, { name: "edge", modules: [{ name: "w.js", content: "" }], compatibilityDate: "2025-06-01" });
    expect(await failures(wd, { hostname: `app.${ZONE}`, service: "edge", zone: ZONE })).toEqual([]);
    expect(await failures(wr, { pattern: "*/*", script: UNKNOWN, zone: ZONE })).toEqual([]);
  });

  it("an unchanged input is not looked up again; within a run each zone and the Worker list are read once", async () => {
    const route = { pattern: "*/*", script: "dispatcher", zone: ZONE };
    const olds = await check(wr, route);
    await emu.clearJournal();
    expect(await failures(wr, route, olds)).toEqual([]);
    expect(await emu.journal()).toEqual([]);

    emu.newRun({ shareReads: true });
    await check(wr, route);
    await check(wd, { hostname: `app.${ZONE}`, service: "site", zone: ZONE });
    await check(ch, { hostname: "shop.acme.example", zone: ZONE });
    expect((await emu.journal()).map((e) => `${e.method} ${e.path.replace(/^.*\/client\/v4/, "")}`)).toEqual([
      `GET /zones`,
      `GET /accounts/${ACCOUNT_ID}/workers/scripts`,
    ]);
  });
});

describe("a replacement keeps serving where Cloudflare allows two at once, and says what goes dark where not", () => {
  it("a route moved to another zone is created there before the old one goes; a change of account deletes first, saying so", async () => {
    const log = captureProviderLog(emu);
    const otherId = (await root("POST", "/zones", { account: { id: ACCOUNT_ID }, name: "other.test" })).body.result.id;
    const old = await wr.create(await check(wr, { pattern: "*/*", script: "dispatcher", zone: ZONE }));
    const moved = await check(wr, { pattern: "*/*", script: "dispatcher", zone: "other.test" });
    expect(await wr.diff!(old.id, old.outs, moved)).toMatchObject({ replaces: ["zone"], deleteBeforeReplace: false });
    const created = await wr.create(moved);
    expect(created.outs).toMatchObject({ zoneId: otherId });
    await wr.delete!(old.id, old.outs);
    expect((await emu.state()).zones["other.test"].routes).toEqual([{ id: created.id, pattern: "*/*", script: "dispatcher" }]);
    expect(log).toEqual([]);

    const accountMoved = { ...moved, accountId: ACCOUNT_ID };
    expect(await wr.diff!(created.id, created.outs, accountMoved)).toMatchObject({ deleteBeforeReplace: true });
    expect(log).toEqual([expect.stringMatching(/^warning: WorkerRoute "\*\/\*": replacing it \(accountId changed\) deletes the route/)]);
  });

  it("a custom domain or custom hostname in another zone, same hostname, deletes first: the warning names the hostname", async () => {
    const log = captureProviderLog(emu);
    const outs = { zone: ZONE, zoneId, adopt: false };
    const domain = await wd.diff!(
      "d",
      { ...outs, hostname: `app.${ZONE}`, service: "site", environment: "production", domainId: "d" },
      {
        hostname: `app.${ZONE}`,
        service: "site",
        zone: "other.test",
        environment: "production",
        adopt: false,
      },
    );
    expect(domain).toMatchObject({ replaces: ["zone"], deleteBeforeReplace: true });
    const stored = { ...outs, hostname: "shop.acme.example", sslMethod: "txt", customHostnameId: "c", status: "active" };
    const hostname = await ch.diff!("c", stored, { hostname: "shop.acme.example", zone: "other.test", sslMethod: "txt", adopt: false });
    expect(hostname).toMatchObject({ replaces: ["zone"], deleteBeforeReplace: true });
    const renamed = await ch.diff!("c", stored, { hostname: "www.acme.example", zone: ZONE, sslMethod: "txt", adopt: false });
    expect(renamed).toMatchObject({ replaces: ["hostname"], deleteBeforeReplace: false });
    expect(log).toEqual([
      expect.stringContaining(`warning: WorkerDomain "app.${ZONE}": replacing it (zone changed) deletes the custom domain before`),
      expect.stringMatching(
        /^warning: CustomHostname "shop\.acme\.example": replacing it \(zone changed\) deletes it before .* serves nothing .* the customer must validate shop\.acme\.example again: the new custom hostname has a new TXT record/,
      ),
      expect.stringMatching(
        /^warning: CustomHostname "www\.acme\.example": replaces shop\.acme\.example, .* must validate www\.acme\.example again/,
      ),
    ]);
  });
});
