/**
 * A stack that upgrades from the earlier Tenant component to the Tenant resource: run by
 * test/e2e/tenant-upgrade.test.ts. With `upgrade:shape` = `component` it builds, by hand, what the earlier
 * component registered (a `wfp:index:Tenant` component with a UserScript, a ScriptSecret per secret and a
 * StaticAssets salted with the tenant id); with `tenant`, the Tenant resource of today.
 *
 * Config (`upgrade:` namespace): `namespace`, `siteDir`, `shape`, and the secrets `stripeKey`, `hookSecret`.
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, ScriptSecret, StaticAssets, Tenant, UserScript } from "../../../../provider";

const config = new pulumi.Config("upgrade");
const namespace = new DispatchNamespace("platform", { name: config.require("namespace") });
const secrets = { STRIPE_KEY: config.requireSecret("stripeKey"), WEBHOOK_SECRET: config.requireSecret("hookSecret") };
const code = "export default { async fetch(req, env) { return env.ASSETS.fetch(req); } };\n";

interface Description {
  tenantId: string;
  secrets?: Record<string, pulumi.Input<string>>;
  site?: string;
}

const tenants: Description[] = [
  { tenantId: "acme", secrets, site: config.require("siteDir") },
  { tenantId: "globex", secrets: { STRIPE_KEY: secrets.STRIPE_KEY } },
  { tenantId: "initech" },
];

const scriptArgs = (t: Description) => ({
  namespace: namespace.name,
  modules: [{ name: "worker.js", content: code }],
  compatibilityDate: "2025-06-01",
  bindings: t.site ? [{ type: "assets" as const, name: "ASSETS" }] : [],
});

/** What the earlier Tenant component registered, resource for resource. */
class ComponentTenant extends pulumi.ComponentResource {
  constructor(name: string, t: Description) {
    super("wfp:index:Tenant", name, {});
    const child = { parent: this };
    const assets = t.site
      ? new StaticAssets(
          `${name}-assets`,
          { namespace: namespace.name, scriptName: t.tenantId, directory: t.site, isolationSalt: t.tenantId },
          child,
        )
      : undefined;
    const script = new UserScript(
      name,
      { ...scriptArgs(t), name: t.tenantId, tags: [`tenant-${t.tenantId}`], assets: assets?.attachment },
      child,
    );
    for (const [secretName, text] of Object.entries(t.secrets ?? {})) {
      new ScriptSecret(`${name}-${secretName}`, { namespace: script.namespace, scriptName: script.name, name: secretName, text }, child);
    }
    this.registerOutputs({});
  }
}

const shape = config.require("shape");
for (const t of tenants) {
  if (shape === "component") new ComponentTenant(t.tenantId, t);
  else
    new Tenant(t.tenantId, {
      ...scriptArgs(t),
      tenantId: t.tenantId,
      secrets: t.secrets,
      assets: t.site ? { directory: t.site } : undefined,
    });
}
