/**
 * A Tenant's state: compact outputs (what users read, a digest per field of the rest) that diff exactly as the full
 * outputs of earlier versions did, and states of earlier versions (fixtures below, as `pulumi stack export` showed
 * them) that diff with no change for the same program, so an upgrade plans nothing and calls nothing.
 */
import { describe, expect, it } from "vitest";
import type { TenantInputs } from "../../provider/resources/tenant/check";
import { diffTenant, type TenantOutputs } from "../../provider/resources/tenant/provider";
import { compactScript, shortSecretHashes, storedTenantInputs, tenantInputs } from "../../provider/resources/tenant/state";
import { diffUserScript, type UserScriptInputs, type UserScriptOutputs } from "../../provider/resources/user-script";
import { secretValueHash } from "../../provider/resources/script-secret";
import { UNKNOWN } from "../../provider/validation";
import { providerSource } from "../../provider/resources/resource-kit";

const DIR = "/srv/platform/tenants/t0001";
const SHA = "f1aedd7b8649d3442ad43a2bd51d6e493b55e735a447b67e1756fc43b0eb7a3f";
const ASSETS = "d73a2e6bb8e18b7873d16e9c7e7474ef622d85461d3fe35f1d9671c574dc9033";
const ETAG = "f734ac2faaca893e94a3a6ca35c188c5a2455a372b4cb5533f7adc047663111c";
const SECRETS = { API_KEY: "key_t0001_xxxxxxxxxxxxxxxxxxxxxxxx", WEBHOOK_SECRET: "whsec_t0001_yyyyyyyyyyyyyyyyyyyyyyyy" };
const PROVIDER = providerSource("Tenant");

/** A tenant of the platform (a site, two secrets) as check normalizes it. */
const inputs = (over: Partial<TenantInputs> = {}): TenantInputs => ({
  assetFiles: 3,
  assets: { config: {}, digest: ASSETS, source: { directory: `${DIR}/public`, isolationSalt: "t0001", maxFiles: 100000 } },
  bindings: [
    { name: "ASSETS", type: "assets" },
    { name: "TENANT", text: "t0001", type: "plain_text" },
  ],
  compatibilityDate: "2025-06-01",
  compatibilityFlags: [],
  limits: { cpuMs: 500 },
  logpush: false,
  mainModule: "worker.js",
  modules: [{ name: "worker.js", path: `${DIR}/worker.js`, sha256: SHA, type: "application/javascript+module" }],
  name: "t0001",
  namespace: "bench-platform",
  observability: { enabled: false },
  owner: "wfp-owner=platform-scale/bench",
  placement: {},
  secretNames: ["API_KEY", "WEBHOOK_SECRET"],
  secrets: SECRETS,
  tags: ["tenant-t0001", "plan-pro"],
  tailConsumers: [],
  tenantId: "t0001",
  usageModel: "standard",
  ...over,
});

/** The same tenant's outputs as versions before the compact state stored them (secretHashes decrypted). */
const FULL_TENANT_OUTPUTS: TenantOutputs = {
  assetFiles: 3,
  assetsDigest: ASSETS,
  bindings: [
    { name: "ASSETS", type: "assets" },
    { name: "TENANT", text: "t0001", type: "plain_text" },
  ],
  compatibilityDate: "2025-06-01",
  compatibilityFlags: [],
  deployedEtag: ETAG,
  etag: ETAG,
  limits: { cpuMs: 500 },
  logpush: false,
  mainModule: "worker.js",
  modules: [{ name: "worker.js", sha256: SHA, type: "application/javascript+module" }],
  name: "t0001",
  namespace: "bench-platform",
  observability: { enabled: false },
  owner: "wfp-owner=platform-scale/bench",
  placement: {},
  scriptName: "t0001",
  secretHashes: {
    API_KEY: secretValueHash("API_KEY", SECRETS.API_KEY),
    WEBHOOK_SECRET: secretValueHash("WEBHOOK_SECRET", SECRETS.WEBHOOK_SECRET),
  },
  secretNames: ["API_KEY", "WEBHOOK_SECRET"],
  tags: ["tenant-t0001", "plan-pro"],
  tailConsumers: [],
  usageModel: "standard",
};

/** What this version stores for the same tenant. */
const compact = (): TenantOutputs => ({
  ...(compactScript(FULL_TENANT_OUTPUTS) as TenantOutputs),
  scriptName: "t0001",
  secretNames: ["API_KEY", "WEBHOOK_SECRET"],
  secretHashes: shortSecretHashes(SECRETS),
  assetFiles: 3,
});

/** Program changes, each with the fields the diff must name. */
const CHANGES: Array<[string, Partial<TenantInputs>]> = [
  ["a rotated secret", { secrets: { ...SECRETS, API_KEY: "key_rotated" } }],
  ["a secret added", { secrets: { ...SECRETS, NEW: "n" }, secretNames: ["API_KEY", "NEW", "WEBHOOK_SECRET"] }],
  ["a secret gone", { secrets: { API_KEY: SECRETS.API_KEY }, secretNames: ["API_KEY"] }],
  [
    "a binding changed",
    {
      bindings: [
        { name: "ASSETS", type: "assets" },
        { name: "TENANT", text: "other", type: "plain_text" },
      ],
    },
  ],
  ["a binding added", { bindings: [...inputs().bindings, { name: "MORE", text: "x", type: "plain_text" }] }],
  ["a binding gone", { bindings: [{ name: "ASSETS", type: "assets" }] }],
  ["limits", { limits: { cpuMs: 50 } }],
  ["limits gone", { limits: {} }],
  ["a module's content", { modules: [{ ...inputs().modules[0], sha256: "00".repeat(32) }] }],
  ["the main module", { mainModule: "other.js" }],
  ["the compatibility date", { compatibilityDate: "2025-07-01" }],
  ["a compatibility flag", { compatibilityFlags: ["nodejs_compat"] }],
  ["the usage model", { usageModel: "unbound" }],
  ["logpush", { logpush: true }],
  ["observability", { observability: { enabled: true } }],
  ["placement", { placement: { mode: "smart" } }],
  ["a tail consumer", { tailConsumers: [{ service: "tail" }] }],
  ["tags", { tags: ["tenant-t0001", "plan-free"] }],
  ["the owner", { owner: "wfp-owner=other/stack" }],
  ["crons", { crons: ["*/5 * * * *"] }],
  ["a Durable Object class", { durableObjects: { classes: ["Counter"] } }],
  ["the site", { assets: { ...inputs().assets!, digest: "e".repeat(64) } }],
  ["no site", { assets: undefined }],
  ["the script name", { name: "renamed" }],
  ["the namespace", { namespace: "other" }],
  ["a secret unknown at preview", { secrets: { ...SECRETS, API_KEY: UNKNOWN } }],
  ["bindings unknown at preview", { bindings: UNKNOWN as unknown as TenantInputs["bindings"] }],
];

describe("a Tenant's state", () => {
  it("an unchanged program is no change, against the full outputs of earlier versions and the compact ones", () => {
    expect(diffTenant(FULL_TENANT_OUTPUTS, inputs())).toMatchObject({ changes: false, changedKeys: [], fields: [] });
    expect(diffTenant(compact(), inputs())).toMatchObject({ changes: false, changedKeys: [], fields: [] });
    const reordered = inputs({ bindings: [...inputs().bindings].reverse() });
    expect(diffTenant(compact(), reordered).changes).toBe(false);
    expect(diffTenant(FULL_TENANT_OUTPUTS, reordered).changes).toBe(false);
  });

  it.each(CHANGES)("%s: the compact state names the same fields as the full one", (_name, over) => {
    const full = diffTenant(FULL_TENANT_OUTPUTS, inputs(over));
    expect(full.changes).toBe(true);
    expect(diffTenant(compact(), inputs(over))).toEqual(full);
  });

  it.each(CHANGES)("%s: compact outputs without hashes, given the stored inputs, name the same fields", (_name, over) => {
    const { secretHashes: _h, ...unhashed } = compact();
    const stored = storedTenantInputs(inputs());
    expect(diffTenant(unhashed as TenantOutputs, inputs(over), stored)).toEqual(diffTenant(FULL_TENANT_OUTPUTS, inputs(over)));
    expect(diffTenant(unhashed as TenantOutputs, inputs(), stored)).toMatchObject({ changes: false, fields: [] });
    // Neither hashes nor stored inputs (Pulumi's own host after this package's): the secrets are a change as a whole.
    expect(diffTenant(unhashed as TenantOutputs, inputs()).fields).toEqual([{ path: "secrets", kind: "update" }]);
  });

  it("drift read back into either shape is named the same: another deploy, a binding added out of band", () => {
    // A read keeps the etag of our deploy apart once the observed one differs.
    const other = { etag: "theirs", deployedEtag: ETAG };
    expect(compactScript({ ...FULL_TENANT_OUTPUTS, ...other })).toMatchObject(other);
    expect(diffTenant({ ...compact(), ...other }, inputs())).toEqual(diffTenant({ ...FULL_TENANT_OUTPUTS, ...other }, inputs()));
    expect(diffTenant({ ...compact(), ...other }, inputs()).fields).toEqual([{ path: "etag", kind: "update" }]);
    const extra = { name: "OOB", text: "x", type: "plain_text" as const };
    const fullLive = compactScript({ ...FULL_TENANT_OUTPUTS, bindings: [...FULL_TENANT_OUTPUTS.bindings!, extra] });
    const d = diffTenant({ ...compact(), digests: fullLive.digests }, inputs());
    expect(d.fields).toEqual([{ path: "bindings[2]", kind: "delete" }]);
  });

  it("keeps the Durable Object classes and tags as they are: the next migrations start from them, and a foreign tag is named", () => {
    const deployed = { durableObjectClasses: ["Counter"], migrationTag: "v3" };
    expect(compactScript({ ...FULL_TENANT_OUTPUTS, ...deployed })).toMatchObject(deployed);
    const withClass = inputs({ durableObjects: { classes: ["Counter"] } });
    expect(diffTenant({ ...compact(), ...deployed }, withClass).changes).toBe(false);
    const drifted = compactScript({ ...FULL_TENANT_OUTPUTS, ...deployed, migrationTag: "v9", deployedMigrationTag: "v3" });
    expect(diffTenant({ ...compact(), ...drifted } as TenantOutputs, withClass).changedKeys).toEqual(["migrationTag"]);
  });

  it("keeps what users read and no copy of the description: at most 1 KiB of outputs for a site and two secrets", () => {
    const outs = { ...compact(), __provider: PROVIDER };
    expect(outs).toMatchObject({ scriptName: "t0001", etag: ETAG, tags: ["tenant-t0001", "plan-pro"], assetFiles: 3 });
    for (const key of ["bindings", "modules", "limits", "compatibilityDate", "observability", "deployedEtag"])
      expect(outs).not.toHaveProperty(key);
    expect(JSON.stringify(outs).length).toBeLessThanOrEqual(1024);
    expect(JSON.stringify(outs).length).toBeLessThan(JSON.stringify({ ...FULL_TENANT_OUTPUTS, __provider: PROVIDER }).length * 0.6);
  });
});

describe("a Tenant's stored inputs", () => {
  const DEFAULTED = ["compatibilityFlags", "usageModel", "logpush", "observability", "placement", "tailConsumers"];

  it("leave out what check fills in, and diff, create and update get it back whole", () => {
    const stored = storedTenantInputs(inputs());
    for (const key of DEFAULTED) expect(stored).not.toHaveProperty(key);
    expect(stored.modules).toEqual([{ name: "worker.js", path: `${DIR}/worker.js`, sha256: SHA }]);
    expect(stored.assets).toEqual({ digest: ASSETS, source: { directory: `${DIR}/public` } });
    expect(stored).toMatchObject({ name: "t0001", tenantId: "t0001", limits: { cpuMs: 500 }, secrets: SECRETS });
    expect(tenantInputs(stored)).toEqual(inputs());
    expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(inputs()).length - 200);
  });

  it("keep every value the program chose, defaults' look-alikes aside", () => {
    const chosen = inputs({
      usageModel: "bundled",
      logpush: true,
      placement: { mode: "smart" },
      modules: [{ name: "worker.js", path: `${DIR}/worker.js`, sha256: SHA, type: "text/plain" }],
      assets: { config: { html_handling: "none" }, digest: ASSETS, source: { directory: DIR, isolationSalt: "other", maxFiles: 10 } },
    });
    const stored = storedTenantInputs(chosen);
    expect(stored).toMatchObject({ usageModel: "bundled", logpush: true, placement: { mode: "smart" } });
    expect(stored.modules?.[0]?.type).toBe("text/plain");
    expect(stored.assets).toEqual(chosen.assets);
    expect(tenantInputs(stored)).toEqual(chosen);
  });

  it("of earlier versions (check's inputs whole) are read as they are", () => {
    expect(tenantInputs(inputs())).toEqual(inputs());
    expect(diffTenant(compact(), tenantInputs(storedTenantInputs(inputs()))).changes).toBe(false);
  });
});

describe("a UserScript's state of earlier versions", () => {
  /** A UserScript's outputs as earlier versions stored them (also what a Tenant takes over from the earlier component). */
  const FULL_USER_SCRIPT_OUTPUTS: UserScriptOutputs = (({ scriptName: _s, secretNames: _n, secretHashes: _h, assetFiles: _a, ...rest }) =>
    rest as UserScriptOutputs)(FULL_TENANT_OUTPUTS);
  const { tenantId: _t, secrets: _s, secretNames: _n, assetFiles: _a, ...scriptInputs } = inputs();

  it("diffs with no change for the same program", () => {
    expect(diffUserScript(FULL_USER_SCRIPT_OUTPUTS, scriptInputs as UserScriptInputs)).toMatchObject({ changes: false });
  });

  it("taken over by a Tenant, only the secrets (whose hashes it lacks) are a change", () => {
    expect(diffTenant(FULL_USER_SCRIPT_OUTPUTS as TenantOutputs, inputs()).changedKeys).toEqual(["secrets"]);
  });
});
