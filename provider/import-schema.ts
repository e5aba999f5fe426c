/**
 * The package schema `pulumi import` asks the provider for (GetSchema) to print the code of what it imported.
 * Pulumi's dynamic-provider host has none, so the command imported and then failed. Each of our types is a
 * resource of package `pulumi-nodejs` whose inputs are untyped (`Any`: the values are printed as read back),
 * module `dynamic/wfp` maps to the package's index, and the Node.js package is this one, so the printed code is
 * `new pulumi_nodejs.UserScript("acme", {...}, { protect: true })` with `pulumi_nodejs` imported from
 * pulumi-cloudflare-wfp. Inputs the API cannot give back and that may be secret are left out for the user to add.
 */
import { DISPATCH_NAMESPACE } from "./resources/dispatch-namespace";
import { KV_NAMESPACE } from "./resources/kv/namespace";
import { D1_DATABASE } from "./resources/d1/database";
import { R2_BUCKET } from "./resources/r2/bucket";
import { SCRIPT_SECRET } from "./resources/script-secret";
import { STATIC_ASSETS } from "./resources/static-assets";
import { type ResourceSpec, TYPE_MODULE } from "./resources/resource-kit";
import { USER_SCRIPT } from "./resources/user-script";
import { WORKER } from "./resources/worker";
import { CUSTOM_HOSTNAME } from "./resources/hostnames/custom-hostname";
import { WORKER_DOMAIN } from "./resources/hostnames/worker-domain";
import { WORKER_ROUTE } from "./resources/hostnames/worker-route";

const SPECS: readonly ResourceSpec[] = [
  DISPATCH_NAMESPACE,
  USER_SCRIPT,
  WORKER,
  SCRIPT_SECRET,
  STATIC_ASSETS,
  WORKER_DOMAIN,
  WORKER_ROUTE,
  CUSTOM_HOSTNAME,
  KV_NAMESPACE,
  D1_DATABASE,
  R2_BUCKET,
];
/** A secret's value and an assets attachment (a StaticAssets output): never printed. */
const LEFT_OUT = new Set(["text", "assets"]);

export function importSchema(version: string): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const spec of SPECS) {
    const inputs = Object.fromEntries(spec.inputs.filter((key) => !LEFT_OUT.has(key)).map((key) => [key, { $ref: "pulumi.json#/Any" }]));
    resources[`pulumi-nodejs:dynamic/${TYPE_MODULE}:${spec.kind}`] = { inputProperties: inputs, properties: inputs };
  }
  return {
    name: "pulumi-nodejs",
    version,
    meta: { moduleFormat: `dynamic/${TYPE_MODULE}()` },
    language: { nodejs: { packageName: "pulumi-cloudflare-wfp" } },
    resources,
  };
}
