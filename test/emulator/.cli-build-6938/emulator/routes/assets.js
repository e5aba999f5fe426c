"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.bucketize = bucketize;
exports.resolveCompletionToken = resolveCompletionToken;
exports.assetRoutes = assetRoutes;
/**
 * @module
 * Static assets: the upload session (manifest → buckets + JWT) and the upload endpoint (JWT-authenticated).
 *
 * 1. `POST .../scripts/:script/assets-upload-session` (either scope) validates the manifest and buckets the hashes
 *    the script's container (its namespace, or the account's Workers) does not hold yet. With nothing to upload, the returned JWT is already the completion token.
 * 2. `POST /workers/assets/upload?base64=true` (Bearer: the session JWT) stores base64 parts named by hash;
 *    202 `{}` while hashes remain, 201 `{jwt: <completion token>}` once all are present.
 * 3. The script upload resolves `assets.jwt` through {@link resolveCompletionToken}.
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const asset_paths_1 = require("../asset-paths");
const limits_1 = require("../limits");
const multipart_1 = require("../multipart");
const store_1 = require("../store");
const common_1 = require("./common");
const scope_1 = require("./scope");
const BLOB_WRITE_CONCURRENCY = 16;
function validateManifest(raw, maxFiles, lenient) {
    if (!(0, common_1.isObject)(raw) || !(0, common_1.isObject)(raw.manifest))
        throw (0, errors_1.invalidRequest)('body must be {"manifest": {"/path": {"hash", "size"}}}');
    const entries = Object.entries(raw.manifest);
    if (entries.length > maxFiles)
        throw (0, errors_1.invalidRequest)(`Too many assets: ${entries.length} files, the limit is ${maxFiles}`);
    const sizes = new Map();
    const out = {};
    for (const [path, entry] of entries) {
        const problem = (0, asset_paths_1.assetPathProblem)(path);
        if (problem)
            throw (0, errors_1.invalidRequest)(`Invalid asset path ${JSON.stringify(path)}: ${problem}`);
        if (!(0, common_1.isObject)(entry))
            throw (0, errors_1.invalidRequest)(`Invalid manifest entry for '${path}': expected {hash, size}`);
        const { hash, size } = entry;
        const hashOk = typeof hash === "string" && (lenient ? /^[0-9a-fA-F]{1,64}$/.test(hash) : limits_1.ASSET_HASH_RE.test(hash));
        if (!hashOk)
            throw (0, errors_1.invalidRequest)(`Invalid hash for '${path}': expected 32 lowercase hex characters, got ${JSON.stringify(hash)}`);
        if (typeof size !== "number" || !Number.isInteger(size) || size < 0)
            throw (0, errors_1.invalidRequest)(`Invalid size for '${path}': expected a non-negative integer`);
        if (size > limits_1.MAX_ASSET_SIZE_BYTES)
            throw (0, errors_1.invalidRequest)(`Asset '${path}' is too large: ${size} bytes, the limit is ${limits_1.MAX_ASSET_SIZE_BYTES} bytes (25 MiB)`);
        const known = sizes.get(hash);
        if (known !== undefined && known !== size)
            throw (0, errors_1.invalidRequest)(`Hash ${hash} is listed with two different sizes`);
        sizes.set(hash, size);
        out[path] = { hash: hash, size };
    }
    const clash = (0, asset_paths_1.fileDirectoryClash)(Object.keys(out));
    if (clash !== undefined)
        throw (0, errors_1.invalidRequest)(`Invalid asset path '${clash}': '${clash}' is both a file and a directory of another path`);
    return out;
}
/** Missing hashes, each once, sorted, split into buckets of ≤ 2000 files and ≤ 40 MiB. */
function bucketize(missing) {
    const sorted = [...missing].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const buckets = [];
    let current = [];
    let bytes = 0;
    for (const { hash, size } of sorted) {
        if (current.length > 0 && (current.length >= limits_1.MAX_BUCKET_FILES || bytes + size > limits_1.MAX_BUCKET_BYTES)) {
            buckets.push(current);
            current = [];
            bytes = 0;
        }
        current.push(hash);
        bytes += size;
    }
    if (current.length)
        buckets.push(current);
    return buckets;
}
function pruneSessions(ctx) {
    const now = ctx.opts.now();
    for (const [id, s] of Object.entries(ctx.store.state.sessions))
        if (s.expiresAt < now)
            delete ctx.store.state.sessions[id];
}
/** Signs a session or completion token for `session`; the session lives as long as its last token. */
async function signToken(ctx, kind, container, session) {
    const { jwt, exp } = await ctx.signer.sign({
        kind,
        account: session.account,
        containerId: container.id,
        namespaceName: container.name,
        script: session.script,
        sessionId: session.id,
    });
    session.expiresAt = Math.max(session.expiresAt, exp * 1000);
    ctx.store.touch();
    return jwt;
}
function authFailure(message) {
    return new errors_1.ApiError(401, errors_1.Codes.AUTH_ERROR, message);
}
/**
 * Checks `metadata.assets.jwt` of a script upload: a completion token for this account, container and script whose
 * files are all stored. Returns the manifest to attach. Failures → 400 10021 (see README for the choice).
 */
async function resolveCompletionToken(ctx, account, container, script, jwt) {
    const v = await ctx.signer.verify(jwt);
    if (!v.ok)
        throw (0, errors_1.invalidScript)(v.reason === "expired" ? "assets.jwt has expired: open a new assets upload session" : "assets.jwt is not a valid completion token");
    const { claims } = v;
    if (claims.kind !== "completion")
        throw (0, errors_1.invalidScript)("assets.jwt is an upload-session token, not a completion token: upload the buckets first");
    if (claims.account !== account || claims.containerId !== container.id || claims.script !== script) {
        throw (0, errors_1.invalidScript)("assets.jwt was issued for a different account, namespace or script");
    }
    const session = ctx.store.state.sessions[claims.sessionId];
    if (!session)
        throw (0, errors_1.invalidScript)("assets.jwt refers to an unknown upload session");
    const missing = Object.values(session.manifest).filter((e) => !container.blobs[e.hash]);
    if (missing.length)
        throw (0, errors_1.invalidScript)(`assets.jwt: ${missing.length} asset(s) were never uploaded`);
    return session.manifest;
}
/** Strict base64: the standard alphabet with optional padding, length a multiple of 4 (whitespace ignored). */
function decodeBase64(text) {
    const clean = text.replace(/[\r\n\t ]/g, "");
    if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean))
        return undefined;
    return Buffer.from(clean, "base64");
}
function assetRoutes(ctx) {
    const r = new hono_1.Hono();
    const { store } = ctx;
    for (const scope of scope_1.SCOPES) {
        r.post(`${scope.script}/assets-upload-session`, async (c) => {
            const body = await (0, common_1.readJson)(c);
            scope.find(ctx, c);
            const manifest = validateManifest(body, ctx.opts.maxAssetFiles, ctx.opts.lenientAssetHashes);
            return store.lock(scope.open(ctx, c).id, async () => {
                const container = scope.open(ctx, c);
                pruneSessions(ctx);
                const unique = new Map();
                for (const e of Object.values(manifest))
                    if (!container.blobs[e.hash])
                        unique.set(e.hash, e.size);
                const buckets = bucketize([...unique].map(([hash, size]) => ({ hash, size })));
                const session = {
                    id: (0, store_1.newUuid)(),
                    account: (0, common_1.accountId)(c),
                    containerId: container.id,
                    script: (0, scope_1.scriptParam)(c),
                    manifest,
                    pending: [...unique.keys()].sort(),
                    expiresAt: 0,
                };
                store.state.sessions[session.id] = session;
                // With nothing to upload, the session's token is already the completion token.
                const jwt = await signToken(ctx, buckets.length === 0 ? "completion" : "session", container, session);
                return c.json((0, errors_1.okEnvelope)({ jwt, buckets }));
            });
        });
    }
    r.post("/assets/upload", async (c) => {
        const header = c.req.header("authorization") ?? "";
        const token = header.replace(/^Bearer\s+/i, "");
        const v = await ctx.signer.verify(token);
        if (!v.ok)
            throw authFailure(v.reason === "expired" ? "Expired JWT" : "Invalid JWT: the assets upload endpoint takes the upload-session JWT as Bearer token");
        const { claims } = v;
        if (claims.kind !== "session")
            throw authFailure("Invalid JWT: a completion token cannot be used to upload");
        if (claims.account !== (0, common_1.accountId)(c))
            throw authFailure("Invalid JWT: issued for a different account");
        const session = store.state.sessions[claims.sessionId];
        if (!session)
            throw authFailure("Invalid JWT: unknown upload session");
        if (c.req.query("base64") !== "true")
            throw (0, errors_1.invalidRequest)("the base64 query parameter must be true");
        const boundary = (0, multipart_1.multipartBoundary)(c.req.header("content-type"));
        if (!boundary)
            throw (0, errors_1.invalidRequest)("the body must be multipart/form-data");
        const parts = (0, common_1.parseParts)(Buffer.from(await c.req.arrayBuffer()), boundary, errors_1.Codes.INVALID_REQUEST);
        const sizes = new Map();
        for (const e of Object.values(session.manifest))
            sizes.set(e.hash, e.size);
        const files = [];
        for (const p of parts) {
            const expected = sizes.get(p.name);
            if (expected === undefined)
                throw (0, errors_1.invalidRequest)(`Hash ${p.name} is not part of this upload session`);
            const data = decodeBase64(p.data.toString("latin1"));
            if (!data)
                throw (0, errors_1.invalidRequest)(`The content of ${p.name} is not valid base64`);
            if (data.length !== expected)
                throw (0, errors_1.invalidRequest)(`The content of ${p.name} is ${data.length} bytes, the manifest says ${expected}`);
            const ct = p.contentType && (0, multipart_1.mediaType)(p.contentType) ? p.contentType : null;
            files.push({ hash: p.name, data, contentType: ct });
        }
        return store.lock(session.containerId, async () => {
            const ns = store.containerById(session.account, session.containerId);
            if (!ns)
                throw new errors_1.ApiError(404, errors_1.Codes.NAMESPACE_NOT_FOUND, "The dispatch namespace of this upload session no longer exists.");
            // Bytes first, then the record: a crash never leaves a record without its blob.
            for (let i = 0; i < files.length; i += BLOB_WRITE_CONCURRENCY) {
                await Promise.all(files.slice(i, i + BLOB_WRITE_CONCURRENCY).map((f) => store.writeBlob(ns.id, f.hash, f.data)));
            }
            for (const f of files)
                ns.blobs[f.hash] = { size: f.data.length, contentType: f.contentType };
            if (files.length)
                store.touch();
            const done = session.pending.every((h) => ns.blobs[h]);
            // A withheld completion looks like "more buckets to come": the client ends its upload loop without a token.
            if (!done || c.var.withholdCompletionJwt)
                return c.json((0, errors_1.okEnvelope)({}), 202);
            return c.json((0, errors_1.okEnvelope)({ jwt: await signToken(ctx, "completion", ns, session) }), 201);
        });
    });
    return r;
}
