#!/usr/bin/env node
/**
 * `wfp-offboard --namespace NS --tag tenant-acme [--tag plan-free=no] [--dry-run] [--stack NAME [--cwd DIR]]`:
 * deletes (or lists) the scripts of a namespace carrying the tags. Credentials: the stack's config with
 * --stack, else the environment.
 */
import { type ParsedArgs, parseToolArgs, runCommand } from "../cli/command";
import { spawn } from "node:child_process";
import { ConfigurationError, type StackConfig, stackConfigFrom } from "./credentials";
import { offboardByTag } from "./offboard";

export const OFFBOARD_HELP = `Usage: wfp-offboard --namespace NS --tag TAG[=no] [--tag ...] [--dry-run] [--stack NAME [--cwd DIR]]

Deletes every script of a dispatch namespace that carries each TAG (TAG=no: that lacks it), with
Cloudflare's bulk delete by tag, including scripts no stack manages. An empty filter is refused.
The D1 databases and R2 buckets those scripts bind are left, with their data, and listed.

Options:
  --namespace NS   the dispatch namespace (required)
  --tag TAG[=no]   a tag the scripts must carry, or with =no must not (repeatable; at least one)
  --dry-run        list the matching scripts, delete nothing
  --stack NAME     read credentials from this stack's config (pulumi config, in --cwd)
  --cwd DIR        the Pulumi project of --stack (default: the current directory)
  -h, --help       print this help

Credentials, in this order (there are no resource arguments here):
  1. with --stack, the stack config cloudflare:apiToken, cloudflare:accountId, cloudflare:baseUrl (the
     pulumi CLI must be on PATH, with the stack's PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE);
  2. the environment: CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_BASE_URL (default
     https://api.cloudflare.com/client/v4). Without --stack, only the environment is read.

Exit codes: 0 done (also when nothing matched), 1 the API call, the credentials or the stack config
failed, 2 the arguments are wrong.
`;

export interface OffboardCommand {
  namespace: string;
  tags: Record<string, boolean>;
  dryRun: boolean;
  stack?: string;
  cwd?: string;
}

/** Parses the arguments; never throws. */
export function parseOffboardArgs(argv: string[]): ParsedArgs<{ command: OffboardCommand }> {
  const options = {
    namespace: { type: "string" },
    tag: { type: "string", multiple: true },
    "dry-run": { type: "boolean", default: false },
    stack: { type: "string" },
    cwd: { type: "string" },
  } as const;
  return parseToolArgs(argv, options, (values) => {
    if (!values.namespace) return { error: "--namespace is required" };
    if (!values.tag?.length) return { error: "at least one --tag is required" };
    if (values.cwd && !values.stack) return { error: "--cwd is the project of --stack: give --stack too" };
    const tags: Record<string, boolean> = {};
    for (const spec of values.tag) {
      const [tag, want = "yes", ...rest] = spec.split("=");
      if (rest.length > 0 || !["yes", "no"].includes(want)) return { error: `--tag ${spec}: expected TAG or TAG=no` };
      tags[tag] = want !== "no";
    }
    return { command: { namespace: values.namespace, tags, dryRun: values["dry-run"], stack: values.stack, cwd: values.cwd } };
  });
}

/** The `cloudflare:` values of `pulumi config --json --show-secrets` output. */
export function cloudflareConfigFromJson(json: string): Record<string, string> {
  const parsed = JSON.parse(json) as Record<string, { value?: unknown }>;
  const out: Record<string, string> = {};
  for (const key of ["cloudflare:apiToken", "cloudflare:accountId", "cloudflare:baseUrl"]) {
    const value = parsed[key]?.value;
    if (typeof value === "string" && value !== "") out[key] = value;
  }
  return out;
}

/** Reads a stack's config with the pulumi CLI; its error output (never a value) on failure. */
export function readStackConfig(stack: string, cwd: string, pulumi = "pulumi"): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(pulumi, ["config", "--json", "--show-secrets", "--stack", stack, "--non-interactive"], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", (error) => reject(new Error(`cannot run ${pulumi} to read the config of stack ${stack}: ${error.message}`)));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`cannot read the config of stack ${stack} (pulumi exited ${code}): ${stderr.trim()}`));
      try {
        resolve(cloudflareConfigFromJson(stdout));
      } catch {
        reject(new Error(`cannot read the config of stack ${stack}: pulumi config --json printed no JSON`));
      }
    });
  });
}

async function offboard({ command }: { command: OffboardCommand }): Promise<void> {
  let stack: StackConfig = {};
  if (command.stack) {
    const config = await readStackConfig(command.stack, command.cwd ?? process.cwd());
    stack = stackConfigFrom({ get: (key) => config[key] });
  }
  let result: Awaited<ReturnType<typeof offboardByTag>>;
  try {
    result = await offboardByTag({ namespace: command.namespace, tags: command.tags, dryRun: command.dryRun }, stack);
  } catch (error) {
    if (error instanceof ConfigurationError && !command.stack) {
      throw new Error(`${error.message} (wfp-offboard reads the stack config only with --stack NAME)`);
    }
    throw error;
  }
  const verb = result.dryRun ? "would delete" : "deleted";
  console.log(`${verb} ${result.dryRun ? result.scripts.length : result.deleted} script(s) from namespace ${command.namespace}`);
  for (const name of result.scripts) console.log(`  ${name}`);
  if (result.leftBehind.length === 0) return;
  console.log(
    `${result.dryRun ? "would leave" : "left"} the storage they bind (${result.leftBehind.length}), with its data: delete it on purpose ` +
      "(pulumi destroy of its D1Database/R2Bucket with forceDestroy: true, or the Cloudflare API)",
  );
  for (const item of result.leftBehind) console.log(`  ${item}`);
}

if (require.main === module) {
  runCommand({ name: "wfp-offboard", help: OFFBOARD_HELP, failureExitCode: 1 }, parseOffboardArgs(process.argv.slice(2)), offboard);
}
