/**
 * Upgrading a stack from the earlier Tenant component (component + UserScript + ScriptSecret per secret +
 * StaticAssets) to the Tenant resource, through the real engine: the Tenant takes over the UserScript's state by
 * its alias, the old ScriptSecrets and StaticAssets leave the stack without a call, and at the API nothing is
 * deleted or re-created: the only writes are the secrets written once more (their values are not in the old
 * script's state).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { PulumiProject } from "../helpers/pulumi-project";

const NS = "e2e-upgrade";
const stripeKey = "sk_upgrade_4f1c0d9e8b7a";
const hookSecret = "whsec_upgrade_77aa21";

describe("upgrade from the Tenant component to the Tenant resource", () => {
  let em: TestEmulator;
  let project: PulumiProject;
  const scripts = async () => (await em.state()).accounts[ACCOUNT_ID].namespaces[NS].scripts;
  const types = async () =>
    ((await project.exportStack()).deployment.resources as Array<{ type: string }>).map((r) => r.type.split(":").pop()).sort();

  beforeAll(async () => {
    em = await startTestEmulator();
    project = PulumiProject.prepare("upgrade", { program: "dist/test/e2e/stacks/tenant-upgrade", env: em.env });
    const site = path.join(project.dir, "site");
    mkdirSync(site, { recursive: true });
    writeFileSync(path.join(site, "index.html"), "<h1>acme</h1>\n");
    writeFileSync(path.join(site, "about.html"), "<h1>about</h1>\n");
    await project.init({
      config: { "upgrade:namespace": NS, "upgrade:siteDir": site, "upgrade:shape": "component" },
      secretConfig: { "upgrade:stripeKey": stripeKey, "upgrade:hookSecret": hookSecret },
    });
  });

  afterAll(async () => {
    await em?.close();
  });

  it("deploys the component shape", async () => {
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(await types()).toContain("ScriptSecret");
    const s = await scripts();
    expect(s.acme.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.globex.secrets).toEqual(["STRIPE_KEY"]);
    expect(Object.keys(s.acme.assets.manifest).sort()).toEqual(["/about.html", "/index.html"]);
  });

  it("upgrades with no delete and no re-create at the API, and then previews clean", async () => {
    const before = await scripts();
    await project.must(["config", "set", "upgrade:shape", "tenant"]);
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    const writes = (await em.writes()).map((w) => `${w.method} ${w.path.replace(/^.*\/workers/, "")}`);
    // The secrets' values were never in the old script's state: each is written once more, in place.
    expect(writes.sort()).toEqual([
      `PUT /dispatch/namespaces/${NS}/scripts/acme/secrets`,
      `PUT /dispatch/namespaces/${NS}/scripts/acme/secrets`,
      `PUT /dispatch/namespaces/${NS}/scripts/globex/secrets`,
    ]);
    const after = await scripts();
    for (const name of ["acme", "globex", "initech"]) {
      expect(after[name].etag, `${name} not re-uploaded`).toBe(before[name].etag);
      expect(after[name].created_on).toBe(before[name].created_on);
    }
    expect(after.acme.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(after.globex.secrets).toEqual(["STRIPE_KEY"]);
    expect(after.acme.assets).toEqual(before.acme.assets);
    expect(await types()).toEqual(["DispatchNamespace", "Stack", "Tenant", "Tenant", "Tenant", "pulumi-nodejs"]);

    const preview = await project.preview(["--expect-no-changes"]);
    expect(preview.code, preview.output).toBe(0);
    const refreshed = await project.preview(["--refresh", "--expect-no-changes"]);
    expect(refreshed.code, refreshed.output).toBe(0);
  });

  it("the state keeps the secrets only encrypted", async () => {
    const exported = JSON.stringify(await project.exportStack());
    for (const secret of [stripeKey, hookSecret]) expect(exported).not.toContain(secret);
    const tenant = (await project.exportStack()).deployment.resources.find(
      (r: { type: string; id?: string }) => r.type.endsWith(":Tenant") && r.id === `${NS}/acme`,
    );
    expect(tenant.inputs.secrets).toHaveProperty("ciphertext");
    // This package's plugin host gives diff the stored inputs: no hash of a secret is kept beside them.
    expect(tenant.outputs).not.toHaveProperty("secretHashes");
  });
});
