"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.USAGE_MODELS = exports.NOT_FOUND_HANDLING = exports.HTML_HANDLING = exports.MODULE_TYPES = void 0;
exports.parseUploadBody = parseUploadBody;
exports.assertScriptSize = assertScriptSize;
exports.resolveEntry = resolveEntry;
exports.detectHandlers = detectHandlers;
exports.computeEtag = computeEtag;
exports.validateAssetsConfig = validateAssetsConfig;
exports.validateCompatibility = validateCompatibility;
exports.validateUsageModel = validateUsageModel;
exports.buildScript = buildScript;
/**
 * @module
 * The script upload pipeline shared by `PUT .../scripts/:name` and `PUT .../content`:
 * 1. {@link parseUploadBody}: the wire shape (multipart, or a legacy raw service-worker body) → metadata + modules;
 * 2. {@link resolveEntry}: which module is the entry point;
 * 3. {@link buildScript}: metadata + previous version → the new stored script.
 */
const node_crypto_1 = require("node:crypto");
const node_zlib_1 = require("node:zlib");
const errors_1 = require("./errors");
const json_1 = require("./json");
const limits_1 = require("./limits");
const multipart_1 = require("./multipart");
const store_1 = require("./store");
const common_1 = require("./routes/common");
/** Module Content-Types the API accepts ([D] SDK docs; application/json accepted as a JSON module [I]). */
exports.MODULE_TYPES = new Set([
    "application/javascript+module",
    "text/javascript+module",
    "application/javascript",
    "text/javascript",
    "text/x-python",
    "text/x-python-requirement",
    "application/wasm",
    "text/plain",
    "application/octet-stream",
    "application/source-map",
    "application/json",
]);
const METADATA_UNREADABLE = "could not read content for part metadata";
/**
 * Parses an upload body. `metadataOptional` is for the content endpoint, where the entry can come from headers.
 * Rejects the SDK 7.x shape (multipart labelled application/javascript, bracket-flattened fields) with 10021.
 */
function parseUploadBody(contentType, body, metadataOptional = false) {
    const type = (0, multipart_1.mediaType)(contentType);
    if (type === "application/javascript" || type === "text/javascript") {
        const text = body.toString("utf8");
        if (/^\s*--\S+\r?\n/.test(text) && /content-disposition:\s*form-data/i.test(text)) {
            // What workerd says when it evaluates a multipart body as JavaScript.
            throw (0, errors_1.invalidScript)("Uncaught SyntaxError: Invalid or unexpected token\n  at worker.js:1:4\n (the body looks like multipart/form-data sent with Content-Type " +
                type +
                ")");
        }
        // The legacy service-worker upload: the body is the script.
        return {
            metadata: { body_part: "worker.js" },
            modules: [{ name: "worker.js", type: "application/javascript", data: body.toString("base64") }],
        };
    }
    const boundary = (0, multipart_1.multipartBoundary)(contentType);
    if (type !== "multipart/form-data") {
        throw new errors_1.ApiError(400, errors_1.Codes.SCRIPT_INVALID, "Content-Type must be one of: application/javascript, text/javascript, multipart/form-data");
    }
    if (!boundary)
        throw (0, errors_1.invalidScript)("multipart/form-data without a boundary");
    const parts = (0, common_1.parseParts)(body, boundary, errors_1.Codes.SCRIPT_INVALID);
    const bracketed = parts.find((p) => /^(metadata|files|settings)\[/.test(p.name));
    if (bracketed) {
        throw (0, errors_1.invalidScript)(`${METADATA_UNREADABLE} (found bracket-flattened field '${bracketed.name}'; send metadata as one JSON part)`);
    }
    const metaParts = parts.filter((p) => p.name === "metadata");
    let metadata = {};
    if (metaParts.length > 1)
        throw (0, errors_1.invalidScript)(`${METADATA_UNREADABLE} (more than one metadata part)`);
    if (metaParts.length === 0) {
        if (!metadataOptional)
            throw (0, errors_1.invalidScript)(METADATA_UNREADABLE);
    }
    else {
        try {
            const parsed = (0, json_1.parseBoundedJson)(metaParts[0].data.toString("utf8"));
            if (!(0, common_1.isObject)(parsed))
                throw new Error("not an object");
            metadata = parsed;
        }
        catch (err) {
            throw (0, errors_1.invalidScript)(err instanceof json_1.JsonDepthError ? `${METADATA_UNREADABLE}: ${err.message}` : METADATA_UNREADABLE);
        }
    }
    const modules = [];
    const names = new Set();
    for (const p of parts) {
        if (p.name === "metadata")
            continue;
        const name = p.filename ?? p.name;
        const ct = (0, multipart_1.mediaType)(p.contentType);
        if (!exports.MODULE_TYPES.has(ct))
            throw (0, errors_1.invalidScript)(`module files has unsupported Content-Type ${p.contentType ?? "(none)"} (module '${name}')`);
        if (names.has(name))
            throw (0, errors_1.invalidScript)(`module '${name}' was uploaded more than once`);
        names.add(name);
        modules.push({ name, type: p.contentType, data: p.data.toString("base64") });
    }
    return { metadata, modules };
}
/** 10027 when the gzip of the modules' bytes, concatenated in upload order, is over `maxBytes`. */
function assertScriptSize(modules, maxBytes) {
    const raw = Buffer.concat(modules.map((m) => Buffer.from(m.data, "base64")));
    // Deflate grows incompressible input by well under 1%, so anything smaller cannot be over.
    if (raw.length <= maxBytes * 0.99)
        return;
    const compressed = (0, node_zlib_1.gzipSync)(raw).length;
    if (compressed > maxBytes) {
        throw new errors_1.ApiError(400, errors_1.Codes.SCRIPT_TOO_LARGE, `workers.api.error.script_too_large: ${compressed} bytes compressed, the limit is ${maxBytes}`);
    }
}
/** The entry point: `main_module` or `body_part` must name a part; with neither, the first module (a heuristic). */
function resolveEntry(metadata, modules) {
    const { main_module, body_part } = metadata;
    if (main_module !== undefined && body_part !== undefined)
        throw (0, errors_1.invalidScript)("specify only one of main_module and body_part");
    for (const [key, v] of [
        ["main_module", main_module],
        ["body_part", body_part],
    ]) {
        if (v === undefined)
            continue;
        if (typeof v !== "string")
            throw (0, errors_1.invalidScript)(`${key} must be a string`);
        if (!modules.some((m) => m.name === v))
            throw (0, errors_1.invalidScript)(`Uncaught Error: No such module "${v}".`);
        return key === "main_module" ? { main_module: v } : { body_part: v };
    }
    const first = modules.find((m) => (0, multipart_1.mediaType)(m.type) !== "application/source-map");
    if (!first)
        return {};
    return (0, multipart_1.mediaType)(first.type).endsWith("+module") || (0, multipart_1.mediaType)(first.type).startsWith("text/x-python")
        ? { main_module: first.name }
        : { body_part: first.name };
}
const HANDLERS = ["fetch", "scheduled", "queue", "email", "tail", "trace"];
/** [I] A heuristic scan of the entry module for the handlers it exports; default ["fetch"]. */
function detectHandlers(modules, entry) {
    const main = modules.find((m) => m.name === (entry.main_module ?? entry.body_part));
    if (!main)
        return ["fetch"];
    const text = Buffer.from(main.data, "base64").toString("utf8");
    const found = HANDLERS.filter((h) => new RegExp(`\\b(?:async\\s+)?${h}\\s*(?:\\(|:)|addEventListener\\(\\s*["'\`]${h}["'\`]`).test(text));
    return found.length ? found : ["fetch"];
}
/** [I] sha256 over the module names, types and bytes, the entry point and the compatibility date and flags. */
function computeEtag(s) {
    const h = (0, node_crypto_1.createHash)("sha256");
    h.update(JSON.stringify([s.main_module ?? null, s.body_part ?? null, s.compatibility_date, s.compatibility_flags]));
    // The deployed version's asset set is part of its content: another deploy's assets change the etag.
    const manifest = s.assets ? Object.entries(s.assets.manifest).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
    h.update(JSON.stringify(manifest?.map(([path, e]) => [path, e.hash]) ?? null));
    for (const m of s.modules) {
        h.update(`\0${m.name}\0${m.type}\0`);
        h.update(Buffer.from(m.data, "base64"));
    }
    return h.digest("hex");
}
const KNOWN_METADATA = new Set([
    "main_module",
    "body_part",
    "bindings",
    "keep_bindings",
    "assets",
    "keep_assets",
    "tags",
    "compatibility_date",
    "compatibility_flags",
    "usage_model",
    "limits",
    "logpush",
    "observability",
    "placement",
    "tail_consumers",
    "migrations",
]);
exports.HTML_HANDLING = ["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"];
exports.NOT_FOUND_HANDLING = ["none", "404-page", "single-page-application"];
/** Validates the documented `assets.config` fields; other fields are stored as sent. */
function validateAssetsConfig(config) {
    const { html_handling, not_found_handling, run_worker_first, serve_directly } = config;
    if (html_handling !== undefined && !exports.HTML_HANDLING.includes(html_handling)) {
        throw (0, errors_1.invalidScript)(`assets.config.html_handling must be one of ${exports.HTML_HANDLING.join(", ")}`);
    }
    if (not_found_handling !== undefined && !exports.NOT_FOUND_HANDLING.includes(not_found_handling)) {
        throw (0, errors_1.invalidScript)(`assets.config.not_found_handling must be one of ${exports.NOT_FOUND_HANDLING.join(", ")}`);
    }
    if (run_worker_first !== undefined && typeof run_worker_first !== "boolean") {
        const rules = run_worker_first;
        if (!Array.isArray(rules) || rules.some((r) => typeof r !== "string" || !/^!?\//.test(r))) {
            throw (0, errors_1.invalidScript)("assets.config.run_worker_first must be a boolean or an array of rules starting with '/' or '!/'");
        }
        if (!rules.some((r) => r.startsWith("/")))
            throw (0, errors_1.invalidScript)("assets.config.run_worker_first needs at least one positive rule");
    }
    if (serve_directly !== undefined && typeof serve_directly !== "boolean")
        throw (0, errors_1.invalidScript)("assets.config.serve_directly must be a boolean");
}
function validateCompatibility(metadata) {
    const out = {};
    const d = metadata.compatibility_date;
    if (d !== undefined) {
        if (typeof d !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(d))
            throw (0, errors_1.invalidScript)(`invalid compatibility_date ${JSON.stringify(d)}: expected YYYY-MM-DD`);
        out.date = d;
    }
    const f = metadata.compatibility_flags;
    if (f !== undefined) {
        if (!Array.isArray(f) || f.some((x) => typeof x !== "string"))
            throw (0, errors_1.invalidScript)("compatibility_flags must be an array of strings");
        out.flags = f;
    }
    return out;
}
exports.USAGE_MODELS = ["standard", "bundled", "unbound"];
function validateUsageModel(v) {
    if (typeof v !== "string" || !exports.USAGE_MODELS.includes(v))
        throw (0, errors_1.invalidScript)(`invalid usage_model ${JSON.stringify(v)}`);
    return v;
}
/** Builds the new version of a script from a full upload (PUT .../scripts/:name). */
function buildScript(input) {
    const { metadata: m, modules, previous } = input;
    const entry = resolveEntry(m, modules);
    const previousBindings = previous?.bindings ?? [];
    // Bindings: sent (inherit resolved) ∪ kept-by-type from the previous version, sent names win.
    let bindings = (0, common_1.resolveInherit)((0, common_1.validateBindings)(m.bindings), previousBindings, input.strictInherit);
    if (m.keep_bindings !== undefined) {
        if (!Array.isArray(m.keep_bindings) || m.keep_bindings.some((t) => typeof t !== "string"))
            throw (0, errors_1.invalidScript)("keep_bindings must be an array of binding types");
        const keep = new Set(m.keep_bindings);
        const sent = new Set(bindings.map((b) => b.name));
        bindings = [...bindings, ...previousBindings.filter((b) => keep.has(b.type) && !sent.has(b.name)).map((b) => ({ ...b }))];
    }
    // Assets: an explicit upload wins over keep_assets; neither → no assets.
    const assetsField = m.assets;
    if (assetsField !== undefined && assetsField !== null && !(0, common_1.isObject)(assetsField))
        throw (0, errors_1.invalidScript)("assets must be an object");
    const config = (0, common_1.isObject)(assetsField) && assetsField.config !== undefined ? assetsField.config : undefined;
    if (config !== undefined && config !== null && !(0, common_1.isObject)(config))
        throw (0, errors_1.invalidScript)("assets.config must be an object");
    if ((0, common_1.isObject)(config))
        validateAssetsConfig(config);
    if (m.keep_assets !== undefined && typeof m.keep_assets !== "boolean")
        throw (0, errors_1.invalidScript)("keep_assets must be a boolean");
    let assets = null;
    if (input.uploadedAssets) {
        assets = { manifest: input.uploadedAssets, config: config ?? null };
    }
    else if (m.keep_assets === true && previous?.assets) {
        assets = {
            manifest: previous.assets.manifest,
            config: config !== undefined ? config : previous.assets.config,
        };
    }
    if (!assets && bindings.some((b) => b.type === "assets"))
        throw (0, errors_1.invalidScript)("Cannot use an assets binding without assets");
    const tags = m.tags === undefined ? (previous?.tags ?? []) : (0, common_1.validateTags)(m.tags, input.maxTags);
    const compat = validateCompatibility(m);
    if (m.logpush !== undefined && typeof m.logpush !== "boolean")
        throw (0, errors_1.invalidScript)("logpush must be a boolean");
    if (m.observability !== undefined && m.observability !== null && !(0, common_1.isObject)(m.observability))
        throw (0, errors_1.invalidScript)("observability must be an object");
    let migrationTag = previous?.migration_tag;
    if (m.migrations !== undefined && m.migrations !== null) {
        if (!(0, common_1.isObject)(m.migrations))
            throw (0, errors_1.invalidScript)("migrations must be an object");
        const { old_tag, new_tag } = m.migrations;
        if (old_tag !== undefined && old_tag !== (previous?.migration_tag ?? undefined)) {
            throw (0, errors_1.invalidScript)(`migration old_tag ${JSON.stringify(old_tag)} does not match the current migration tag ${JSON.stringify(previous?.migration_tag ?? null)}`);
        }
        if (typeof new_tag === "string")
            migrationTag = new_tag;
    }
    const extra = (0, store_1.dict)();
    for (const [k, v] of Object.entries(m))
        if (!KNOWN_METADATA.has(k))
            extra[k] = v;
    const script = {
        name: input.name,
        tag: previous?.tag ?? input.newTag,
        created_on: previous?.created_on ?? input.now,
        modified_on: input.now,
        etag: "",
        modules,
        ...entry,
        bindings,
        tags,
        compatibility_date: compat.date ?? limits_1.UNDATED_UPLOAD_COMPATIBILITY_DATE,
        compatibility_flags: compat.flags ?? [],
        usage_model: m.usage_model === undefined ? "standard" : validateUsageModel(m.usage_model),
        logpush: m.logpush ?? false,
        observability: m.observability ?? { enabled: false },
        placement: m.placement ?? {},
        tail_consumers: m.tail_consumers ?? null,
        assets,
        handlers: detectHandlers(modules, entry),
        extra,
    };
    if (m.limits !== undefined)
        script.limits = m.limits;
    if (previous?.subdomain)
        script.subdomain = previous.subdomain;
    // Cron triggers are set on their own endpoint; an upload keeps them.
    if (previous?.schedules)
        script.schedules = previous.schedules;
    if (migrationTag !== undefined)
        script.migration_tag = migrationTag;
    script.etag = computeEtag(script);
    return script;
}
