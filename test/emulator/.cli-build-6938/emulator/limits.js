"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_MULTIPART_PARTS = exports.MAX_JSON_DEPTH = exports.MAX_ASSET_PATH_BYTES = exports.MAX_ASSET_PATH_SEGMENT_BYTES = exports.ASSET_HASH_RE = exports.ACCOUNT_ID_RE = exports.SCRIPT_NAME_RE = exports.NAMESPACE_NAME_RE = exports.UNDATED_UPLOAD_COMPATIBILITY_DATE = exports.DEFAULT_RATE_LIMIT = exports.DEFAULT_JWT_TTL_SECONDS = exports.DEFAULT_BULK_DELETE_LIMIT = exports.MAX_LIST_LIMIT = exports.MAX_TAG_LENGTH_CHARS = exports.DEFAULT_MAX_TAGS_PER_SCRIPT = exports.MAX_BUCKET_BYTES = exports.MAX_BUCKET_FILES = exports.PLAN_LIMITS = exports.MAX_ASSET_SIZE_BYTES = void 0;
/** Named limits, with units in their names; emulator/README.md gives the evidence for each. */
exports.MAX_ASSET_SIZE_BYTES = 25 * 1024 * 1024; // "under 25 MiB"; we allow exactly 25 MiB and reject above
/** What differs between Workers plans; Workers for Platforms needs Workers Paid, the default. */
exports.PLAN_LIMITS = {
    paid: { maxAssetFiles: 100_000, maxScriptSizeBytes: 10 * 1024 * 1024 },
    free: { maxAssetFiles: 20_000, maxScriptSizeBytes: 3 * 1024 * 1024 },
};
exports.MAX_BUCKET_FILES = 2_000;
exports.MAX_BUCKET_BYTES = 40 * 1024 * 1024;
exports.DEFAULT_MAX_TAGS_PER_SCRIPT = 8;
exports.MAX_TAG_LENGTH_CHARS = 1024;
exports.MAX_LIST_LIMIT = 1000;
exports.DEFAULT_BULK_DELETE_LIMIT = 1000;
exports.DEFAULT_JWT_TTL_SECONDS = 3600;
exports.DEFAULT_RATE_LIMIT = { limit: 1200, windowMs: 300_000 };
/** The compatibility date Cloudflare records for an upload whose metadata names none. */
exports.UNDATED_UPLOAD_COMPATIBILITY_DATE = "2021-11-02";
exports.NAMESPACE_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
// Uppercase is refused: Cloudflare answers 10016 invalid_script_name for it.
exports.SCRIPT_NAME_RE = /^[a-z0-9_][a-z0-9_-]{0,62}$/;
exports.ACCOUNT_ID_RE = /^[0-9a-f]{32}$/i;
exports.ASSET_HASH_RE = /^[0-9a-f]{32}$/;
/** A file name's limit on Linux, macOS and Windows; asset paths are laid out as files. */
exports.MAX_ASSET_PATH_SEGMENT_BYTES = 255;
/** A whole asset path: well under Linux's 4,096-byte PATH_MAX once laid out below the runtime's directories. */
exports.MAX_ASSET_PATH_BYTES = 2048;
/** How deep a JSON body or upload metadata may nest; Cloudflare's own payloads need fewer than ten levels. */
exports.MAX_JSON_DEPTH = 64;
/** Parts of one multipart body: a bucket holds at most 2,000 files, a Worker far fewer modules. */
exports.MAX_MULTIPART_PARTS = 10_000;
