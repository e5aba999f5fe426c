#!/usr/bin/env node
/**
 * @module
 * `wfp-emulator`: run the emulator. The first stdout line is `listening on http://HOST:PORT`.
 * Run with `--help` for flags.
 */
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorOptions } from "./index";
import { DEFAULT_RATE_LIMIT } from "./model/limits";

const HELP = `Usage: wfp-emulator [options]

  --port N                 port to listen on (0 = a free port; default 8787)
  --host HOST              host to bind (default 127.0.0.1)
  --token T                accepted API token (repeatable; default local-dev-token)
  --data-dir DIR           persist state in DIR (default: in memory)
  --rate-limit N/Ws        requests per window and token, e.g. 1200/300s (default), 10/1s, 50/500ms
  --rate-limit-block S     seconds a token stays blocked once over the limit (default: the window)
  --no-rate-limit          disable rate limiting
  --namespace-delete MODE  cascade (default) or reject, for non-empty namespaces
  --jwt-ttl SECONDS        lifetime of asset upload JWTs (default 3600)
  --plan PLAN              paid (default) or free: the plan's limits on asset files and Worker size
  --max-asset-files N      max files per assets manifest (default: the plan's, 100000 paid, 20000 free)
  --max-tags N             max tags per script (default 8)
  --missing-script-code C  error code of a missing script on namespace paths (default 10092)
  --lenient-asset-hashes   accept 1-64 hex-character asset hashes
  --workers-port N         run the deployed Workers and serve the account-level Workers with workers.dev on
                           on port N (0 = a free port), announced as "workers on http://HOST:PORT"
  --validate-uploads       refuse uploads that would not start, as Cloudflare does (default)
  --no-validate-uploads    accept them unchecked
  --quiet-workers          no line per request, no console output of the Workers and no live tail
                           (default with --workers-port: all on stderr, and GET /__emulator/tail)
  --local-network-worker W let the account-level Worker W (NAME or ACCOUNT_ID/NAME; repeatable) reach loopback
                           and private addresses; every other Worker reaches public addresses only
  --log                    log internal errors to stderr
  -h, --help               print this help

The API answers at http://HOST:PORT/client/v4 (the first stdout line is "listening on http://HOST:PORT").
Point the provider at it with CLOUDFLARE_BASE_URL=http://HOST:PORT/client/v4, CLOUDFLARE_API_TOKEN set to an
accepted token and CLOUDFLARE_ACCOUNT_ID set to any 32 hex characters. The emulator itself reads no
environment variables and no credentials: tokens come from --token only.

Exit codes: 0 stopped by SIGINT or SIGTERM, 1 failed to start or to stop, 2 bad arguments.
`;

const FLAGS = {
  help: { type: "boolean", short: "h" },
  port: { type: "string" },
  host: { type: "string" },
  token: { type: "string", multiple: true },
  "data-dir": { type: "string" },
  "rate-limit": { type: "string" },
  "rate-limit-block": { type: "string" },
  "no-rate-limit": { type: "boolean" },
  "namespace-delete": { type: "string" },
  "jwt-ttl": { type: "string" },
  plan: { type: "string" },
  "max-asset-files": { type: "string" },
  "max-tags": { type: "string" },
  "missing-script-code": { type: "string" },
  "lenient-asset-hashes": { type: "boolean" },
  log: { type: "boolean" },
  "workers-port": { type: "string" },
  "validate-uploads": { type: "boolean" },
  "no-validate-uploads": { type: "boolean" },
  "quiet-workers": { type: "boolean" },
  "local-network-worker": { type: "string", multiple: true },
} as const;

function fail(msg: string): never {
  process.stderr.write(`wfp-emulator: ${msg}\n\n${HELP}`);
  process.exit(2);
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) fail(`--${flag} needs a non-negative integer`);
  return n;
}

function parseWindow(v: string): { limit: number; windowMs: number } {
  const m = /^(\d+)\/(\d+)(ms|s|m)?$/.exec(v);
  if (!m) fail(`--rate-limit needs N/WINDOW, e.g. 1200/300s`);
  const unit = m[3] === "ms" ? 1 : m[3] === "m" ? 60_000 : 1000;
  return { limit: Number(m[1]), windowMs: Number(m[2]) * unit };
}

function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) fail(`--${flag} is ${allowed.join(" or ")}`);
  return v as T;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    fail((err as Error).message);
  }
}

/** Maps command-line arguments to emulator options; exits with the help text on a bad argument. */
export function optionsFromArgs(argv: string[]): EmulatorOptions {
  const values = parseFlags(argv);
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const o: EmulatorOptions = { port: int("port", values.port) ?? 8787 };
  const blockSeconds = int("rate-limit-block", values["rate-limit-block"]);
  if (values["no-rate-limit"]) o.rateLimit = false;
  else if (values["rate-limit"] !== undefined || blockSeconds !== undefined) {
    o.rateLimit = values["rate-limit"] !== undefined ? parseWindow(values["rate-limit"]) : { ...DEFAULT_RATE_LIMIT };
    if (blockSeconds !== undefined) o.rateLimit.blockMs = blockSeconds * 1000;
  }
  const optional: Partial<EmulatorOptions> = {
    host: values.host,
    tokens: values.token,
    dataDir: values["data-dir"],
    namespaceDelete: oneOf("namespace-delete", values["namespace-delete"], ["cascade", "reject"] as const),
    jwtTtlSeconds: int("jwt-ttl", values["jwt-ttl"]),
    plan: oneOf("plan", values.plan, ["paid", "free"] as const),
    maxAssetFiles: int("max-asset-files", values["max-asset-files"]),
    maxTagsPerScript: int("max-tags", values["max-tags"]),
    missingScriptCode: int("missing-script-code", values["missing-script-code"]),
    lenientAssetHashes: values["lenient-asset-hashes"],
    log: values.log,
    workersPort: int("workers-port", values["workers-port"]),
    validateUploads: values["no-validate-uploads"] ? false : values["validate-uploads"] ? true : undefined,
    localNetworkWorkers: values["local-network-worker"],
  };
  if (values["workers-port"] !== undefined) optional.workerLogs = !values["quiet-workers"];
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  return o;
}

async function main(): Promise<void> {
  const emu = await startEmulator(optionsFromArgs(process.argv.slice(2)));
  process.stdout.write(`listening on ${emu.url}\n`);
  if (emu.workersUrl) process.stdout.write(`workers on ${emu.workersUrl}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    emu.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`wfp-emulator: error while stopping on ${signal}: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`wfp-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
