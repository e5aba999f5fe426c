#!/usr/bin/env node
/**
 * `wfp-drift [--cwd DIR] [--stack NAME] [--format text|json]`: prints each drifted resource and what changed, and
 * the scripts in the stack's namespaces its state does not hold; exits 1 on either, 2 when the preview itself fails
 * or the arguments are wrong, 0 when the stack matches its program.
 */
import { oneOf, parseToolArgs, runCommand } from "../cli/command";
import { detectDrift, driftJson, formatDrift, hasDrift } from "./drift";

export const DRIFT_HELP = `Usage: wfp-drift [--cwd DIR] [--stack NAME] [--format text|json]

Refreshes a stack against the API (pulumi preview --refresh --json) and lists each resource whose real
state differs from the program, with each field that differs and what happened to it (for example
"secrets.STRIPE_KEY: deleted out of band"), and the scripts in the stack's namespaces that its state
does not hold: this stack's (left by a crashed run) and those no stack owns. Changes nothing.

Options:
  --cwd DIR        the Pulumi project directory (default: the current directory)
  --stack NAME     the stack (default: the project's selected stack)
  --format FORMAT  text (default) or json: one document {drift, resources: [{urn, type, name, change,
                   fields: [{path, change, replaces, message}]}], strays: [...]} for CI
  -h, --help       print this help

Credentials: read by the provider as in any pulumi command: a resource's accountId, then the stack config
(cloudflare:apiToken, cloudflare:accountId, cloudflare:baseUrl), then the environment (CLOUDFLARE_API_TOKEN,
CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_BASE_URL).

Environment: the pulumi CLI must be on PATH, with what the stack needs, as for pulumi itself
(PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, ...).

Exit codes: 0 no drift, 1 drift or stray scripts, 2 the preview failed or the arguments are wrong.
`;

export type DriftFormat = "text" | "json";
export type DriftCommand = { help: true } | { help: false; cwd?: string; stack?: string; format: DriftFormat } | { error: string };

/** Parses the arguments; never throws. */
export function parseDriftArgs(argv: string[]): DriftCommand {
  const options = { cwd: { type: "string" }, stack: { type: "string" }, format: { type: "string", default: "text" } } as const;
  return parseToolArgs(argv, options, (values) => {
    const format = oneOf("--format", values.format, ["text", "json"] as const);
    return typeof format === "object" ? format : { help: false, cwd: values.cwd, stack: values.stack, format };
  });
}

async function report(command: Extract<DriftCommand, { help: false }>): Promise<void> {
  const report = await detectDrift({ cwd: command.cwd ?? process.cwd(), stack: command.stack });
  console.log(command.format === "json" ? driftJson(report) : formatDrift(report));
  process.exitCode = hasDrift(report) ? 1 : 0;
}

if (require.main === module) {
  runCommand({ name: "wfp-drift", help: DRIFT_HELP, failureExitCode: 2 }, parseDriftArgs(process.argv.slice(2)), report);
}
