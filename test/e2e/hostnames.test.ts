/**
 * Tenants on their own hostnames through the real Pulumi engine: the example platform with a tenant listing
 * `hostnames:` deploys a `*∕*` route to the dispatcher and a pending custom hostname; once validated (the operator
 * endpoint, as the customer's DNS would), a request with that Host reaches the tenant; a refresh follows the
 * validation state without a diff; a zone typo fails the up at its preview, before anything is written, so the route
 * and the hostname keep serving; a route deleted out of band is drift that `up --refresh` repairs; a hostname
 * another stack holds is refused without `adopt`; destroy removes them.
 */
import path from "node:path";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { get } from "../helpers/runtime";
import { writeFile } from "../helpers/files";
import { PulumiProject } from "../helpers/pulumi-project";

const NS = "e2e-hostnames";
const ZONE = "saas.test";

describe("tenants on their own hostnames through the real engine", { shuffle: false }, () => {
  let em: TestEmulator;
  let project: PulumiProject;
  let tenantsFile: string;
  let zoneId: string;
  const root = (method: string, p: string, json?: unknown) => em.api(method, `${em.apiBase}${p}`, json === undefined ? {} : { json });
  const zoneState = async () => (await em.state()).zones[ZONE];
  const tenants = (hostnames: string[]) => ({
    tenants: [{ id: "shop", worker: { dir: "shop", modules: ["worker.js"], compatibilityDate: "2025-06-01" }, hostnames }],
  });

  beforeAll(async () => {
    em = await startTestEmulator({ workersPort: 0 });
    zoneId = (await root("POST", "/zones", { account: { id: ACCOUNT_ID }, name: ZONE })).body.result.id;
    project = PulumiProject.prepare("hostnames", { program: "dist/examples/platform", env: { ...em.env, WFP_RETRY_BASE_DELAY_MS: "50" } });
    const dir = path.join(project.dir, "tenants");
    writeFile(path.join(dir, "shop/worker.js"), 'export default { fetch: (req) => new Response("shop at " + new URL(req.url).host) };\n');
    tenantsFile = path.join(dir, "tenants.yaml");
    writeFileSync(tenantsFile, stringify(tenants(["shop.customer.example"])));
    await project.init({ config: { "platform:namespace": NS, "platform:tenantsFile": tenantsFile, "platform:zone": ZONE } });
  });
  afterAll(async () => {
    await em?.close();
  });

  it("deploys the */* route and a pending custom hostname with the records to hand the customer", async () => {
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    const zone = await zoneState();
    expect(zone.routes).toEqual([{ id: expect.any(String), pattern: "*/*", script: `${NS}-dispatcher` }]);
    expect(zone.custom_hostnames).toEqual([{ id: expect.any(String), hostname: "shop.customer.example", status: "pending" }]);
    const out = (await project.stackOutputs()).customHostnames as Array<Record<string, any>>;
    expect(out).toEqual([
      {
        tenant: "shop",
        hostname: "shop.customer.example",
        status: "pending",
        ownership: { type: "txt", name: "_cf-custom-hostname.shop.customer.example", value: expect.any(String) },
      },
    ]);
    expect((await get(em.emu.workersUrl!, "shop.customer.example")).status).toBe(404);
  });

  it("once validated, the hostname reaches the tenant through the dispatcher; refresh follows the state with no diff", async () => {
    expect((await fetch(`${em.url}/__emulator/custom-hostnames/shop.customer.example/activate`, { method: "POST" })).status).toBe(200);
    expect(await get(em.emu.workersUrl!, "shop.customer.example", "/")).toMatchObject({
      status: 200,
      text: "shop at shop.customer.example",
    });
    const preview = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(preview.code, preview.output).toBe(0);
    const refreshed = await project.run(["refresh", "--yes", "--skip-preview"]);
    expect(refreshed.code, refreshed.output).toBe(0);
    // The resource's state follows (the stack's outputs are the program's, computed at the next up).
    const resources = (await project.exportStack()).deployment.resources as Array<{ type: string; outputs: Record<string, unknown> }>;
    const custom = resources.find((r) => r.type.endsWith(":CustomHostname"))!;
    expect(custom.outputs).toMatchObject({ status: "active", sslStatus: "active", sslValidationRecords: [] });
    expect(custom.outputs.ownershipVerification).toBeUndefined();
  });

  it("a zone typo fails the up at its preview, before anything is written: the route and the hostname keep serving", async () => {
    await project.must(["config", "set", "platform:zone", "saas.tset"]);
    await em.clearJournal();
    // `up` with its preview: the preview fails at check, so the update never starts.
    const up = await project.run(["up", "--yes"]);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain('names no zone of the account ("saas.tset"); did you mean saas.test?');
    expect(await em.writes()).toEqual([]);
    expect(await get(em.emu.workersUrl!, "shop.customer.example", "/")).toMatchObject({
      status: 200,
      text: "shop at shop.customer.example",
    });
    const zone = await zoneState();
    expect(zone.routes.map((r: { pattern: string }) => r.pattern)).toEqual(["*/*"]);
    expect(zone.custom_hostnames).toEqual([expect.objectContaining({ hostname: "shop.customer.example", status: "active" })]);
    await project.must(["config", "set", "platform:zone", ZONE]);
  });

  it("a route deleted out of band is drift; up --refresh puts it back", async () => {
    const [route] = (await zoneState()).routes;
    await root("DELETE", `/zones/${zoneId}/workers/routes/${route.id}`);
    const preview = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(preview.code).not.toBe(0);
    const up = await project.up(["--refresh"]);
    expect(up.code, up.output).toBe(0);
    expect((await zoneState()).routes.map((r: { pattern: string }) => r.pattern)).toEqual(["*/*"]);
  });

  it("a hostname someone else created is refused, named with the adopt option, and left as it is", async () => {
    await root("POST", `/zones/${zoneId}/custom_hostnames`, { hostname: "www.other.example", ssl: { method: "http", type: "dv" } });
    writeFileSync(tenantsFile, stringify(tenants(["shop.customer.example", "www.other.example"])));
    const up = await project.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toContain(
      'CustomHostname "www.other.example": create failed: the custom hostname "www.other.example" already exists',
    );
    expect(up.output).toContain("adopt: true");
    const held = (await zoneState()).custom_hostnames.find((h: { hostname: string }) => h.hostname === "www.other.example");
    expect(held).toMatchObject({ status: "pending" });
    writeFileSync(tenantsFile, stringify(tenants(["shop.customer.example"])));
  });

  it("destroy removes the route and the custom hostname, and leaves the one it did not create", async () => {
    const down = await project.run(["destroy", "--yes", "--skip-preview"]);
    expect(down.code, down.output).toBe(0);
    const zone = await zoneState();
    expect(zone.routes).toEqual([]);
    expect(zone.custom_hostnames.map((h: { hostname: string }) => h.hostname)).toEqual(["www.other.example"]);
  });
});
