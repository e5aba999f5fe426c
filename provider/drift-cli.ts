#!/usr/bin/env node
/**
 * `wfp-drift [--cwd DIR] [--stack NAME]`: prints each drifted resource and what changed, and the scripts in the
 * stack's namespaces its state does not hold; exits 1 on either, 2 when the preview itself fails, 0 when the stack
 * matches its program.
 */
import { parseArgs } from "node:util";
import { detectDrift, formatDrift, hasDrift } from "./drift";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cwd: { type: "string" }, stack: { type: "string" } } });
  const report = await detectDrift({ cwd: values.cwd ?? process.cwd(), stack: values.stack });
  console.log(formatDrift(report));
  process.exitCode = hasDrift(report) ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(`wfp-drift: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
