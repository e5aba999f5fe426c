/**
 * Cloudflare's numeric limits both halves act on, with units in their names. Each names its public source; the
 * emulator refuses above them and the provider's check refuses before a request is sent.
 */

/** Cron Triggers per account on Workers Paid (5 on Free): a script cannot hold more (Workers docs: Limits). */
export const MAX_CRONS = 250;

/** Tags per script (Workers for Platforms docs: Limits, and Configuration, Tags). */
export const MAX_TAGS_PER_SCRIPT = 8;

/** Characters per tag (Workers for Platforms docs: Configuration, Tags). */
export const MAX_TAG_LENGTH_CHARS = 1024;

/** One static asset file (Workers docs: Static Assets, Limits: 25 MiB); exactly 25 MiB is allowed. */
export const MAX_ASSET_SIZE_BYTES = 25 * 1024 * 1024;

/**
 * What differs between Workers plans (Workers docs: Limits; Static Assets, Limits): files per asset manifest, and a
 * Worker's size after compression. Workers for Platforms needs Workers Paid.
 */
export const PLAN_LIMITS = {
  paid: { maxAssetFiles: 100_000, maxScriptSizeBytes: 10 * 1024 * 1024 },
  free: { maxAssetFiles: 20_000, maxScriptSizeBytes: 3 * 1024 * 1024 },
} as const;
export type Plan = keyof typeof PLAN_LIMITS;

/**
 * CPU time of one invocation when neither the dispatch `limits.cpuMs` nor the script sets it: Workers Paid's
 * default (Workers docs: Limits, CPU time; up to 5 minutes when configured).
 */
export const DEFAULT_CPU_MS = 30_000;
