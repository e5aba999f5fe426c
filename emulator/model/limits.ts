/** Named limits, with units in their names; emulator/README.md gives the evidence for each. */
export const MAX_ASSET_SIZE_BYTES = 25 * 1024 * 1024; // "under 25 MiB"; we allow exactly 25 MiB and reject above
/** What differs between Workers plans; Workers for Platforms needs Workers Paid, the default. */
export const PLAN_LIMITS = {
  paid: { maxAssetFiles: 100_000, maxScriptSizeBytes: 10 * 1024 * 1024 },
  free: { maxAssetFiles: 20_000, maxScriptSizeBytes: 3 * 1024 * 1024 },
} as const;
export type Plan = keyof typeof PLAN_LIMITS;
export const MAX_BUCKET_FILES = 2_000;
export const MAX_BUCKET_BYTES = 40 * 1024 * 1024;
export const DEFAULT_MAX_TAGS_PER_SCRIPT = 8;
export const MAX_TAG_LENGTH_CHARS = 1024;
export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_BULK_DELETE_LIMIT = 1000;
export const DEFAULT_JWT_TTL_SECONDS = 3600;
export const DEFAULT_RATE_LIMIT = { limit: 1200, windowMs: 300_000 };
/** The compatibility date Cloudflare records for an upload whose metadata names none. */
export const UNDATED_UPLOAD_COMPATIBILITY_DATE = "2021-11-02";
export const NAMESPACE_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
// Uppercase is refused: Cloudflare answers 10016 invalid_script_name for it.
export const SCRIPT_NAME_RE = /^[a-z0-9_][a-z0-9_-]{0,62}$/;
export const ACCOUNT_ID_RE = /^[0-9a-f]{32}$/i;
export const ASSET_HASH_RE = /^[0-9a-f]{32}$/;
/** A file name's limit on Linux, macOS and Windows; asset paths are laid out as files. */
export const MAX_ASSET_PATH_SEGMENT_BYTES = 255;
/** A whole asset path: well under Linux's 4,096-byte PATH_MAX once laid out below the runtime's directories. */
export const MAX_ASSET_PATH_BYTES = 2048;
/** How deep a JSON body or upload metadata may nest; Cloudflare's own payloads need fewer than ten levels. */
export const MAX_JSON_DEPTH = 64;
/** Parts of one multipart body: a bucket holds at most 2,000 files, a Worker far fewer modules. */
export const MAX_MULTIPART_PARTS = 10_000;
