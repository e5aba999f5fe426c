/**
 * Scripts with static assets in a namespace this stack does not own (created beforehand), so that several
 * stacks can deploy into it at once: run by test/e2e/concurrency.test.ts.
 *
 * Config (`conc:` namespace): `namespace`, and `scripts`: a JSON list of `{name, siteDir}`.
 */
import * as pulumi from "@pulumi/pulumi";
import { StaticAssets, UserScript } from "../../../../provider";

const config = new pulumi.Config("conc");
const namespace = config.require("namespace");
const scripts = config.requireObject<Array<{ name: string; siteDir: string }>>("scripts");

export const digests: Record<string, pulumi.Output<string>> = {};
for (const s of scripts) {
  const assets = new StaticAssets(`${s.name}-assets`, { namespace, scriptName: s.name, directory: s.siteDir });
  const script = new UserScript(s.name, {
    namespace,
    name: s.name,
    modules: [{ name: "worker.js", content: "export default { fetch(req, env) { return env.ASSETS.fetch(req); } };\n" }],
    compatibilityDate: "2025-06-01",
    bindings: [{ type: "assets", name: "ASSETS" }],
    assets: assets.attachment,
  });
  digests[s.name] = script.assetsDigest as pulumi.Output<string>;
}
