/**
 * Tenants in one namespace, for the ownership tests (test/e2e/ownership.test.ts): a crashed run re-run, and two
 * stacks declaring the same tenant.
 *
 * Config (`own:` namespace): `namespace`; `ownsNamespace` ("true": this stack declares the DispatchNamespace);
 * `tenants`: a comma-separated list of tenant ids, each a Tenant with one module and one secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, Tenant } from "../../../../provider";

const config = new pulumi.Config("own");
const namespace = config.require("namespace");
const ns = config.getBoolean("ownsNamespace") ? new DispatchNamespace("ns", { name: namespace }).name : namespace;

export const scripts: Record<string, pulumi.Output<string>> = {};
for (const id of config.require("tenants").split(",")) {
  const tenant = new Tenant(id, {
    namespace: ns,
    tenantId: id,
    modules: [{ name: "worker.js", content: `export default { fetch() { return new Response(${JSON.stringify(id)}); } };\n` }],
    compatibilityDate: "2025-06-01",
    secrets: { API_KEY: pulumi.secret(`key-${id}`) },
  });
  scripts[id] = tenant.scriptName;
}
