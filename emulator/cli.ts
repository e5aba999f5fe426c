#!/usr/bin/env node
/**
 * @module
 * `wfp-emulator`: run the emulator. The first stdout line is `listening on http://HOST:PORT`.
 * Run with `--help` for flags.
 */
import { startEmulator, type EmulatorOptions } from "./index";

const HELP = `Usage: wfp-emulator [options]

  --port N                 port to listen on (0 = a free port; default 8787)
  --host HOST              host to bind (default 127.0.0.1)
  --token T                accepted API token (repeatable; default local-dev-token)
  --data-dir DIR           persist state in DIR (default: in memory)
  --rate-limit N/Ws        per-token sliding window, e.g. 1200/300s (default), 10/1s, 50/500ms
  --rate-limit-block S     seconds a token stays blocked once over the limit (default: the window)
  --no-rate-limit          disable rate limiting
  --namespace-delete MODE  cascade (default) or reject, for non-empty namespaces
  --jwt-ttl SECONDS        lifetime of asset upload JWTs (default 3600)
  --max-asset-files N      max files per assets manifest (default 20000)
  --max-tags N             max tags per script (default 8)
  --missing-script-code C  error code of a missing script: 10007 (default) or 10092
  --lenient-asset-hashes   accept 1-64 hex-character asset hashes
  --log                    log internal errors to stderr
`;

function fail(msg: string): never {
  process.stderr.write(`wfp-emulator: ${msg}\n\n${HELP}`);
  process.exit(2);
}

function int(flag: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < 0) fail(`${flag} needs a non-negative integer`);
  return n;
}

function parseWindow(v: string | undefined): { limit: number; windowMs: number } {
  const m = /^(\d+)\/(\d+)(ms|s|m)?$/.exec(v ?? "");
  if (!m) fail(`--rate-limit needs N/WINDOW, e.g. 1200/300s`);
  const unit = m[3] === "ms" ? 1 : m[3] === "m" ? 60_000 : 1000;
  return { limit: Number(m[1]), windowMs: Number(m[2]) * unit };
}

export function parseArgs(argv: string[]): EmulatorOptions {
  const o: EmulatorOptions = { port: 8787 };
  const tokens: string[] = [];
  let blockMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        process.exit(0);
      case "--port": o.port = int(flag, value()); break;
      case "--host": o.host = value(); break;
      case "--token": tokens.push(value()); break;
      case "--data-dir": o.dataDir = value(); break;
      case "--rate-limit": o.rateLimit = parseWindow(value()); break;
      case "--rate-limit-block": blockMs = int(flag, value()) * 1000; break;
      case "--no-rate-limit": o.rateLimit = false; break;
      case "--namespace-delete": {
        const v = value();
        if (v !== "cascade" && v !== "reject") fail("--namespace-delete is cascade or reject");
        o.namespaceDelete = v;
        break;
      }
      case "--jwt-ttl": o.jwtTtlSeconds = int(flag, value()); break;
      case "--max-asset-files": o.maxAssetFiles = int(flag, value()); break;
      case "--max-tags": o.maxTagsPerScript = int(flag, value()); break;
      case "--missing-script-code": o.missingScriptCode = int(flag, value()); break;
      case "--lenient-asset-hashes": o.lenientAssetHashes = true; break;
      case "--log": o.log = true; break;
      default: fail(`unknown argument ${arg}`);
    }
  }
  if (tokens.length) o.tokens = tokens;
  if (blockMs !== undefined) {
    const base = o.rateLimit === false ? undefined : (o.rateLimit ?? { limit: 1200, windowMs: 300_000 });
    if (base) o.rateLimit = { ...base, blockMs };
  }
  return o;
}

async function main(): Promise<void> {
  const emu = await startEmulator(parseArgs(process.argv.slice(2)));
  process.stdout.write(`listening on ${emu.url}\n`);
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
