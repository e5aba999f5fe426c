/**
 * The example platform through the real Pulumi engine against the emulator: deploy, a no-op with
 * zero write calls, a one-tenant content change, adding and removing a tenant, every kind of drift
 * (detected by `preview --refresh --expect-no-changes` and by `wfp-drift`, repaired by
 * `up --refresh`), then destroy, and no token or secret value anywhere in the state.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, TEST_TOKEN, ACCOUNT_ID, type TestEmulator } from "../helpers/emulator";
import * as oob from "../helpers/out-of-band";
import { PulumiProject, ROOT } from "./harness";

const NS = "e2e-platform";
const stripeKey = `sk_live_${randomBytes(12).toString("hex")}`;
const hookSecret = `whsec_${randomBytes(12).toString("hex")}`;

interface Fixture {
  dir: string;
  file: string;
  tenants: Record<string, unknown>[];
}

function write(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function worker(name: string): string {
  return `export default { async fetch() { return new Response(${JSON.stringify(name)}); } };\n`;
}

function makeFixture(base: string): Fixture {
  const dir = path.join(base, "tenants-fixture");
  write(path.join(dir, "site/worker.js"), worker("site"));
  write(path.join(dir, "site/public/index.html"), "<h1>site</h1>\n");
  write(path.join(dir, "site/public/about.html"), "<h1>about</h1>\n");
  write(path.join(dir, "billing/worker.js"), worker("billing"));
  write(path.join(dir, "multi/index.js"), 'import { hello } from "./lib.js";\nexport default { fetch: () => new Response(hello) };\n');
  write(path.join(dir, "multi/lib.js"), 'export const hello = "multi";\n');
  write(path.join(dir, "tagged/worker.js"), worker("tagged"));
  write(path.join(dir, "doomed/worker.js"), worker("doomed"));
  const w = (d: string, modules = ["worker.js"]) => ({ dir: d, modules, compatibilityDate: "2025-06-01" });
  const tenants: Record<string, unknown>[] = [
    { id: "site", worker: { ...w("site"), bindings: [{ type: "assets", name: "ASSETS" }] }, assets: { directory: "site/public" } },
    {
      id: "billing",
      plan: "pro",
      worker: { ...w("billing"), bindings: [{ type: "kv_namespace", name: "KV", namespaceId: "0f2ac74b498b48028cb68387c421e279" }] },
      secrets: { STRIPE_KEY: "stripeKey", WEBHOOK_SECRET: "hookSecret" },
    },
    { id: "multi", worker: w("multi", ["index.js", "lib.js"]) },
    { id: "tagged", worker: w("tagged"), tags: ["team-blue"] },
    { id: "doomed", worker: w("doomed") },
  ];
  const file = path.join(dir, "tenants.yaml");
  writeFileSync(file, stringify({ tenants }));
  return { dir, file, tenants };
}

function setTenants(f: Fixture, tenants: Record<string, unknown>[]): void {
  writeFileSync(f.file, stringify({ tenants }));
}

function runDrift(project: PulumiProject): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [path.join(ROOT, "dist/provider/drift-cli.js"), "--cwd", project.dir, "--stack", "dev"], {
      env: project.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("the platform stack through the real engine", () => {
  let em: TestEmulator;
  let project: PulumiProject;
  let fixture: Fixture;

  const scripts = async () => (await em.state()).accounts[ACCOUNT_ID]?.namespaces[NS]?.scripts ?? {};

  beforeAll(async () => {
    em = await startTestEmulator();
    project = await PulumiProject.create("platform", {
      program: "dist/examples/platform",
      env: {
        ...em.env,
        WFP_RETRY_BASE_DELAY_MS: "50",
      },
      config: { "platform:namespace": NS },
      secretConfig: { "platform:stripeKey": stripeKey, "platform:hookSecret": hookSecret },
    });
    fixture = makeFixture(project.dir);
    await project.must(["config", "set", "platform:tenantsFile", fixture.file]);
  });

  afterAll(async () => {
    await em?.close();
  });

  it("deploys every tenant", async () => {
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    const s = await scripts();
    expect(Object.keys(s).sort()).toEqual(["billing", "doomed", "multi", "site", "tagged"]);
    expect(s.billing.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.site.has_assets).toBe(true);
    expect(Object.keys(s.site.assets.manifest).sort()).toEqual(["/about.html", "/index.html"]);
    expect(s.tagged.tags).toEqual(["tenant-tagged", "plan-free", "team-blue"]);
    expect(s.multi.modules.map((m: { name: string }) => m.name)).toEqual(["index.js", "lib.js"]);
  });

  it("makes no API call at all on a no-op up", async () => {
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/\d+ unchanged/);
    expect(await em.journal()).toEqual([]);
  });

  it("updates exactly one script when one tenant's code changes", async () => {
    write(path.join(fixture.dir, "multi/lib.js"), 'export const hello = "multi v2";\n');
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    const writes = await em.writes();
    expect(writes.map((w) => `${w.method} ${w.path.replace(/^.*\/workers/, "")}`)).toEqual([
      `PUT /dispatch/namespaces/${NS}/scripts/multi`,
    ]);
    expect((await scripts()).billing.secrets.sort(), "secrets survive other updates").toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
  });

  it("adds and removes exactly one tenant's resources when the list changes", async () => {
    write(path.join(fixture.dir, "newbie/worker.js"), worker("newbie"));
    const withNewbie = [
      ...fixture.tenants,
      { id: "newbie", worker: { dir: "newbie", modules: ["worker.js"], compatibilityDate: "2025-06-01" } },
    ];
    setTenants(fixture, withNewbie);
    let up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/\+ 2 created/); // the Tenant component and its script
    expect(Object.keys(await scripts())).toContain("newbie");

    setTenants(fixture, fixture.tenants);
    up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/- 2 deleted/);
    expect(Object.keys(await scripts()).sort()).toEqual(["billing", "doomed", "multi", "site", "tagged"]);
  });

  it("detects every kind of drift and repairs it with up --refresh", async () => {
    const clean = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);

    await oob.replaceContent(em, NS, "multi", "index.js", "export default { fetch: () => new Response('hacked') };\n");
    await oob.deleteSecret(em, NS, "billing", "STRIPE_KEY");
    await oob.replaceTags(em, NS, "tagged", ["tenant-tagged", "plan-free", "team-red"]);
    await oob.redeployWithOtherAssets(em, NS, "site", "worker.js", worker("site"), { "/other.html": "<h1>not ours</h1>" });
    await oob.deleteScript(em, NS, "doomed");

    const preview = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(preview.code, preview.output).not.toBe(0);

    const drift = await runDrift(project);
    expect(drift.code, drift.output).toBe(1);
    expect(drift.output).toMatch(/UserScript "multi" update/);
    expect(drift.output).toMatch(/ScriptSecret "billing-STRIPE_KEY" missing/);
    expect(drift.output).toMatch(/UserScript "tagged" update.*tags/);
    expect(drift.output).toMatch(/UserScript "site" update/);
    expect(drift.output).toMatch(/UserScript "doomed" missing/);
    expect(drift.output).not.toMatch(/"billing" update|WEBHOOK_SECRET|"platform"/);

    const repair = await project.up(["--refresh"]);
    expect(repair.code, repair.output).toBe(0);
    const s = await scripts();
    expect(s.billing.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.tagged.tags).toEqual(["tenant-tagged", "plan-free", "team-blue"]);
    expect(Object.keys(s.site.assets.manifest).sort()).toEqual(["/about.html", "/index.html"]);
    expect(s.doomed).toBeDefined();

    const after = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(after.code, after.output).toBe(0);
    expect((await runDrift(project)).code).toBe(0);
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
  });

  it("keeps the token and secret values out of the state and the backend", async () => {
    const exported = JSON.stringify(await project.exportStack());
    for (const file of filesUnder(project.backendDir)) {
      const text = readFileSync(file, "utf8");
      for (const secret of [TEST_TOKEN, stripeKey, hookSecret]) expect(text.includes(secret), `${secret} in ${file}`).toBe(false);
    }
    for (const secret of [TEST_TOKEN, stripeKey, hookSecret]) expect(exported).not.toContain(secret);
    // The secrets are there, encrypted.
    expect(exported).toContain("1b47061264138c4ac30d75fd1eb44270");
  });

  it("destroy leaves the emulator empty", async () => {
    const destroy = await project.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    expect((await em.state()).accounts[ACCOUNT_ID]?.namespaces ?? {}).toEqual({});
  });
});
