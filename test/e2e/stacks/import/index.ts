/**
 * A namespace, a script with a secret and static assets, all made outside Pulumi and adopted: run by
 * test/e2e/import.test.ts, after `pulumi import` (adopt unset) or through the `import` option (`adopt` true).
 *
 * Config (`import:` namespace): `namespace`, `siteDir` (absolute), `apiKey` (secret), `adopt` (bool).
 * Import ids: DispatchNamespace `<name>`, UserScript and StaticAssets `<namespace>/<script>`,
 * ScriptSecret `<namespace>/<script>/<secret>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, ScriptSecret, StaticAssets, UserScript } from "../../../../provider";

const config = new pulumi.Config("import");
const ns = config.require("namespace");
const adopt = config.getBoolean("adopt") ?? false;
const importing = (id: string): pulumi.CustomResourceOptions => (adopt ? { import: id } : {});

// The test deploys the same code out of band.
const WORKER = "export default { async fetch(req, env) { return env.ASSETS.fetch(req); } };\n";

const namespace = new DispatchNamespace("ns", { name: ns }, importing(ns));

const assets = new StaticAssets(
  "app-assets",
  { namespace: namespace.name, scriptName: "app", directory: config.require("siteDir") },
  importing(`${ns}/app`),
);

const script = new UserScript(
  "app",
  {
    namespace: namespace.name,
    name: "app",
    modules: [{ name: "worker.js", content: WORKER }],
    compatibilityDate: "2025-06-01",
    bindings: [
      { type: "plain_text", name: "GREETING", text: "hello" },
      { type: "assets", name: "ASSETS" },
    ],
    tags: ["imported"],
    assets: assets.attachment,
  },
  importing(`${ns}/app`),
);

const secret = new ScriptSecret(
  "app-api-key",
  { namespace: namespace.name, scriptName: script.name, name: "API_KEY", text: config.requireSecret("apiKey") },
  importing(`${ns}/app/API_KEY`),
);

export const namespaceId = namespace.namespaceId;
export const etag = script.etag;
export const secretName = secret.name;
export const digest = assets.digest;
