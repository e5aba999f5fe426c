/**
 * One namespace, one StaticAssets and one UserScript serving it: run by test/e2e/static-assets.test.ts.
 *
 * Config (`assets:` namespace): `namespace`, `siteDir` (absolute; the test mutates it between runs),
 * `notFoundHandling` (optional asset config) and `message` (the Worker's response: a code-only change).
 */
import * as pulumi from "@pulumi/pulumi";
import { DispatchNamespace, StaticAssets, UserScript } from "../../../../provider";

const config = new pulumi.Config("assets");
const namespace = new DispatchNamespace("ns", { name: config.require("namespace") });
const notFoundHandling = config.get("notFoundHandling");

const site = new StaticAssets("site-assets", {
  namespace: namespace.name,
  scriptName: "site",
  directory: config.require("siteDir"),
  config: notFoundHandling ? { notFoundHandling: notFoundHandling as "404-page" } : undefined,
});

const script = new UserScript("site", {
  namespace: namespace.name,
  name: "site",
  modules: [
    {
      name: "worker.js",
      content: `export default { async fetch(req, env) { return new Response(${JSON.stringify(config.get("message") ?? "v1")}); } };\n`,
    },
  ],
  compatibilityDate: "2025-06-01",
  bindings: [{ type: "assets", name: "ASSETS" }],
  assets: site.attachment,
});

export const digest = site.digest;
export const fileCount = site.fileCount;
export const uploadedFiles = site.uploadedFiles;
export const assetsDigest = script.assetsDigest;
export const etag = script.etag;
