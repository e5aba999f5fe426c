#!/usr/bin/env node
/**
 * `wfp-offboard --namespace NS --tag tenant-acme [--tag plan-free=no] [--dry-run]`
 * Credentials come from CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_BASE_URL.
 */
import { parseArgs } from "node:util";
import { offboardByTag } from "./offboard";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      namespace: { type: "string" },
      tag: { type: "string", multiple: true },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || !values.namespace || !values.tag?.length) {
    console.log("usage: wfp-offboard --namespace NS --tag TAG[=no] [--tag ...] [--dry-run]");
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const tags: Record<string, boolean> = {};
  for (const spec of values.tag) {
    const [tag, want = "yes"] = spec.split("=");
    tags[tag] = want !== "no";
  }
  const result = await offboardByTag({ namespace: values.namespace, tags, dryRun: values["dry-run"] });
  const verb = result.dryRun ? "would delete" : "deleted";
  console.log(`${verb} ${result.dryRun ? result.scripts.length : result.deleted} script(s) from namespace ${values.namespace}`);
  for (const name of result.scripts) console.log(`  ${name}`);
}

main().catch((error: unknown) => {
  console.error(`wfp-offboard: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
