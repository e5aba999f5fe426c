"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.accountId = accountId;
exports.requireNamespace = requireNamespace;
exports.readJson = readJson;
exports.isObject = isObject;
exports.parseParts = parseParts;
exports.readMultipart = readMultipart;
exports.validateTags = validateTags;
exports.validateTag = validateTag;
exports.parseTagFilter = parseTagFilter;
exports.matchesTagFilter = matchesTagFilter;
exports.redactBinding = redactBinding;
exports.validateBindings = validateBindings;
exports.resolveInherit = resolveInherit;
exports.settingsObject = settingsObject;
exports.scriptObject = scriptObject;
exports.scriptEnvelopeItem = scriptEnvelopeItem;
const errors_1 = require("../errors");
const json_1 = require("../json");
const limits_1 = require("../limits");
const multipart_1 = require("../multipart");
const store_1 = require("../store");
function accountId(c) {
    return c.req.param("account_id").toLowerCase();
}
function requireNamespace(ctx, c, name) {
    const nsName = name ?? c.req.param("namespace");
    const ns = ctx.store.findNamespace(accountId(c), nsName);
    if (!ns)
        throw new errors_1.ApiError(404, errors_1.Codes.NAMESPACE_NOT_FOUND, `Dispatch namespace '${nsName}' not found.`);
    return ns;
}
/** Reads a JSON body; malformed JSON → 400 6007. An empty body reads as `fallback` when given. */
async function readJson(c, fallback) {
    const text = await c.req.text();
    if (text.trim() === "" && fallback !== undefined)
        return fallback;
    try {
        return (0, json_1.parseBoundedJson)(text);
    }
    catch (err) {
        const why = err instanceof json_1.JsonDepthError ? `: ${err.message}` : "";
        throw new errors_1.ApiError(400, errors_1.Codes.MALFORMED_JSON, `Malformed JSON in request body${why}`);
    }
}
function isObject(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
/** Parses a multipart body; a malformed one is a 400 with `errorCode`. */
function parseParts(body, boundary, errorCode) {
    try {
        return (0, multipart_1.parseMultipart)(body, boundary);
    }
    catch (err) {
        throw new errors_1.ApiError(400, errorCode, `could not parse multipart body: ${err.message}`);
    }
}
/** Reads a multipart body, or undefined when the request is not multipart. */
async function readMultipart(c, errorCode = errors_1.Codes.SCRIPT_INVALID) {
    const boundary = (0, multipart_1.multipartBoundary)(c.req.header("content-type"));
    if (!boundary)
        return undefined;
    return parseParts(Buffer.from(await c.req.arrayBuffer()), boundary, errorCode);
}
/** Validates a tag set against the documented limits (100103 / 100102 / 100134). */
function validateTags(tags, max) {
    if (tags === null)
        return [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string"))
        throw (0, errors_1.invalidRequest)("tags must be an array of strings");
    const unique = [...new Set(tags)];
    for (const t of unique)
        validateTag(t);
    if (unique.length > max)
        throw new errors_1.ApiError(400, errors_1.Codes.TOO_MANY_TAGS, `Too many tags: a script can have at most ${max} tags (got ${unique.length}).`);
    return unique;
}
function validateTag(t) {
    if (t.length > limits_1.MAX_TAG_LENGTH_CHARS)
        throw new errors_1.ApiError(400, errors_1.Codes.TAG_TOO_LONG, `Tag is too long: at most ${limits_1.MAX_TAG_LENGTH_CHARS} characters (got ${t.length}).`);
    if (t.length === 0 || /[,&]/.test(t))
        throw new errors_1.ApiError(400, errors_1.Codes.TAG_INVALID, `Tag '${t}' is invalid: tags must be non-empty and cannot contain ',' or '&'.`);
}
/** Parses `tags=a:yes,b:no` into required and forbidden sets. */
function parseTagFilter(raw) {
    const yes = [];
    const no = [];
    if (raw === undefined || raw === "")
        return { yes, no };
    for (const item of raw.split(",")) {
        const colon = item.lastIndexOf(":");
        const tag = colon > 0 ? item.slice(0, colon) : "";
        const allowed = item.slice(colon + 1);
        if (!tag || (allowed !== "yes" && allowed !== "no")) {
            throw (0, errors_1.invalidRequest)(`Invalid tags filter '${item}': expected a comma-separated list of tag:yes or tag:no`);
        }
        (allowed === "yes" ? yes : no).push(tag);
    }
    return { yes, no };
}
function matchesTagFilter(s, f) {
    return f.yes.every((t) => s.tags.includes(t)) && f.no.every((t) => !s.tags.includes(t));
}
const WRITE_ONLY_FIELDS = new Map([
    ["secret_text", ["text"]],
    ["secret_key", ["key_base64", "key_jwk"]],
]);
/** A binding as the API returns it: secret values removed. */
function redactBinding(b) {
    const hidden = WRITE_ONLY_FIELDS.get(b.type);
    if (!hidden)
        return { ...b };
    const out = Object.assign((0, store_1.dict)(), { name: b.name, type: b.type });
    for (const [k, v] of Object.entries(b))
        if (!hidden.includes(k) && k !== "name" && k !== "type")
            out[k] = v;
    return out;
}
/** Validates a binding list: objects with string name/type, unique names, text for secret_text/plain_text. */
function validateBindings(raw) {
    if (raw === undefined || raw === null)
        return [];
    if (!Array.isArray(raw))
        throw (0, errors_1.invalidScript)("bindings must be an array");
    const seen = new Set();
    const out = [];
    for (const b of raw) {
        if (!isObject(b) || typeof b.name !== "string" || b.name === "" || typeof b.type !== "string") {
            throw (0, errors_1.invalidScript)("each binding needs a string name and type");
        }
        if (seen.has(b.name))
            throw (0, errors_1.invalidScript)(`Binding name '${b.name}' is used more than once`);
        seen.add(b.name);
        if ((b.type === "secret_text" || b.type === "plain_text") && typeof b.text !== "string") {
            throw (0, errors_1.invalidScript)(`invalid or missing text property for binding ${b.name}`);
        }
        out.push({ ...b });
    }
    return out;
}
/**
 * Resolves `inherit` bindings against the previous bindings: copies the binding named `old_name ?? name` under
 * `name`. Unresolvable ones are dropped, or, when `strict`, refused with 10057, one error per binding.
 */
function resolveInherit(bindings, previous, strict) {
    const out = [];
    const missing = [];
    for (const b of bindings) {
        if (b.type !== "inherit") {
            out.push(b);
            continue;
        }
        const from = typeof b.old_name === "string" ? b.old_name : b.name;
        const prev = previous.find((p) => p.name === from);
        if (prev)
            out.push({ ...prev, name: b.name });
        else
            missing.push({
                code: errors_1.Codes.INHERIT_BINDING_INVALID,
                message: `inherit binding '${b.name}' is invalid: previous version does not have binding named '${from}'`,
            });
    }
    const [first, ...more] = missing;
    if (strict && first)
        throw new errors_1.ApiError(400, first.code, first.message, { more });
    return out;
}
function settingsObject(s) {
    const out = {
        bindings: s.bindings.map(redactBinding),
        compatibility_date: s.compatibility_date,
        compatibility_flags: s.compatibility_flags,
        limits: s.limits ?? {},
        logpush: s.logpush,
        observability: s.observability,
        placement: s.placement,
        tags: s.tags,
        tail_consumers: s.tail_consumers,
        usage_model: s.usage_model,
    };
    if (s.extra.cache_options !== undefined)
        out.cache_options = s.extra.cache_options;
    if (s.migration_tag !== undefined)
        out.migration_tag = s.migration_tag;
    return out;
}
/** The ScriptObject (`workers_script-response`). */
function scriptObject(s) {
    const out = {
        id: s.name,
        tag: s.tag,
        etag: s.etag,
        handlers: s.handlers,
        named_handlers: [],
        compatibility_date: s.compatibility_date,
        compatibility_flags: s.compatibility_flags,
        has_assets: s.assets !== null,
        has_modules: s.main_module !== undefined,
        created_on: s.created_on,
        modified_on: s.modified_on,
        last_deployed_from: "api",
        logpush: s.logpush,
        usage_model: s.usage_model,
        placement: s.placement,
        tail_consumers: s.tail_consumers,
        tags: s.tags,
        observability: s.observability,
    };
    if (s.migration_tag !== undefined)
        out.migration_tag = s.migration_tag;
    if (s.limits !== undefined)
        out.limits = s.limits;
    return out;
}
/** The item shape of namespace script lists and GET script details. */
function scriptEnvelopeItem(namespace, s) {
    return { created_on: s.created_on, modified_on: s.modified_on, dispatch_namespace: namespace, script: scriptObject(s) };
}
