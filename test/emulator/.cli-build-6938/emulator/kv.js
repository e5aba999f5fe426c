"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MIN_KV_LIST_LIMIT = exports.MAX_KV_LIST_LIMIT = exports.DEFAULT_KV_LIST_LIMIT = exports.MAX_KV_TITLE_CHARS = exports.MAX_KV_BULK_ITEMS = exports.MIN_KV_TTL_SECONDS = exports.MAX_KV_METADATA_BYTES = exports.MAX_KV_VALUE_BYTES = exports.MAX_KV_KEY_BYTES = void 0;
exports.validateKey = validateKey;
exports.validateValue = validateValue;
exports.validateMetadata = validateMetadata;
exports.expiryOf = expiryOf;
exports.readEntry = readEntry;
exports.writeEntry = writeEntry;
exports.listKeys = listKeys;
exports.newKvNamespace = newKvNamespace;
/**
 * @module
 * Workers KV data in the store: validation against Cloudflare's limits, and the reads and writes the API routes and
 * the runtime's KV bindings share, so a value written one way is what the other reads. Expiry is in seconds since the
 * epoch; an expired entry is absent everywhere and dropped when met.
 */
const errors_1 = require("./errors");
const store_1 = require("./store");
exports.MAX_KV_KEY_BYTES = 512;
exports.MAX_KV_VALUE_BYTES = 25 * 1024 * 1024;
exports.MAX_KV_METADATA_BYTES = 1024;
exports.MIN_KV_TTL_SECONDS = 60;
exports.MAX_KV_BULK_ITEMS = 10_000;
exports.MAX_KV_TITLE_CHARS = 512;
exports.DEFAULT_KV_LIST_LIMIT = 1000;
exports.MAX_KV_LIST_LIMIT = 1000;
exports.MIN_KV_LIST_LIMIT = 10;
function validateKey(key) {
    if (key === "")
        throw (0, errors_1.invalidRequest)("Key name cannot be empty.");
    if (key === "." || key === "..")
        throw (0, errors_1.invalidRequest)(`Illegal key name "${key}". Please use a different name.`);
    const bytes = Buffer.byteLength(key, "utf8");
    if (bytes > exports.MAX_KV_KEY_BYTES)
        throw new errors_1.ApiError(414, errors_1.Codes.KV_KEY_TOO_LONG, `UTF-8 encoded length of ${bytes} exceeds key length limit of ${exports.MAX_KV_KEY_BYTES}.`);
    return key;
}
function validateValue(value) {
    if (value.length > exports.MAX_KV_VALUE_BYTES)
        throw new errors_1.ApiError(413, errors_1.Codes.KV_VALUE_TOO_LARGE, `Value length of ${value.length} exceeds limit of ${exports.MAX_KV_VALUE_BYTES}.`);
    return value;
}
function validateMetadata(metadata) {
    if (metadata === undefined)
        return undefined;
    const bytes = Buffer.byteLength(JSON.stringify(metadata), "utf8");
    if (bytes > exports.MAX_KV_METADATA_BYTES)
        throw new errors_1.ApiError(413, errors_1.Codes.KV_METADATA_TOO_LARGE, `Metadata length of ${bytes} exceeds limit of ${exports.MAX_KV_METADATA_BYTES}.`);
    return metadata;
}
function integer(name, raw) {
    if (raw === undefined || raw === null || raw === "")
        return undefined;
    const n = typeof raw === "number" ? raw : Number(raw);
    if (!Number.isInteger(n))
        throw (0, errors_1.invalidRequest)(`Invalid ${name} of ${JSON.stringify(raw)}. Please specify integer greater than the current number of seconds since the UNIX epoch.`);
    return n;
}
/**
 * The absolute expiry from `expiration` / `expiration_ttl` (the TTL wins, as documented), each at least 60 s ahead.
 */
function expiryOf(expiration, ttl, nowSeconds) {
    const t = integer("expiration_ttl", ttl);
    if (t !== undefined) {
        if (t < exports.MIN_KV_TTL_SECONDS)
            throw (0, errors_1.invalidRequest)(`Invalid expiration_ttl of ${t}. Expiration TTL must be at least ${exports.MIN_KV_TTL_SECONDS}.`);
        return nowSeconds + t;
    }
    const e = integer("expiration", expiration);
    if (e !== undefined && e < nowSeconds + exports.MIN_KV_TTL_SECONDS)
        throw (0, errors_1.invalidRequest)(`Invalid expiration of ${e}. Expiration times must be at least ${exports.MIN_KV_TTL_SECONDS} seconds in the future.`);
    return e;
}
/** The live entry of a key, or undefined; an expired one is dropped (not a change a client could see). */
function readEntry(ns, key, nowSeconds) {
    const e = ns.entries[key];
    if (!e)
        return undefined;
    if (e.expiration !== undefined && e.expiration <= nowSeconds) {
        delete ns.entries[key];
        return undefined;
    }
    return e;
}
function writeEntry(ns, key, value, metadata, expiration) {
    const e = { value: value.toString("base64") };
    if (metadata !== undefined)
        e.metadata = metadata;
    if (expiration !== undefined)
        e.expiration = expiration;
    ns.entries[key] = e;
}
/** Keys in byte order of their UTF-8 names (as Cloudflare lists them), after the cursor's key. */
function listKeys(ns, prefix, limit, cursor, nowSeconds) {
    let after;
    if (cursor) {
        const raw = Buffer.from(cursor, "base64url").toString("utf8");
        if (!raw.startsWith("k:"))
            throw (0, errors_1.invalidRequest)("Invalid cursor");
        after = raw.slice(2);
    }
    const names = Object.keys(ns.entries)
        .filter((k) => k.startsWith(prefix) && (after === undefined || Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const keys = [];
    let last;
    let i = 0;
    for (; i < names.length && keys.length < limit; i++) {
        const name = names[i];
        last = name;
        const e = readEntry(ns, name, nowSeconds);
        if (!e)
            continue;
        const info = { name };
        if (e.expiration !== undefined)
            info.expiration = e.expiration;
        if (e.metadata !== undefined)
            info.metadata = e.metadata;
        keys.push(info);
    }
    const more = i < names.length;
    return { keys, cursor: more && last !== undefined ? Buffer.from(`k:${last}`).toString("base64url") : "" };
}
function newKvNamespace(id, title, createdOn) {
    return { id, title, created_on: createdOn, entries: (0, store_1.dict)() };
}
