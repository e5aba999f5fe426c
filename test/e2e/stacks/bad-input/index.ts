/**
 * A tiny stack whose inputs come from config, so test/e2e/bad-input.test.ts can feed it bad values and
 * watch `pulumi preview` fail at check time with zero API calls.
 *
 * Config (`bad:` namespace): `namespace` (the DispatchNamespace name), `secretText` (secret; a ScriptSecret value),
 * `tenantId` and `tenantSecret` (secret) for a Tenant. `BAD_INPUT_RESOURCE` (`namespace`, `secret` or `tenant`)
 * declares that resource only: the engine stops at the first resource whose check fails, so one stack with every
 * bad value set serves one preview per resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, ScriptSecret, Tenant } from "../../../../provider";

const config = new pulumi.Config("bad");
const only = process.env.BAD_INPUT_RESOURCE;
const wanted = (resource: string) => only === resource;

if (wanted("namespace")) new DispatchNamespace("ns", { name: config.require("namespace") });
const secretText = config.getSecret("secretText");
if (secretText && wanted("secret")) {
  new ScriptSecret("secret", { namespace: "bad-input-ns", scriptName: "script", name: "API_KEY", text: secretText });
}
const tenantId = config.get("tenantId");
if (tenantId !== undefined && wanted("tenant")) {
  const tenantSecret = config.getSecret("tenantSecret");
  new Tenant("tenant", {
    namespace: "bad-input-ns",
    tenantId,
    modules: [{ name: "index.js", content: "export default {}" }],
    compatibilityDate: "2025-06-01",
    secrets: tenantSecret ? { API_KEY: tenantSecret } : undefined,
  });
}
