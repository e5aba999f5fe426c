/**
 * Tenants in one namespace, for the ownership tests (test/e2e/ownership.test.ts): a crashed run re-run, and two
 * stacks declaring the same tenant.
 *
 * Config (`own:` namespace): `namespace`; `ownsNamespace` ("true": this stack declares the DispatchNamespace);
 * `tenants`: a comma-separated list of tenant ids, each a Tenant with one module and one secret; `routes` ("true":
 * a KvNamespace `<namespace>-routes`) or `routesId` (another stack's), where a KvEntries writes `tenant:<id>` for
 * each tenant, as the example platform's routing table.
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, KvEntries, KvNamespace, Tenant } from "../../../../provider";

const config = new pulumi.Config("own");
const namespace = config.require("namespace");
const ns = config.getBoolean("ownsNamespace") ? new DispatchNamespace("ns", { name: namespace }).name : namespace;

const tenants = config.require("tenants").split(",");
const ownsRoutes = config.getBoolean("routes") ?? false;
const routesId = ownsRoutes ? new KvNamespace("routes", { title: `${namespace}-routes` }).namespaceId : config.get("routesId");
const table = routesId
  ? new KvEntries("routes", { namespaceId: routesId, entries: Object.fromEntries(tenants.map((id) => [`tenant:${id}`, id])) })
  : undefined;
export const routes = routesId;
// A stack's own routing table is written before its tenants, so a run killed after some tenants has written it.
const afterRoutes = ownsRoutes && table ? [table] : [];

export const scripts: Record<string, pulumi.Output<string>> = {};
for (const id of tenants) {
  const tenant = new Tenant(
    id,
    {
      namespace: ns,
      tenantId: id,
      modules: [{ name: "worker.js", content: `export default { fetch() { return new Response(${JSON.stringify(id)}); } };\n` }],
      compatibilityDate: "2025-06-01",
      secrets: { API_KEY: pulumi.secret(`key-${id}`) },
    },
    { dependsOn: afterRoutes },
  );
  scripts[id] = tenant.scriptName;
}
