/**
 * The example platform through the real Pulumi engine against the emulator, one stack through its life: deploy (a
 * tenant's own hostname pending, then validated and served through the zone's `*∕*` route), a no-op with zero write
 * calls, a one-tenant content change, adding and removing a tenant, a zone typo refused before anything is written,
 * a hostname someone else holds refused with the adopt option, every kind of drift (detected by
 * `preview --refresh --expect-no-changes` and by `wfp-drift`, repaired by `up --refresh`), renaming the namespace in place, then destroy, and
 * no token or secret value anywhere in the state. The steps share one stack where they do not interfere: a stack
 * per behaviour would cost an emulator, a deployment and a destroy each.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, TEST_TOKEN, ACCOUNT_ID, type TestEmulator } from "../helpers/emulator";
import { get } from "../helpers/runtime";
import { filesUnder, writeFile } from "../helpers/files";
import * as oob from "../helpers/out-of-band";
import { type Fixture, fieldsUnder, makeFixture, runDrift, setTenants, worker } from "../helpers/platform-fixture";
import { PulumiProject } from "../helpers/pulumi-project";

const NS = "e2e-platform";
const RENAMED = "e2e-platform-renamed";
const ZONE = "platform.test";
const stripeKey = `sk_live_${randomBytes(12).toString("hex")}`;
const hookSecret = `whsec_${randomBytes(12).toString("hex")}`;

// One scenario: each step builds on the last, so the order holds under --sequence.shuffle.
describe("the platform stack through the real engine", { shuffle: false }, () => {
  let em: TestEmulator;
  let project: PulumiProject;
  let fixture: Fixture;

  const scripts = async () => (await em.state()).accounts[ACCOUNT_ID]?.namespaces[NS]?.scripts ?? {};
  /** The routing KV namespace's values, through the API. */
  const kvBase = () => `${em.apiBase}/accounts/${ACCOUNT_ID}/storage/kv/namespaces/${routesId}`;
  let routesId = "";
  const routeOf = async (key: string) => {
    routesId ||= (await em.state()).accounts[ACCOUNT_ID].kv[`${NS}-routes`].id;
    const r = await em.api("GET", `${kvBase()}/values/${encodeURIComponent(key)}`);
    return r.status === 200 ? JSON.parse(r.text) : undefined;
  };
  /** A request through the dispatch Worker, routed by the tenant's subdomain. */
  const through = (tenant: string, path = "/") => get(em.emu.workersUrl!, `${tenant}.localhost`, path);
  /** A request by a tenant's own hostname, as the zone's route sends it. */
  const byHost = (hostname: string) => get(em.emu.workersUrl!, hostname, "/");
  let zoneId = "";
  const zoneState = async () => (await em.state()).zones[ZONE];
  /** billing's own D1 database and R2 bucket (named after the stack, tenant and binding), through the API. */
  const charges = async (): Promise<unknown> => {
    const base = `${em.apiBase}/accounts/${ACCOUNT_ID}`;
    const dbs = await em.api("GET", `${base}/d1/database?name=dev-billing-db`);
    const [db] = dbs.body.result;
    if (!db) return undefined;
    const q = await em.api("POST", `${base}/d1/database/${db.uuid}/query`, { json: { sql: "SELECT id, amount FROM charges" } });
    const objects = await em.api("GET", `${base}/r2/buckets/dev-billing-files/objects`);
    return { rows: q.body.result[0].results, objects: objects.body.result.map((o: { key: string }) => o.key) };
  };

  beforeAll(async () => {
    // The emulator also runs what is deployed: every step is checked through the dispatch Worker too.
    em = await startTestEmulator({ workersPort: 0 });
    // The zone of the tenants' own hostnames (platform:zone), which Cloudflare's account would already have.
    const zone = await em.api("POST", `${em.apiBase}/zones`, { json: { name: ZONE, account: { id: ACCOUNT_ID } } });
    expect(zone.status, zone.text).toBe(200);
    zoneId = zone.body.result.id;
    project = PulumiProject.prepare("platform", { program: "dist/examples/platform", env: { ...em.env, WFP_RETRY_BASE_DELAY_MS: "50" } });
    fixture = makeFixture(project.dir);
    await project.init({
      config: { "platform:namespace": NS, "platform:tenantsFile": fixture.file },
      secretConfig: { "platform:stripeKey": stripeKey, "platform:hookSecret": hookSecret },
    });
  });

  afterAll(async () => {
    await em?.close();
  });

  it("deploys every tenant", async () => {
    // A first preview checks every resource with the ids other resources will create still unknown.
    await em.clearJournal();
    const preview = await project.preview();
    expect(preview.code, preview.output).toBe(0);
    expect((await em.journal()).filter((e) => e.method !== "GET")).toEqual([]);
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    const s = await scripts();
    expect(Object.keys(s).sort()).toEqual(["billing", "doomed", "multi", "site", "tagged"]);
    expect(s.billing.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.site.has_assets).toBe(true);
    expect(Object.keys(s.site.assets.manifest).sort()).toEqual(["/about.html", "/index.html"]);
    expect(s.tagged.tags).toEqual(["tenant-tagged", "plan-free", "team-blue", "wfp-owner=platform/dev"]);
    expect(s.multi.modules.map((m: { name: string }) => m.name)).toEqual(["index.js", "lib.js"]);

    // The platform's own Workers: the outbound Worker, and the dispatcher bound to the namespace through it.
    const workers = (await em.state()).accounts[ACCOUNT_ID].workers.scripts;
    expect(Object.keys(workers).sort()).toEqual([`${NS}-dispatcher`, `${NS}-outbound`]);
    const dispatcher = workers[`${NS}-dispatcher`];
    expect(dispatcher.subdomain?.enabled).toBe(true);
    const settings = async (name: string) => (await em.api("GET", `/scripts/${name}/settings`)).body.result;
    const byName = Object.fromEntries((await settings(`${NS}-dispatcher`)).bindings.map((b: { name: string }) => [b.name, b]));
    expect(byName.DISPATCHER).toMatchObject({
      type: "dispatch_namespace",
      namespace: NS,
      outbound: { worker: { service: `${NS}-outbound` }, params: [{ name: "tenant_id" }] },
    });
    // The routing table is a KV namespace the stack writes, not a binding of the dispatcher.
    const kv = (await em.state()).accounts[ACCOUNT_ID].kv;
    expect(byName.ROUTES).toEqual({ type: "kv_namespace", name: "ROUTES", namespace_id: kv[`${NS}-routes`].id });
    expect(kv[`${NS}-routes`].keys).toEqual([
      "billing.example.com",
      "tenant:billing",
      "tenant:doomed",
      "tenant:multi",
      "tenant:site",
      "tenant:tagged",
    ]);
    expect(await routeOf("tenant:billing")).toEqual({ tenant: "billing", plan: "pro" });
    // Each routing key names the stack that wrote it, as each script's tag does.
    const listed = await em.api("GET", `${kvBase()}/keys`);
    expect(new Set(listed.body.result.map((k: { metadata: Record<string, string> }) => k.metadata["wfp-owner"]))).toEqual(
      new Set(["wfp-owner=platform/dev"]),
    );
    // billing's own KV namespace, bound by the id of the KvNamespace the program made.
    const billingKv = (await em.api("GET", `/dispatch/namespaces/${NS}/scripts/billing/settings`)).body.result.bindings;
    expect(billingKv).toContainEqual({ type: "kv_namespace", name: "KV", namespace_id: kv[`${NS}-billing-kv`].id });
    expect(byName.PLANS.json.pro).toEqual({ cpuMs: 500, subRequests: 50 });
    expect((await settings(`${NS}-outbound`)).bindings).toEqual([{ type: "json", name: "BLOCKED_HOSTS", json: [] }]);

    // And it serves: each tenant through the dispatcher, assets included, and the dispatcher's 404 for no tenant.
    expect(await through("multi")).toMatchObject({ status: 200, text: "multi" });
    expect(await through("billing")).toMatchObject({ status: 200, text: "billing" });
    // billing's D1 database (its migration applied) and R2 bucket: what its Worker writes, the API reads.
    // And its Durable Object counts the charge, run from its own Worker's class.
    expect(await get(em.emu.workersUrl!, "billing.localhost", "/", {}, "POST")).toMatchObject({
      status: 200,
      text: '{"id":1,"counted":1}',
    });
    expect(await charges()).toEqual({ rows: [{ id: 1, amount: 42 }], objects: ["charges/1.json"] });
    // By its own hostname: a custom hostname of the zone, pending until the customer's DNS validates it (the stack's
    // outputs hold the record to hand the customer), then sent by the zone's */* route to the dispatcher, which
    // finds the tenant in the routing KV namespace.
    const zone = await zoneState();
    expect(zone.routes).toEqual([{ id: expect.any(String), pattern: "*/*", script: `${NS}-dispatcher` }]);
    expect(zone.custom_hostnames).toEqual([{ id: expect.any(String), hostname: "billing.example.com", status: "pending" }]);
    expect((await project.stackOutputs()).customHostnames).toEqual([
      {
        tenant: "billing",
        hostname: "billing.example.com",
        status: "pending",
        ownership: { type: "txt", name: "_cf-custom-hostname.billing.example.com", value: expect.any(String) },
      },
    ]);
    expect((await byHost("billing.example.com")).status).toBe(404);
    const operator = em.apiBase.replace(/\/client\/v4$/, "");
    expect((await fetch(`${operator}/__emulator/custom-hostnames/billing.example.com/activate`, { method: "POST" })).status).toBe(200);
    expect(await byHost("billing.example.com")).toMatchObject({ status: 200, text: "billing" });
    // html_handling auto-trailing-slash: /about.html redirects to /about, which serves it.
    expect(await through("site", "/about.html")).toMatchObject({ status: 307, headers: { location: "/about" } });
    expect(await through("site", "/about")).toMatchObject({ status: 200, text: "<h1>about</h1>\n" });
    expect((await through("nobody")).status).toBe(404);
  });

  it("makes no API call at all on a no-op up", async () => {
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/\d+ unchanged/);
    expect(await em.journal()).toEqual([]);
  });

  it("updates exactly one script when one tenant's code changes", async () => {
    writeFile(path.join(fixture.dir, "multi/lib.js"), 'export const hello = "multi v2";\n');
    await em.clearJournal();
    const up = await project.up(["--diff"]);
    expect(up.code, up.output).toBe(0);
    // The modules are stored as one JSON text: the display still names the module and the field that changed.
    expect(up.output).toMatch(/~ modules: \(json\) \[[\s\S]*name\s*: "lib\.js"[\s\S]*~ sha256: "[0-9a-f]{64}" => "[0-9a-f]{64}"/);
    const writes = await em.writes();
    expect(writes.map((w) => `${w.method} ${w.path.replace(/^.*\/workers/, "")}`)).toEqual([
      `PUT /dispatch/namespaces/${NS}/scripts/multi`,
    ]);
    expect((await scripts()).billing.secrets.sort(), "secrets survive other updates").toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    // Served within a second of the up returning.
    const deadline = Date.now() + 1000;
    let served = await through("multi");
    while (served.text !== "multi v2" && Date.now() < deadline) served = await through("multi");
    expect(served).toMatchObject({ status: 200, text: "multi v2" });
  });

  it("adds and removes exactly one tenant's resources when the list changes", async () => {
    writeFile(path.join(fixture.dir, "newbie/worker.js"), worker("newbie"));
    const withNewbie = [
      ...fixture.tenants,
      { id: "newbie", worker: { dir: "newbie", modules: ["worker.js"], compatibilityDate: "2025-06-01" } },
    ];
    setTenants(fixture, withNewbie);
    await em.clearJournal();
    let up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/\+ 1 created/); // the Tenant: one resource
    expect(up.output).toMatch(/~ 1 updated/); // the routing keys (KvEntries)
    expect(Object.keys(await scripts())).toContain("newbie");
    // Its routing key is written; the dispatch and outbound Workers are not uploaded again.
    const writes = (await em.writes()).map((w) => `${w.method} ${w.path.replace(/^.*\/accounts\/[^/]+/, "")}`);
    expect(
      writes.filter((w) => w.includes(`/workers/scripts/`)),
      writes.join("\n"),
    ).toEqual([]);
    expect(writes.filter((w) => w.includes("/storage/kv/"))).toEqual([
      expect.stringMatching(/^PUT \/storage\/kv\/namespaces\/[0-9a-f]{32}\/bulk$/),
    ]);
    expect(await routeOf("tenant:newbie")).toEqual({ tenant: "newbie", plan: "free" });

    setTenants(fixture, fixture.tenants);
    up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/- 1 deleted/);
    expect(Object.keys(await scripts()).sort()).toEqual(["billing", "doomed", "multi", "site", "tagged"]);
    expect(await routeOf("tenant:newbie")).toBeUndefined();
  });

  it("a zone typo fails the up at its preview, before anything is written: the route and the hostname keep serving", async () => {
    await project.must(["config", "set", "platform:zone", "platform.tset"]);
    await em.clearJournal();
    // `up` with its preview: the preview fails at check, so the update never starts.
    const up = await project.run(["up", "--yes"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain('names no zone of the account ("platform.tset"); did you mean platform.test?');
    expect(await em.writes()).toEqual([]);
    expect(await byHost("billing.example.com")).toMatchObject({ status: 200, text: "billing" });
    const zone = await zoneState();
    expect(zone.routes.map((r: { pattern: string }) => r.pattern)).toEqual(["*/*"]);
    expect(zone.custom_hostnames).toEqual([expect.objectContaining({ hostname: "billing.example.com", status: "active" })]);
    await project.must(["config", "rm", "platform:zone"]);
  });

  it("a hostname someone else created is refused, named with the adopt option, and left as it is", async () => {
    await em.api("POST", `${em.apiBase}/zones/${zoneId}/custom_hostnames`, {
      json: { hostname: "www.other.example", ssl: { method: "http", type: "dv" } },
    });
    const billing = fixture.tenants.find((t) => t.id === "billing")!;
    setTenants(fixture, [
      ...fixture.tenants.filter((t) => t !== billing),
      { ...billing, hostnames: ["billing.example.com", "www.other.example"] },
    ]);
    const up = await project.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toContain(
      'CustomHostname "www.other.example": create failed: the custom hostname "www.other.example" already exists',
    );
    expect(up.output).toContain("adopt: true");
    const held = (await zoneState()).custom_hostnames.find((h: { hostname: string }) => h.hostname === "www.other.example");
    expect(held).toMatchObject({ status: "pending" });
    setTenants(fixture, fixture.tenants);
  });

  it("refuses a tenant whose Worker throws at startup with Cloudflare's message, and recovers when it is gone", async () => {
    writeFile(path.join(fixture.dir, "broken/worker.js"), 'throw new Error("misconfigured at startup");\nexport default {};\n');
    setTenants(fixture, [
      ...fixture.tenants,
      { id: "broken", worker: { dir: "broken", modules: ["worker.js"], compatibilityDate: "2025-06-01" } },
    ]);
    const up = await project.up();
    expect(up.code, up.output).not.toBe(0);
    expect(up.output).toMatch(
      /Tenant "e2e-platform\/broken": create failed: HTTP 400, Cloudflare error 10021: Uncaught Error: misconfigured at startup/,
    );
    setTenants(fixture, fixture.tenants);
    const again = await project.up();
    expect(again.code, again.output).toBe(0);
    expect(Object.keys(await scripts())).not.toContain("broken");
  });

  it("detects every kind of drift and repairs it with up --refresh", async () => {
    await em.clearJournal();
    const clean = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);
    // 1 read per tenant (its settings: its secrets' names), plus the namespace, its script list (every tenant's
    // etag, tags and assets), the platform's two Workers (the account's script list, then each one's settings
    // and subdomain), the KV namespaces (routes, billing's) and the routing keys' listing, and the zone's route and
    // billing's custom hostname (the zone, the route list, the hostname), and billing's D1 database and R2 bucket.
    const reads = (await em.journal()).filter((e) => e.method === "GET");
    expect(reads.length, reads.map((e) => e.path).join("\n")).toBeLessThanOrEqual(fixture.tenants.length + 2 + 5 + 3 + 3 + 2);

    await oob.replaceContent(em, NS, "multi", "index.js", "export default { fetch: () => new Response('hacked') };\n");
    await oob.deleteSecret(em, NS, "billing", "STRIPE_KEY");
    await oob.replaceTags(em, NS, "tagged", ["tenant-tagged", "plan-free", "team-red"]);
    await oob.redeployWithOtherAssets(em, NS, "site", "worker.js", worker("site"), { "/other.html": "<h1>not ours</h1>" });
    await oob.deleteScript(em, NS, "doomed");
    expect((await em.api("DELETE", `${kvBase()}/values/tenant:multi`)).status).toBe(200);
    const [route] = (await zoneState()).routes;
    expect((await em.api("DELETE", `${em.apiBase}/zones/${zoneId}/workers/routes/${route.id}`)).status).toBe(200);
    expect(await through("doomed")).toMatchObject({ status: 404, text: 'No tenant "doomed"\n' });

    const preview = await project.preview(["--refresh", "--expect-no-changes", "--diff"]);
    expect(preview.code, preview.output).not.toBe(0);
    // The planned updates name the drifted fields (the provider's detailed diff), not only the refresh's outputs.
    for (const field of [
      /~ secrets: \{\s*\+ STRIPE_KEY: \[secret\]/,
      /~ entries: \{\s*\+ tenant:multi/,
      /\+ owner: "wfp-owner=platform\/dev"/,
    ])
      expect(preview.output).toMatch(field);

    const drift = await runDrift(project);
    expect(drift.code, drift.output).toBe(1);
    expect(fieldsUnder(drift.output, 'Tenant "multi" update')).toEqual(["etag: deployed by something else"]);
    expect(fieldsUnder(drift.output, 'Tenant "billing" update')).toEqual(["secrets.STRIPE_KEY: deleted out of band"]);
    expect(fieldsUnder(drift.output, 'Tenant "tagged" update')).toEqual(["owner: changed out of band", "tags: changed out of band"]);
    // The other tool's deploy set no limits: the plan's CPU limit is gone too.
    expect(fieldsUnder(drift.output, 'Tenant "site" update')).toEqual(["etag: deployed by something else", "limits: changed out of band"]);
    expect(drift.output).toMatch(/Tenant "doomed" missing/);
    expect(fieldsUnder(drift.output, 'KvEntries "routes" update')).toEqual(['entries["tenant:multi"]: deleted out of band']);
    expect(drift.output).toMatch(/WorkerRoute "saas" missing/);
    expect(drift.output).not.toMatch(/WEBHOOK_SECRET|"platform"/);

    const repair = await project.up(["--refresh"]);
    expect(repair.code, repair.output).toBe(0);
    const s = await scripts();
    expect(s.billing.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.tagged.tags).toEqual(["tenant-tagged", "plan-free", "team-blue", "wfp-owner=platform/dev"]);
    expect(Object.keys(s.site.assets.manifest).sort()).toEqual(["/about.html", "/index.html"]);
    expect(s.doomed).toBeDefined();
    expect(await routeOf("tenant:multi")).toEqual({ tenant: "multi", plan: "free" });
    expect((await zoneState()).routes.map((r: { pattern: string }) => r.pattern)).toEqual(["*/*"]);

    const after = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(after.code, after.output).toBe(0);
    const noDrift = await runDrift(project);
    expect(noDrift.code, noDrift.output).toBe(0);
  });

  it("recreates everything when the namespace itself is deleted", async () => {
    await oob.deleteNamespace(em, NS);
    const drift = await runDrift(project);
    expect(drift.code, drift.output).toBe(1);
    expect(drift.output).toMatch(/DispatchNamespace "platform" missing/);

    const repair = await project.up(["--refresh"]);
    expect(repair.code, repair.output).toBe(0);
    const s = await scripts();
    expect(Object.keys(s).sort()).toEqual(["billing", "doomed", "multi", "site", "tagged"]);
    expect(s.billing.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.site.has_assets).toBe(true);
    const after = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(after.code, after.output).toBe(0);
    // The namespace's deletion took billing's script and its Durable Objects with it, as on Cloudflare; its database
    // and bucket are its own resources and kept their data.
    expect(await get(em.emu.workersUrl!, "billing.localhost", "/", {}, "POST")).toMatchObject({
      status: 200,
      text: '{"id":2,"counted":1}',
    });
  });

  it("renames the namespace in place: its scripts, secrets and assets move with it, and nothing is left to change", async () => {
    const before = (await em.state()).accounts[ACCOUNT_ID].namespaces[NS];
    await project.must(["config", "set", "platform:namespace", RENAMED]);
    const up = await project.up();
    expect(up.code, up.output).toBe(0);

    const all = (await em.state()).accounts[ACCOUNT_ID].namespaces;
    expect(Object.keys(all)).toEqual([RENAMED]);
    expect(all[RENAMED].id, "renamed in place, not recreated").toBe(before.id);
    const s = all[RENAMED].scripts;
    expect(Object.keys(s).sort()).toEqual(["billing", "doomed", "multi", "site", "tagged"]);
    expect(s.billing.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(Object.keys(s.site.assets.manifest).sort()).toEqual(["/about.html", "/index.html"]);
    const clean = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);
    // billing's database and bucket outlived its Worker's deploys since (the repairs, the namespace's re-creation,
    // the rename), and its Durable Object the rename, which moved it with the script.
    const charged = [1, 2].map((id) => ({ id, amount: 42 }));
    expect(await charges()).toEqual({ rows: charged, objects: ["charges/1.json", "charges/2.json"] });
    expect(await get(em.emu.workersUrl!, "billing.localhost", "/", {}, "POST")).toMatchObject({
      status: 200,
      text: '{"id":3,"counted":2}',
    });
  });

  it("keeps the token and secret values out of the state and the backend", async () => {
    const state = await project.exportStack();
    // The refreshes of the drift steps brought billing's hostname's validation into its state.
    const custom = state.deployment.resources.find((r: { type: string }) => r.type.endsWith(":CustomHostname"));
    expect(custom.outputs).toMatchObject({ status: "active", sslStatus: "active", sslValidationRecords: [] });
    expect(custom.outputs.ownershipVerification).toBeUndefined();
    const exported = JSON.stringify(state);
    for (const file of filesUnder(project.backendDir)) {
      const text = readFileSync(file, "utf8");
      for (const secret of [TEST_TOKEN, stripeKey, hookSecret]) expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
    }
    for (const secret of [TEST_TOKEN, stripeKey, hookSecret]) expect(exported).not.toContain(secret);
    // The secrets are there, encrypted.
    expect(exported).toContain("1b47061264138c4ac30d75fd1eb44270");
  });

  it("refresh and destroy against a misrouted base URL fail and change nothing, in state or at the API", async () => {
    const before = await em.state();
    const resources = (await project.exportStack()).deployment.resources.length;
    const origin = new URL(em.apiBase).origin;
    // Without /client/v4 (refused when the provider is configured), and a path that answers a plain 404.
    const runs: Array<[string, string[], RegExp]> = [
      [origin, ["refresh", "--yes", "--skip-preview"], /must end in \/client\/v4/],
      [`${origin}/elsewhere/client/v4`, ["destroy", "--yes", "--skip-preview"], /HTTP 404 from (GET|DELETE) http/],
    ];
    for (const [baseUrl, args, reason] of runs) {
      const run = await project.run(args, { CLOUDFLARE_BASE_URL: baseUrl });
      expect(run.code, run.output).not.toBe(0);
      expect(run.output).toMatch(reason);
    }
    expect((await project.exportStack()).deployment.resources.length).toBe(resources);
    expect(await em.state()).toEqual(before);
  });

  it("destroy, once the stack says the tenants' data may go, leaves the emulator empty", async () => {
    // billing's database and bucket hold data: their deletes need forceDestroy in the state first (no API call); its
    // Durable Objects, whose delete the provider refuses while its Worker has them, go by a migration (one upload).
    await project.must(["config", "set", "platform:destroyStorage", "true"]);
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect((await em.writes()).map((w) => `${w.method} ${w.path.replace(/^.*\/workers/, "")}`)).toEqual([
      `PUT /dispatch/namespaces/${RENAMED}/scripts/billing`,
    ]);
    const destroy = await project.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    const account = (await em.state()).accounts[ACCOUNT_ID];
    expect(account?.namespaces ?? {}).toEqual({});
    expect(account?.workers?.scripts ?? {}, "the dispatch and outbound Workers are gone too").toEqual({});
    expect(account?.kv ?? {}, "the KV namespaces too").toEqual({});
    expect(await charges(), "billing's database too").toBeUndefined();
    const buckets = await em.api("GET", `${em.apiBase}/accounts/${ACCOUNT_ID}/r2/buckets`);
    expect(buckets.body.result.buckets, "and its bucket").toEqual([]);
    // The zone's route and billing's hostname too, but not the hostname the stack did not create.
    const zone = await zoneState();
    expect(zone.routes).toEqual([]);
    expect(zone.custom_hostnames.map((h: { hostname: string }) => h.hostname)).toEqual(["www.other.example"]);
  });
});
