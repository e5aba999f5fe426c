/**
 * A namespace, and optionally a UserScript with one binding, from config: test/e2e/answers.test.ts checks what
 * the engine prints for an import, a refused delete and a nested bad input.
 *
 * Config (`answers:` namespace): `namespace` (the DispatchNamespace name), `bindingType` (adds a UserScript
 * with a binding of that type).
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, UserScript } from "../../../../provider";

const config = new pulumi.Config("answers");
const namespace = new DispatchNamespace("ns", { name: config.require("namespace") });
const bindingType = config.get("bindingType");
if (bindingType) {
  new UserScript("app", {
    namespace: namespace.name,
    name: "app",
    modules: [{ name: "index.js", content: "export default { fetch() { return new Response('ok'); } };\n" }],
    compatibilityDate: "2025-06-01",
    bindings: [{ type: bindingType, name: "KV", namespaceId: "0123456789abcdef0123456789abcdef" } as never],
  });
}
export const namespaceName = namespace.name;
