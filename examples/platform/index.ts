/**
 * The example platform: one dispatch namespace and one Tenant per entry of tenants.yaml.
 * Adding or removing an entry adds or removes exactly that tenant's resources.
 *
 * Config (root Pulumi.yaml): `platform:namespace`, `platform:tenantsFile` (relative to the project),
 * and one secret per tenant secret (`pulumi config set --secret platform:<key> <value>`).
 */
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
// Users import from "pulumi-cloudflare-wfp"; inside this repository the example uses the source.
import { DispatchNamespace, Tenant } from "../../provider";
import { loadTenantsFile, PLANS } from "./tenants";

const config = new pulumi.Config("platform");
const tenantsFile = path.resolve(pulumi.getRootDirectory(), config.get("tenantsFile") ?? "examples/platform/tenants.yaml");

const namespace = new DispatchNamespace("platform", { name: config.get("namespace") ?? "platform-tenants" });

const tenants = loadTenantsFile(tenantsFile).map(
  (t) =>
    new Tenant(t.id, {
      namespace: namespace.name,
      tenantId: t.id,
      plan: t.plan,
      tags: t.tags,
      modules: t.worker.modules.map((name) => ({ name, path: path.join(t.worker.dir, name) })),
      mainModule: t.worker.mainModule,
      compatibilityDate: t.worker.compatibilityDate,
      compatibilityFlags: t.worker.compatibilityFlags,
      bindings: t.worker.bindings as never,
      limits: PLANS[t.plan],
      secrets: Object.fromEntries(Object.entries(t.secrets).map(([name, key]) => [name, config.requireSecret(key)])),
      assets: t.assets && {
        directory: t.assets.directory,
        config: {
          htmlHandling: t.assets.htmlHandling,
          notFoundHandling: t.assets.notFoundHandling,
          runWorkerFirst: t.assets.runWorkerFirst,
        } as never,
      },
    }),
);

export const namespaceName = namespace.name;
export const deployed = pulumi.all(
  tenants.map((t) =>
    pulumi.all([t.scriptName, t.etag, t.tags, t.secretNames, t.assetFiles]).apply(([script, etag, tags, secrets, assetFiles]) => ({
      script,
      etag,
      tags,
      secrets,
      assetFiles,
    })),
  ),
);
