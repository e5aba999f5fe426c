/**
 * A tiny stack whose inputs come from config, so test/e2e/bad-input.test.ts can feed it bad values and
 * watch `pulumi preview` fail at check time with zero API calls.
 *
 * Config (`bad:` namespace): `namespace` (the DispatchNamespace name), `secretText` (secret; a ScriptSecret value).
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, ScriptSecret } from "../../../../provider";

const config = new pulumi.Config("bad");
const namespace = new DispatchNamespace("ns", { name: config.require("namespace") });
const secretText = config.getSecret("secretText");
if (secretText) {
  // Not tied to the namespace output, so its check runs even when the namespace's fails.
  new ScriptSecret("secret", { namespace: "bad-input-ns", scriptName: "script", name: "API_KEY", text: secretText });
}
export const namespaceName = namespace.name;
