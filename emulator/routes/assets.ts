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
import { Hono } from "hono";
import { ApiError, Codes, invalidRequest, invalidScript, okEnvelope } from "../model/errors";
import { assetPathProblem, fileDirectoryClash } from "../model/asset-paths";
import { ASSET_HASH_RE } from "../../cloudflare/assets";
import { batches } from "../../cloudflare/batches";
import { MAX_ASSET_SIZE_BYTES } from "../../cloudflare/limits";
import { MAX_BUCKET_BYTES, MAX_BUCKET_FILES } from "../model/limits";
import { mediaType, multipartBoundary } from "../model/multipart";
import type { AppEnv, EmulatorContext } from "../context";
import { newUuid, type AssetEntry, type BlobMeta, type ScriptContainer, type UploadSession } from "../model/store";
import { decideBlob, hashExtension, hashVerifies, reusable, sha256Hex } from "../model/asset-blobs";
import { accountId, readJson } from "./common";
import { isObject, parseParts } from "../model/validate";
import { SCOPES, scriptParam } from "./scope";

type Manifest = Record<string, AssetEntry>;

const BLOB_WRITE_CONCURRENCY = 16;

function validateManifest(raw: unknown, maxFiles: number, lenient: boolean): Manifest {
  if (!isObject(raw) || !isObject(raw.manifest)) throw invalidRequest('body must be {"manifest": {"/path": {"hash", "size"}}}');
  const entries = Object.entries(raw.manifest);
  if (entries.length > maxFiles) throw invalidRequest(`Too many assets: ${entries.length} files, the limit is ${maxFiles}`);
  const sizes = new Map<string, number>();
  const out: Manifest = {};
  for (const [path, entry] of entries) {
    const problem = assetPathProblem(path);
    if (problem) throw invalidRequest(`Invalid asset path ${JSON.stringify(path)}: ${problem}`);
    if (!isObject(entry)) throw invalidRequest(`Invalid manifest entry for '${path}': expected {hash, size}`);
    const { hash, size } = entry;
    const hashOk = typeof hash === "string" && (lenient ? /^[0-9a-fA-F]{1,64}$/.test(hash) : ASSET_HASH_RE.test(hash));
    if (!hashOk) throw invalidRequest(`Invalid hash for '${path}': expected 32 lowercase hex characters, got ${JSON.stringify(hash)}`);
    if (typeof size !== "number" || !Number.isInteger(size) || size < 0)
      throw invalidRequest(`Invalid size for '${path}': expected a non-negative integer`);
    if (size > MAX_ASSET_SIZE_BYTES)
      throw invalidRequest(`Asset '${path}' is too large: ${size} bytes, the limit is ${MAX_ASSET_SIZE_BYTES} bytes (25 MiB)`);
    const known = sizes.get(hash as string);
    if (known !== undefined && known !== size) throw invalidRequest(`Hash ${hash as string} is listed with two different sizes`);
    sizes.set(hash as string, size);
    out[path] = { hash: hash as string, size };
  }
  const clash = fileDirectoryClash(Object.keys(out));
  if (clash !== undefined) throw invalidRequest(`Invalid asset path '${clash}': '${clash}' is both a file and a directory of another path`);
  return out;
}

/** Missing hashes, each once, sorted, split into buckets of ≤ 2000 files and ≤ 40 MiB. */
export function bucketize(missing: Array<{ hash: string; size: number }>): string[][] {
  const sorted = [...missing].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const bounds = { maxItems: MAX_BUCKET_FILES, maxBytes: MAX_BUCKET_BYTES };
  return batches(sorted, bounds, (file) => file.size).map((bucket) => bucket.map((file) => file.hash));
}

function pruneSessions(ctx: EmulatorContext): void {
  const now = ctx.opts.now();
  for (const [id, s] of Object.entries(ctx.store.state.sessions)) if (s.expiresAt < now) delete ctx.store.state.sessions[id];
}

/** Signs a session or completion token for `session`; the session lives as long as its last token. */
async function signToken(
  ctx: EmulatorContext,
  kind: "session" | "completion",
  container: ScriptContainer,
  session: UploadSession,
): Promise<string> {
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

function authFailure(message: string): ApiError {
  return new ApiError(401, Codes.AUTH_ERROR, message);
}

/**
 * Checks `metadata.assets.jwt` of a script upload: a completion token for this account, container and script whose
 * files are all stored. Returns the manifest to attach. Failures → 400 10021 (see README for the choice).
 */
export async function resolveCompletionToken(
  ctx: EmulatorContext,
  account: string,
  container: ScriptContainer,
  script: string,
  jwt: string,
): Promise<Manifest> {
  const v = await ctx.signer.verify(jwt);
  if (!v.ok)
    throw invalidScript(
      v.reason === "expired" ? "assets.jwt has expired: open a new assets upload session" : "assets.jwt is not a valid completion token",
    );
  const { claims } = v;
  if (claims.kind !== "completion")
    throw invalidScript("assets.jwt is an upload-session token, not a completion token: upload the buckets first");
  if (claims.account !== account || claims.containerId !== container.id || claims.script !== script) {
    throw invalidScript("assets.jwt was issued for a different account, namespace or script");
  }
  const session = ctx.store.state.sessions[claims.sessionId];
  if (!session) throw invalidScript("assets.jwt refers to an unknown upload session");
  const missing = Object.values(session.manifest).filter((e) => !reusable(container.blobs[e.hash], script));
  if (missing.length) throw invalidScript(`assets.jwt: ${missing.length} asset(s) were never uploaded`);
  return session.manifest;
}

/** Strict base64: the standard alphabet with optional padding, length a multiple of 4 (whitespace ignored). */
function decodeBase64(text: string): Buffer | undefined {
  const clean = text.replace(/[\r\n\t ]/g, "");
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, "base64");
}

export function assetRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;

  for (const scope of SCOPES) {
    r.post(`${scope.script}/assets-upload-session`, async (c) => {
      const body = await readJson(c);
      scope.find(ctx, c);
      const manifest = validateManifest(body, ctx.opts.maxAssetFiles, ctx.opts.lenientAssetHashes);
      return store.lock(scope.open(ctx, c).id, async () => {
        const container = scope.open(ctx, c);
        pruneSessions(ctx);
        const unique = new Map<string, number>();
        const script = scriptParam(c);
        for (const e of Object.values(manifest)) if (!reusable(container.blobs[e.hash], script)) unique.set(e.hash, e.size);
        const buckets = bucketize([...unique].map(([hash, size]) => ({ hash, size })));
        const session: UploadSession = {
          id: newUuid(),
          account: accountId(c),
          containerId: container.id,
          script,
          manifest,
          pending: [...unique.keys()].sort(),
          expiresAt: 0,
        };
        store.state.sessions[session.id] = session;
        // With nothing to upload, the session's token is already the completion token.
        const jwt = await signToken(ctx, buckets.length === 0 ? "completion" : "session", container, session);
        return c.json(okEnvelope({ jwt, buckets }));
      });
    });
  }

  r.post("/assets/upload", async (c) => {
    const header = c.req.header("authorization") ?? "";
    const token = header.replace(/^Bearer\s+/i, "");
    const v = await ctx.signer.verify(token);
    if (!v.ok)
      throw authFailure(
        v.reason === "expired" ? "Expired JWT" : "Invalid JWT: the assets upload endpoint takes the upload-session JWT as Bearer token",
      );
    const { claims } = v;
    if (claims.kind !== "session") throw authFailure("Invalid JWT: a completion token cannot be used to upload");
    if (claims.account !== accountId(c)) throw authFailure("Invalid JWT: issued for a different account");
    const session = store.state.sessions[claims.sessionId];
    if (!session) throw authFailure("Invalid JWT: unknown upload session");
    if (c.req.query("base64") !== "true") throw invalidRequest("the base64 query parameter must be true");
    const boundary = multipartBoundary(c.req.header("content-type"));
    if (!boundary) throw invalidRequest("the body must be multipart/form-data");
    const parts = parseParts(Buffer.from(await c.req.arrayBuffer()), boundary, Codes.INVALID_REQUEST);
    const sizes = new Map<string, number>();
    /** Per hash, the extensions of the paths that list it (hash schemes with the extension). */
    const exts = new Map<string, string[]>();
    for (const [path, e] of Object.entries(session.manifest)) {
      sizes.set(e.hash, e.size);
      exts.set(e.hash, [...(exts.get(e.hash) ?? []), hashExtension(path)]);
    }
    const files: Array<{ hash: string; data: Buffer; contentType: string | null }> = [];
    for (const p of parts) {
      const expected = sizes.get(p.name);
      if (expected === undefined) throw invalidRequest(`Hash ${p.name} is not part of this upload session`);
      const data = decodeBase64(p.data.toString("latin1"));
      if (!data) throw invalidRequest(`The content of ${p.name} is not valid base64`);
      if (data.length !== expected) throw invalidRequest(`The content of ${p.name} is ${data.length} bytes, the manifest says ${expected}`);
      const ct = p.contentType && mediaType(p.contentType) ? p.contentType : null;
      files.push({ hash: p.name, data, contentType: ct });
    }
    return store.lock(session.containerId, async () => {
      const ns = store.containerById(session.account, session.containerId);
      if (!ns) throw new ApiError(404, Codes.NAMESPACE_NOT_FOUND, "The dispatch namespace of this upload session no longer exists.");
      // Every file decided before anything is written: a refused one changes nothing.
      const decided: Array<{ hash: string; data: Buffer; record: BlobMeta; write: boolean }> = [];
      for (const f of files) {
        const ext = exts.get(f.hash) ?? [];
        const record = ns.blobs[f.hash];
        // A record from before digests were kept: its bytes tell.
        const bytes = record && !record.digest ? await store.readBlob(ns.id, f.hash) : undefined;
        const stored =
          record &&
          (record.digest
            ? { record, digest: record.digest, verified: record.verified === true }
            : bytes && { record, digest: sha256Hex(bytes), verified: hashVerifies(f.hash, bytes, ext) });
        const upload = {
          digest: sha256Hex(f.data),
          verified: hashVerifies(f.hash, f.data, ext),
          size: f.data.length,
          contentType: f.contentType,
          script: session.script,
        };
        const d = decideBlob(f.hash, upload, stored || undefined);
        if ("refused" in d) throw invalidRequest(d.refused);
        decided.push({ hash: f.hash, data: f.data, ...d });
      }
      // Bytes first, then the record: a crash never leaves a record without its blob.
      const writes = decided.filter((f) => f.write);
      for (let i = 0; i < writes.length; i += BLOB_WRITE_CONCURRENCY) {
        await Promise.all(writes.slice(i, i + BLOB_WRITE_CONCURRENCY).map((f) => store.writeBlob(ns.id, f.hash, f.data)));
      }
      for (const f of decided) ns.blobs[f.hash] = f.record;
      if (files.length) store.touch();
      const done = session.pending.every((h) => reusable(ns.blobs[h], session.script));
      // A withheld completion looks like "more buckets to come": the client ends its upload loop without a token.
      if (!done || c.var.withholdCompletionJwt) return c.json(okEnvelope({}), 202);
      return c.json(okEnvelope({ jwt: await signToken(ctx, "completion", ns, session) }), 201);
    });
  });

  return r;
}
