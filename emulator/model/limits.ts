/**
 * The emulator's own named limits, with units in their names; emulator/README.md gives the evidence for each.
 * Cloudflare's limits, which the provider checks too, are in cloudflare/limits.ts.
 */
export const MAX_BUCKET_FILES = 2_000;
export const MAX_BUCKET_BYTES = 40 * 1024 * 1024;
export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_BULK_DELETE_LIMIT = 1000;
export const DEFAULT_JWT_TTL_SECONDS = 3600;
export const DEFAULT_RATE_LIMIT = { limit: 1200, windowMs: 300_000 };
/** A file name's limit on Linux, macOS and Windows; asset paths are laid out as files. */
export const MAX_ASSET_PATH_SEGMENT_BYTES = 255;
/** A whole asset path: well under Linux's 4,096-byte PATH_MAX once laid out below the runtime's directories. */
export const MAX_ASSET_PATH_BYTES = 2048;
/** How deep a JSON body or upload metadata may nest; Cloudflare's own payloads need fewer than ten levels. */
export const MAX_JSON_DEPTH = 64;
/** Parts of one multipart body: a bucket holds at most 2,000 files, a Worker far fewer modules. */
export const MAX_MULTIPART_PARTS = 10_000;
