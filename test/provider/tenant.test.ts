/**
 * Tenant against the emulator: one resource per customer, counted in API calls through the journal (in an engine run,
 * a create with a site is 3, without 1, plus one list of the namespace per run for the ownership check; a rotation
 * 1; a removed secret 1 DELETE; a code change 1 PUT that keeps every secret), and drift on refresh.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { describeAssets } from "../../provider/assets/describe";
import * as walk from "../../provider/assets/walk";
import type { TenantInputs } from "../../provider/resources/tenant/check";
import { secretHashesOf, type TenantOutputs } from "../../provider/resources/tenant/provider";
import { TENANT } from "../../provider/resources/tenant/resource";
import { tenantInputs } from "../../provider/resources/tenant/state";
import { fromWire } from "../../provider/resources/wire-form";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID } from "../helpers/emulator";
import { tempDir } from "../helpers/files";
import { useEmulator } from "../helpers/provider";

const NS = "tenant-ns";
const VALUE = "sk_live_correct-horse-battery";
const site = tempDir("tenant-site");
const site2 = tempDir("tenant-site-2");
// Walked by one test only: a site another test walked has its tree cached, and whether that cache is trusted depends
// on how long ago the directory changed (the racy window), so the count of walks would depend on the machine's speed.
const unwalkedSite = tempDir("tenant-site-unwalked");
const emu = useEmulator({ namespaces: [NS] });
const { ScriptSecret: scriptSecretProvider, Tenant: p } = emu.providers;
const { check } = driver<TenantInputs, TenantOutputs>(p);

const code = (body = "ok") => `export default { fetch(r, env) { return new Response(${JSON.stringify(body)}) } }`;
const args = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  namespace: NS,
  tenantId: "acme",
  plan: "pro",
  modules: [{ name: "index.js", content: code() }],
  compatibilityDate: "2025-06-01",
  secrets: { STRIPE_KEY: VALUE, WEBHOOK_SECRET: "whsec_1" },
  ...over,
});
const withSite = (over: Record<string, unknown> = {}) =>
  args({ bindings: [{ type: "assets", name: "ASSETS" }], assets: { directory: site, config: { notFoundHandling: "404-page" } }, ...over });

const scriptState = async (name = "acme") => (await emu.state()).accounts[ACCOUNT_ID]?.namespaces?.[NS]?.scripts?.[name];
const threeCalls = (script: string) => [
  `POST /dispatch/namespaces/${NS}/scripts/${script}/assets-upload-session`,
  "POST /assets/upload",
  `PUT /dispatch/namespaces/${NS}/scripts/${script}`,
];
const calls = async () => (await emu.journal()).map((e) => `${e.method} ${e.path.replace(/.*\/workers/, "")}`);

describe("Tenant against the emulator", () => {
  beforeAll(() => {
    writeFileSync(join(site, "index.html"), "<h1>acme</h1>");
    writeFileSync(join(site, "404.html"), "<h1>not here</h1>");
  });
  /** Runs `fn` as the engine runs provider methods: inside one run that shares reads (see provider/api/run-cache.ts); a new run follows. */
  async function inRun<T>(fn: () => Promise<T>): Promise<T> {
    emu.newRun({ shareReads: true });
    try {
      return await fn();
    } finally {
      emu.newRun();
    }
  }
  const list = `GET /dispatch/namespaces/${NS}/scripts`;

  it("creates a tenant with a site in 3 calls: assets session, one bucket, the script PUT with its secrets", async () => {
    const { inputs, created, first, beta } = await inRun(async () => {
      const inputs = await check(withSite());
      const created = await p.create(inputs);
      const first = await calls();
      await emu.clearJournal();
      await p.create(await check(withSite({ tenantId: "beta" })));
      return { inputs, created, first, beta: await calls() };
    });
    expect(inputs.assetFiles).toBe(2);
    // The stored inputs keep 64 bits of the site's digest, as the outputs do (the create above deployed the site).
    const stored = tenantInputs(fromWire(inputs, TENANT.wire!.inputs)).assets!.digest;
    expect(stored).toMatch(/^[0-9a-f]{16}$/);
    // The run's first check lists the namespace once (it exists; who owns what was there before the run): the
    // creates' ownership checks take that list, and later tenants' checks too.
    expect(first).toEqual([list, ...threeCalls("acme")]);
    expect(beta).toEqual(threeCalls("beta"));
    const s = await scriptState();
    expect(s.secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.tags.sort()).toEqual(["plan-pro", "tenant-acme"]);
    expect(Object.keys(s.assets.manifest).sort()).toEqual(["/404.html", "/index.html"]);
    const outs = created.outs as TenantOutputs;
    expect(outs).toMatchObject({ scriptName: "acme", secretNames: ["STRIPE_KEY", "WEBHOOK_SECRET"], assetFiles: 2 });
    expect(JSON.stringify(outs)).not.toContain(VALUE);
    expect(JSON.stringify(outs)).not.toContain("whsec_1");
    expect((await p.diff!(created.id, outs, await check(withSite()))).changes).toBe(false);
  });

  it("walks the site once: the create's fresh assets session uses the manifest check made", async () => {
    const walks = vi.spyOn(walk, "walkTree");
    onTestFinished(() => walks.mockRestore());
    writeFileSync(join(unwalkedSite, "index.html"), "<h1>acme</h1>");
    await inRun(async () => p.create(await check(withSite({ assets: { directory: unwalkedSite } }))));
    expect(walks.mock.calls.filter(([root]) => root === unwalkedSite)).toHaveLength(1);
    expect((await scriptState()).assets.manifest).toHaveProperty("/index.html");
  });

  it("creates a tenant without a site in 1 call (and one list per run)", async () => {
    const journal = await inRun(async () => {
      await p.create(await check(args()));
      await p.create(await check(args({ tenantId: "beta" })));
      return calls();
    });
    expect(journal).toEqual([list, `PUT /dispatch/namespaces/${NS}/scripts/acme`, `PUT /dispatch/namespaces/${NS}/scripts/beta`]);
  });

  it("outside an engine run, a create checks the name with one GET", async () => {
    const inputs = await check(args());
    await emu.clearJournal();
    await p.create(inputs);
    expect(await calls()).toEqual([`GET /dispatch/namespaces/${NS}/scripts/acme`, `PUT /dispatch/namespaces/${NS}/scripts/acme`]);
  });

  it("a rotation is one secret PUT, a removed secret one DELETE, an added one one PUT", async () => {
    let olds: Record<string, unknown> = await check(withSite());
    const created = await p.create(olds);
    let outs = created.outs as TenantOutputs;
    const step = async (news: Record<string, unknown>) => {
      await emu.clearJournal();
      const inputs = await check(news, olds);
      olds = inputs;
      const d = await p.diff!(created.id, outs, inputs);
      expect(d).toMatchObject({ changes: true, replaces: [] });
      outs = (await p.update!(created.id, outs, inputs)).outs as TenantOutputs;
      expect((await p.diff!(created.id, outs, inputs)).changes).toBe(false);
      return calls();
    };
    const secrets = `PUT /dispatch/namespaces/${NS}/scripts/acme/secrets`;
    expect(await step(withSite({ secrets: { STRIPE_KEY: "rotated", WEBHOOK_SECRET: "whsec_1" } }))).toEqual([secrets]);
    expect(await step(withSite({ secrets: { STRIPE_KEY: "rotated" } }))).toEqual([
      `DELETE /dispatch/namespaces/${NS}/scripts/acme/secrets/WEBHOOK_SECRET`,
    ]);
    expect(await step(withSite({ secrets: { STRIPE_KEY: "rotated", NEW_ONE: "x" } }))).toEqual([secrets]);
    expect((await scriptState()).secrets.sort()).toEqual(["NEW_ONE", "STRIPE_KEY"]);
    expect(outs.secretNames).toEqual(["NEW_ONE", "STRIPE_KEY"]);
  });

  it("given the stored inputs (this package's plugin host), keeps no hash and compares each secret with its stored value", async () => {
    emu.newRun({ priorInputs: true });
    // The engine's Diff and Update carry the stored inputs; the plugin host passes them as a fourth argument.
    const withPrior = p as unknown as Record<"diff" | "update", (...args: unknown[]) => Promise<Record<string, unknown>>>;
    let olds: Record<string, unknown> = await check(withSite());
    const created = await p.create(olds);
    let outs = created.outs as TenantOutputs;
    expect(outs).not.toHaveProperty("secretHashes");
    const step = async (news: Record<string, unknown>) => {
      await emu.clearJournal();
      const inputs = await check(news, olds);
      const d = await withPrior.diff(created.id, outs, inputs, olds);
      expect(d).toMatchObject({ changes: true, replaces: [] });
      outs = (await withPrior.update(created.id, outs, inputs, olds)).outs as TenantOutputs;
      olds = inputs;
      expect(outs).not.toHaveProperty("secretHashes");
      expect((await withPrior.diff(created.id, outs, inputs, olds)).changes).toBe(false);
      return { calls: await calls(), fields: d.fields };
    };
    const secrets = `PUT /dispatch/namespaces/${NS}/scripts/acme/secrets`;
    expect(await step(withSite({ secrets: { STRIPE_KEY: "rotated", WEBHOOK_SECRET: "whsec_1" } }))).toEqual({
      calls: [secrets],
      fields: [{ path: "secrets.STRIPE_KEY", kind: "update" }],
    });
    expect((await step(withSite({ secrets: { STRIPE_KEY: "rotated" } }))).calls).toEqual([
      `DELETE /dispatch/namespaces/${NS}/scripts/acme/secrets/WEBHOOK_SECRET`,
    ]);
    expect((await step(withSite({ secrets: { STRIPE_KEY: "rotated", NEW_ONE: "x" } }))).calls).toEqual([secrets]);
    expect((await scriptState()).secrets.sort()).toEqual(["NEW_ONE", "STRIPE_KEY"]);
    // The same state under Pulumi's own host (no stored inputs, no hashes): the secrets cannot be compared, so they
    // are a change; the update puts each one, and writes the hashes that host's next diff compares with.
    emu.newRun();
    const inputs = await check(withSite({ secrets: { STRIPE_KEY: "rotated", NEW_ONE: "x" } }), olds);
    expect((await p.diff!(created.id, outs, inputs)).changedKeys).toEqual(["secrets"]);
    await emu.clearJournal();
    outs = (await p.update!(created.id, outs, inputs)).outs as TenantOutputs;
    expect(await calls()).toEqual([secrets, secrets]);
    expect(outs.secretHashes).toBeDefined();
    expect((await p.diff!(created.id, outs, inputs)).changes).toBe(false);
  });

  it("given the stored inputs, a secret deleted out of band is put back alone after a refresh", async () => {
    emu.newRun({ priorInputs: true });
    const withPrior = p as unknown as Record<"diff" | "update", (...args: unknown[]) => Promise<Record<string, unknown>>>;
    const inputs = await check(withSite());
    const created = await p.create(inputs);
    expect((await emu.api("DELETE", `/dispatch/namespaces/${NS}/scripts/acme/secrets/STRIPE_KEY`)).status).toBe(200);
    const read = await p.read!(created.id, created.outs);
    const d = await withPrior.diff(created.id, read.props, inputs, inputs);
    expect(d).toMatchObject({ changedKeys: ["secretNames"], fields: [{ path: "secrets.STRIPE_KEY", kind: "add" }] });
    await emu.clearJournal();
    await withPrior.update(created.id, read.props, inputs, inputs);
    expect(await calls()).toEqual([`PUT /dispatch/namespaces/${NS}/scripts/acme/secrets`]);
    expect((await scriptState()).secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
  });

  it("a secret moved from the Tenant's list to a ScriptSecret is not deleted by the Tenant", async () => {
    const created = await p.create(await check(args()));
    emu.newRun(); // the next run: the Tenant without the secret, and a ScriptSecret with it
    const inputs = await check(args({ secrets: { STRIPE_KEY: VALUE } }));
    const apart = await scriptSecretProvider.check!({}, { namespace: NS, scriptName: "acme", name: "WEBHOOK_SECRET", text: "whsec_1" });
    expect(apart.failures).toEqual([]);
    await emu.clearJournal();
    const updated = await p.update!(created.id, created.outs, inputs);
    expect(await calls()).toEqual([]);
    expect((updated.outs as TenantOutputs).secretNames).toEqual(["STRIPE_KEY"]);
    expect((await scriptState()).secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
  });

  it("a code change is one PUT that keeps the Tenant's secrets and those managed apart, and the site", async () => {
    const olds = await check(withSite());
    const created = await p.create(olds);
    const apart = await scriptSecretProvider.check!({}, { namespace: NS, scriptName: "acme", name: "OTHER", text: "o" });
    await scriptSecretProvider.create(apart.inputs);
    await emu.clearJournal();
    const inputs = await check(withSite({ modules: [{ name: "index.js", content: code("v2") }] }), olds);
    expect((await p.diff!(created.id, created.outs, inputs)).changedKeys).toEqual(["modules"]);
    const updated = await p.update!(created.id, created.outs, inputs);
    expect(await calls()).toEqual([`PUT /dispatch/namespaces/${NS}/scripts/acme`]);
    const s = await scriptState();
    expect(s.secrets.sort()).toEqual(["OTHER", "STRIPE_KEY", "WEBHOOK_SECRET"]);
    expect(s.has_assets).toBe(true);
    expect((updated.outs as TenantOutputs).etag).toBe(s.etag);
  });

  it("a changed site uploads the new file and re-deploys the script: 3 calls", async () => {
    const olds = await check(withSite());
    const created = await p.create(olds);
    await emu.clearJournal();
    writeFileSync(join(site2, "index.html"), "<h1>acme v2</h1>");
    const inputs = await check(withSite({ assets: { directory: site2 } }), olds);
    expect((await p.diff!(created.id, created.outs, inputs)).changedKeys).toEqual(["assets"]);
    const updated = await p.update!(created.id, created.outs, inputs);
    expect((await calls()).map((c) => c.split(" ")[0])).toEqual(["POST", "POST", "PUT"]);
    expect((updated.outs as TenantOutputs).assetFiles).toBe(1);
    expect(Object.keys((await scriptState()).assets.manifest)).toEqual(["/index.html"]);
  });

  it("refresh sees a secret deleted out of band, and the next update puts only that one back", async () => {
    const created = await p.create(await check(withSite()));
    const inputs = await check(withSite());
    expect((await emu.api("DELETE", `/dispatch/namespaces/${NS}/scripts/acme/secrets/STRIPE_KEY`)).status).toBe(200);
    const read = await p.read!(created.id, created.outs);
    expect((read.props as TenantOutputs).secretNames).toEqual(["WEBHOOK_SECRET"]);
    const d = await p.diff!(created.id, read.props, inputs);
    expect(d.changedKeys).toEqual(["secretNames"]);
    await emu.clearJournal();
    await p.update!(created.id, read.props, inputs);
    expect(await calls()).toEqual([`PUT /dispatch/namespaces/${NS}/scripts/acme/secrets`]);
    expect((await scriptState()).secrets.sort()).toEqual(["STRIPE_KEY", "WEBHOOK_SECRET"]);
  });

  it("refresh of a clean tenant shows no change; a deleted script reads as gone; delete removes it", async () => {
    const created = await p.create(await check(withSite()));
    const read = await p.read!(created.id, created.outs);
    expect((await p.diff!(created.id, read.props, await check(withSite()))).changes).toBe(false);
    await p.delete!(created.id, created.outs);
    expect(await scriptState()).toBeUndefined();
    expect((await p.read!(created.id, created.outs)).props).toBeUndefined();
  });

  it("takes over a UserScript's state: assets kept, only the secrets written (no script or asset call)", async () => {
    const olds = await check(withSite());
    const created = await p.create(olds);
    // What an earlier Tenant's UserScript stored: the script's outputs (its name as `name`), no secret hashes, no asset count.
    const { scriptName, secretNames: _n, secretHashes: _h, assetFiles: _a, ...rest } = created.outs as TenantOutputs;
    const legacy = { ...rest, name: scriptName };
    await emu.clearJournal();
    const inputs = await check(withSite(), olds);
    expect((await p.diff!(created.id, legacy, inputs)).changedKeys).toEqual(["secrets"]);
    const updated = await p.update!(created.id, legacy, inputs);
    expect((await calls()).every((c) => c === `PUT /dispatch/namespaces/${NS}/scripts/acme/secrets`)).toBe(true);
    expect(updated.outs).toMatchObject({ secretNames: ["STRIPE_KEY", "WEBHOOK_SECRET"], assetFiles: 2 });
  });

  it("a state of an earlier version (full outputs) plans no change with no call; a refresh rewrites it compact", async () => {
    const inputs = await check(withSite());
    const created = await p.create(inputs);
    // What versions before the compact state stored: the script's description again (check's fill-ins included), whole hashes.
    const {
      tenantId: _t,
      secrets,
      secretNames,
      assetFiles,
      assets,
      modules,
      ...script
    } = tenantInputs(fromWire(inputs, TENANT.wire!.inputs));
    const full = {
      ...script,
      modules: modules.map(({ name, type, sha256 }) => ({ name, type, sha256 })),
      assetsDigest: (await describeAssets(assets!.source, assets!.config)).digest,
      etag: (created.outs as TenantOutputs).etag,
      deployedEtag: (created.outs as TenantOutputs).etag,
      scriptName: "acme",
      secretNames,
      secretHashes: secretHashesOf(secrets),
      assetFiles,
    };
    expect(full.assetsDigest).toHaveLength(64);
    expect(full.assetsDigest.startsWith(assets!.digest)).toBe(true);
    await emu.clearJournal();
    expect((await p.diff!(created.id, full, await check(withSite(), inputs))).changes).toBe(false);
    expect(await calls()).toEqual([]);
    const read = await p.read!(created.id, full);
    expect(read.props).toEqual(created.outs);
    expect((await p.diff!(created.id, read.props, inputs)).changes).toBe(false);
  });
});

describe("Tenant check", () => {
  it("reports each bad argument once, under its own name, with no exception", async () => {
    const r = await p.check!(
      {},
      args({ tenantId: "Acme Corp", secrets: { "api-key": "x", EMPTY: "" }, tags: ["a,b"], bogus: 1, assets: { include: ["../x"] } }),
    );
    const props = r.failures!.map((f) => f.property).sort();
    expect(props).toEqual(["assets.directory", "bogus", "secrets.EMPTY", "secrets.api-key", "tags[0]", "tenantId"]);
    expect(r.failures!.find((f) => f.property === "tenantId")!.reason).toMatch(/lowercase letters/);
  });

  it("a secret named like a binding is refused", async () => {
    const r = await p.check!({}, args({ bindings: [{ type: "plain_text", name: "STRIPE_KEY", text: "x" }] }));
    expect(r.failures).toEqual([{ property: "secrets.STRIPE_KEY", reason: expect.stringMatching(/also the name of a binding/) }]);
  });

  it("a ScriptSecret with a name the Tenant also sets is refused, whichever is checked first", async () => {
    expect((await p.check!({}, args())).failures).toEqual([]);
    const secret = await scriptSecretProvider.check!({}, { namespace: NS, scriptName: "acme", name: "STRIPE_KEY", text: "v" });
    expect(secret.failures).toEqual([{ property: "name", reason: expect.stringMatching(/also in the secrets of Tenant "acme"/) }]);
    emu.newRun(); // the next run
    expect((await scriptSecretProvider.check!({}, { namespace: NS, scriptName: "acme", name: "STRIPE_KEY", text: "v" })).failures).toEqual(
      [],
    );
    const tenant = await p.check!({}, args());
    expect(tenant.failures).toEqual([{ property: "secrets.STRIPE_KEY", reason: expect.stringMatching(/also managed by a ScriptSecret/) }]);
  });
});
