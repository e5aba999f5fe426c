/**
 * @module
 * Emulator options and their defaults. Every [I]/disputed behaviour has a switch here (see README.md).
 */
import type { RateLimitOptions } from "./faults";
import { MAX_TAGS_PER_SCRIPT, PLAN_LIMITS, type Plan } from "../cloudflare/limits";
import { DEFAULT_JWT_TTL_SECONDS, DEFAULT_RATE_LIMIT } from "./model/limits";

export interface EmulatorOptions {
  /** Port to listen on; 0 (default) picks a free port. */
  port?: number;
  /** Host to bind; default 127.0.0.1. */
  host?: string;
  /** Accepted API tokens; default ["local-dev-token"]. */
  tokens?: string[];
  /** Persist state (state.json + asset blobs) in this directory; default: in memory only. */
  dataDir?: string;
  /** Requests per window and token, and the block once over; default {limit: 1200, windowMs: 300000}; `false` disables it. */
  rateLimit?: false | RateLimitOptions;
  /** Deleting a namespace that still holds scripts: "cascade" (default) deletes them, "reject" answers 400 10075. */
  namespaceDelete?: "cascade" | "reject";
  /** Lifetime of asset upload JWTs (session and completion), seconds; default 3600. */
  jwtTtlSeconds?: number;
  /** Whose limits apply: "paid" (default; Workers for Platforms needs it) or "free". */
  plan?: Plan;
  /** Max files in one assets manifest; default the plan's (100000 paid, 20000 free). */
  maxAssetFiles?: number;
  /** Max gzip-compressed size of a Worker's modules, bytes; default the plan's (10 MiB paid, 3 MiB free). */
  maxScriptSizeBytes?: number;
  /** Max tags per script; default 8 (the WfP docs; the schema says 10). */
  maxTagsPerScript?: number;
  /** Error code of a missing script on namespace paths: 10092 (default, what wrangler's existence probe needs) or 10007. */
  missingScriptCode?: number;
  /** Accept any 1–64 hex-character asset hash instead of exactly 32 lowercase hex characters; default false. */
  lenientAssetHashes?: boolean;
  /** Clock, for tests (ms since the epoch). Used by rate limiting and JWTs. */
  now?: () => number;
  /** Log each request to stderr; default false. */
  log?: boolean;
  /**
   * Run the deployed Workers on workerd (Miniflare) and serve the account-level Workers whose workers.dev
   * subdomain is on, on this port (0 = a free one). Default: off (Miniflare is then loaded only to validate uploads).
   */
  workersPort?: number;
  /** Refuse uploads that would not start (10021, 10068) by loading them on workerd; default: on. */
  validateUploads?: boolean;
  /**
   * With `workersPort`: a line per invocation of each Worker and its console output on stderr, and the live tail
   * (`/__emulator/tail`); default false (the CLI turns it on unless `--quiet-workers`). It costs a round trip per
   * invocation.
   */
  workerLogs?: boolean;
  /**
   * Account-level Workers that may reach loopback, private and link-local addresses (this machine's services, the
   * emulator's own ports included), by name (`NAME`, in any account) or `ACCOUNT_ID/NAME`. Every other Worker
   * reaches public addresses only, as on Cloudflare. Default: none.
   */
  localNetworkWorkers?: string[];
}

/** Options that `startEmulator` handles itself (the runtime), not the app. */
type RuntimeKeys = "workersPort" | "validateUploads" | "workerLogs" | "localNetworkWorkers";

export type ResolvedOptions = Required<Omit<EmulatorOptions, "dataDir" | "rateLimit" | RuntimeKeys>> & {
  dataDir: string | undefined;
  rateLimit: false | RateLimitOptions;
};

export function resolveOptions(o: EmulatorOptions = {}): ResolvedOptions {
  const tokens = o.tokens && o.tokens.length > 0 ? o.tokens : ["local-dev-token"];
  const plan = o.plan ?? "paid";
  return {
    port: o.port ?? 0,
    host: o.host ?? "127.0.0.1",
    tokens,
    dataDir: o.dataDir,
    rateLimit: o.rateLimit === undefined ? { ...DEFAULT_RATE_LIMIT } : o.rateLimit,
    namespaceDelete: o.namespaceDelete ?? "cascade",
    jwtTtlSeconds: o.jwtTtlSeconds ?? DEFAULT_JWT_TTL_SECONDS,
    plan,
    maxAssetFiles: o.maxAssetFiles ?? PLAN_LIMITS[plan].maxAssetFiles,
    maxScriptSizeBytes: o.maxScriptSizeBytes ?? PLAN_LIMITS[plan].maxScriptSizeBytes,
    maxTagsPerScript: o.maxTagsPerScript ?? MAX_TAGS_PER_SCRIPT,
    missingScriptCode: o.missingScriptCode ?? 10092,
    lenientAssetHashes: o.lenientAssetHashes ?? false,
    now: o.now ?? Date.now,
    log: o.log ?? false,
  };
}
