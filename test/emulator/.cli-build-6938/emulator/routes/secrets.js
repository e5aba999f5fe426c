"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.secretRoutes = secretRoutes;
/**
 * @module
 * Script secrets, in either scope: PUT (upsert), list, GET one (value never returned), DELETE (10056 when missing),
 * PATCH bulk.
 * Secrets are bindings of type secret_text / secret_key; values are write-only.
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const store_1 = require("../store");
const common_1 = require("./common");
const scope_1 = require("./scope");
const SECRET_TYPES = new Set(["secret_text", "secret_key"]);
function secretView(b) {
    const out = { name: b.name, type: b.type };
    if (b.type === "secret_key")
        for (const k of ["format", "algorithm", "usages"])
            if (b[k] !== undefined)
                out[k] = b[k];
    return out;
}
function validateSecret(body, name) {
    if (!(0, common_1.isObject)(body))
        throw (0, errors_1.invalidScript)("secret must be a JSON object");
    const secretName = name ?? body.name;
    if (typeof secretName !== "string" || secretName === "")
        throw (0, errors_1.invalidScript)("secret name is required");
    const type = body.type ?? "secret_text";
    if (type === "secret_text") {
        if (typeof body.text !== "string")
            throw (0, errors_1.invalidScript)(`invalid or missing text property for binding ${secretName}`);
        return { name: secretName, type, text: body.text };
    }
    if (type === "secret_key") {
        if (typeof body.format !== "string" || body.algorithm === undefined || !Array.isArray(body.usages)) {
            throw (0, errors_1.invalidScript)(`secret_key ${secretName} needs format, algorithm and usages`);
        }
        if (body.key_base64 === undefined && body.key_jwk === undefined)
            throw (0, errors_1.invalidScript)(`secret_key ${secretName} needs key_base64 or key_jwk`);
        const b = { name: secretName, type, format: body.format, algorithm: body.algorithm, usages: body.usages };
        if (body.key_base64 !== undefined)
            b.key_base64 = body.key_base64;
        if (body.key_jwk !== undefined)
            b.key_jwk = body.key_jwk;
        return b;
    }
    throw (0, errors_1.invalidScript)(`unsupported secret type ${JSON.stringify(type)}`);
}
/** A secret may replace a secret, never another kind of binding: 10053. */
function assertSecretName(s, name) {
    if (s.bindings.some((x) => x.name === name && !SECRET_TYPES.has(x.type))) {
        throw new errors_1.ApiError(400, errors_1.Codes.BINDING_NAME_IN_USE, `Binding name '${name}' already in use`);
    }
}
function upsert(s, b) {
    s.bindings = [...s.bindings.filter((x) => x.name !== b.name), b];
}
function secretName(c) {
    const raw = c.req.param("name");
    if (c.req.query("url_encoded") !== "true")
        return raw;
    try {
        return decodeURIComponent(raw);
    }
    catch {
        return raw;
    }
}
function findSecret(s, name) {
    const b = s.bindings.find((x) => x.name === name && SECRET_TYPES.has(x.type));
    if (!b)
        throw new errors_1.ApiError(404, errors_1.Codes.SECRET_NOT_FOUND, `Secret '${name}' not found`);
    return b;
}
function secretRoutes(ctx) {
    const r = new hono_1.Hono();
    for (const scope of scope_1.SCOPES) {
        const SECRETS = `${scope.script}/secrets`;
        const script = (c) => (0, scope_1.requireScript)(scope, ctx, c).script;
        r.get(SECRETS, (c) => {
            const s = script(c);
            return c.json((0, errors_1.okEnvelope)(s.bindings.filter((b) => SECRET_TYPES.has(b.type)).map(secretView)));
        });
        r.put(SECRETS, async (c) => {
            const body = await (0, common_1.readJson)(c);
            const s = script(c);
            const b = validateSecret(body);
            assertSecretName(s, b.name);
            upsert(s, b);
            s.modified_on = (0, store_1.timestamp)();
            ctx.store.touch();
            return c.json((0, errors_1.okEnvelope)(secretView(b)));
        });
        r.get(`${SECRETS}/:name`, (c) => {
            const s = script(c);
            return c.json((0, errors_1.okEnvelope)(secretView(findSecret(s, secretName(c)))));
        });
        r.delete(`${SECRETS}/:name`, (c) => {
            const s = script(c);
            const name = secretName(c);
            findSecret(s, name);
            s.bindings = s.bindings.filter((b) => b.name !== name);
            s.modified_on = (0, store_1.timestamp)();
            ctx.store.touch();
            return c.json((0, errors_1.okEnvelope)(null));
        });
        // JSON Merge Patch: null deletes, an object upserts, an omitted name is unchanged.
        r.patch(`${scope.script}/secrets-bulk`, async (c) => {
            const body = await (0, common_1.readJson)(c);
            if (!(0, common_1.isObject)(body) || !(0, common_1.isObject)(body.secrets))
                throw (0, errors_1.invalidScript)('body must be {"secrets": {NAME: secret | null}}');
            const s = script(c);
            const changes = Object.entries(body.secrets).map(([name, v]) => [
                name,
                v === null ? null : validateSecret(v, name),
            ]);
            for (const [name, b] of changes)
                if (b)
                    assertSecretName(s, name);
            const result = (0, store_1.dict)();
            for (const [name, b] of changes) {
                if (b === null)
                    s.bindings = s.bindings.filter((x) => !(x.name === name && SECRET_TYPES.has(x.type)));
                else {
                    upsert(s, b);
                    result[name] = secretView(b);
                }
            }
            s.modified_on = (0, store_1.timestamp)();
            ctx.store.touch();
            return c.json((0, errors_1.okEnvelope)(result));
        });
    }
    return r;
}
