/**
 * Uploading a manifest: session → buckets → completion token.
 *
 * 1. Open an upload session with the manifest (`POST .../scripts/{name}/assets-upload-session`). The server
 *    answers with the buckets of hashes it does not hold yet; with none, its JWT already is the completion token.
 * 2. Upload the buckets, {@link UploadOptions.concurrency} at a time, each as one multipart request to
 *    `POST /workers/assets/upload?base64=true` authenticated by the session JWT. Parts are named by hash, hold the
 *    base64 bytes and carry the file's Content-Type. Contents are read only when a bucket is sent, so memory stays
 *    near `concurrency × bucket size` (the server caps buckets at 40 MiB).
 *    Throttling (429, with Retry-After), 5xx and dropped connections are retried per request by CloudflareApi.
 * 3. The response that completes the set (201) carries the completion JWT.
 *
 * Recovery: a 401/403 on a bucket means the session JWT expired or was revoked. We stop sending, open a fresh
 * session (the server buckets only the hashes still missing) and carry on, up to {@link MAX_SESSIONS} sessions.
 * If every bucket went up but no response carried the completion JWT (another uploader finished the set), one
 * more session returns empty buckets and a completion token.
 */
import { promises as fsp } from "node:fs";
import type { CloudflareApi } from "../api/client";
import { openAssetsSession, uploadAssetsBucket, type AssetsSession } from "../api/assets";
import { CloudflareApiError } from "../api/errors";
import type { ScriptRef } from "../api/scripts";
import { hashAssetBytes } from "./hash";
import { wireManifest, type AssetFile } from "./manifest";

export const DEFAULT_UPLOAD_CONCURRENCY = 3;
export const MAX_UPLOAD_CONCURRENCY = 16;
/** Sessions opened for one upload before giving up (the first included). */
export const MAX_SESSIONS = 4;
const PROGRESS_INTERVAL_MS = 2_000;

export interface UploadOptions {
  /** Buckets in flight; default 3. */
  concurrency?: number;
  /** Names the resource in errors and logs, e.g. `StaticAssets "ns/site"`. */
  resource: string;
  /** The manifest's isolation salt: each file read is hashed again, so bytes changed since the manifest are never sent. */
  salt?: string;
  progressIntervalMs?: number;
}

export interface UploadResult {
  completionToken: string;
  /** Files (distinct hashes) this upload sent. */
  uploadedFiles: number;
  uploadedBytes: number;
  /** Distinct hashes the server already held. */
  alreadyUploaded: number;
  sessions: number;
}

/** Step 1: a session for the manifest. */
function openSession(api: CloudflareApi, target: ScriptRef, files: AssetFile[], resource: string, attempt: number): Promise<AssetsSession> {
  const operation = attempt > 1 ? `open assets upload session (attempt ${attempt})` : "open assets upload session";
  return openAssetsSession(api, target, wireManifest(files), { resource, operation });
}

/** Builds one bucket's multipart body: a File per hash, named by the hash, holding base64, typed. */
export async function bucketForm(
  hashes: string[],
  byHash: Map<string, AssetFile>,
  resource: string,
  salt = "",
): Promise<{ form: FormData; bytes: number }> {
  const form = new FormData();
  let bytes = 0;
  for (const hash of hashes) {
    const file = byHash.get(hash);
    if (!file) throw new Error(`${resource}: the server asked for hash ${hash}, which is not in the manifest`);
    const data = await fsp.readFile(file.absPath);
    if (data.length !== file.size) {
      throw new Error(
        `${resource}: ${file.path} changed while uploading (${file.size} bytes when hashed, ${data.length} now). Run the update again.`,
      );
    }
    if (hashAssetBytes(data, file.path, salt) !== hash)
      throw new Error(`${resource}: ${file.path} changed since it was hashed (same size, other bytes). Run the update again.`);
    bytes += data.length;
    form.append(hash, new File([data.toString("base64")], hash, { type: file.contentType }));
  }
  return { form, bytes };
}

const isSessionRejected = (error: unknown) => error instanceof CloudflareApiError && (error.status === 401 || error.status === 403);

class SessionExpired extends Error {}

/** Steps 1–3 with recovery; see the module comment. */
export async function uploadAssets(
  api: CloudflareApi,
  target: ScriptRef,
  files: AssetFile[],
  options: UploadOptions,
): Promise<UploadResult> {
  const { resource } = options;
  const logger = api.log;
  const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY, MAX_UPLOAD_CONCURRENCY));
  const byHash = new Map<string, AssetFile>();
  for (const f of files) if (!byHash.has(f.hash)) byHash.set(f.hash, f);

  const started = Date.now();
  const uploaded = new Set<string>();
  let uploadedBytes = 0;
  let alreadyUploaded = 0;
  let toUpload = { files: 0, bytes: 0 };
  let lastProgress = started;
  const progressEvery = options.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  const progress = () => `uploaded ${uploaded.size} of ${toUpload.files} files (${mb(uploadedBytes)} of ${mb(toUpload.bytes)})`;

  for (let session = 1; session <= MAX_SESSIONS; session++) {
    const { jwt, buckets } = await openSession(api, target, files, resource, session);
    if (buckets.length === 0) {
      if (session === 1) alreadyUploaded = byHash.size;
      logUpload();
      return { completionToken: jwt, uploadedFiles: uploaded.size, uploadedBytes, alreadyUploaded, sessions: session };
    }
    const pending = buckets.flat();
    if (session === 1) {
      alreadyUploaded = byHash.size - new Set(pending).size;
      toUpload = { files: new Set(pending).size, bytes: [...new Set(pending)].reduce((n, h) => n + (byHash.get(h)?.size ?? 0), 0) };
    }

    let completion: string | undefined;
    let expired = false;
    let next = 0;
    const worker = async () => {
      while (!expired && next < buckets.length) {
        const index = next++;
        const hashes = buckets[index]!;
        const { form, bytes } = await bucketForm(hashes, byHash, resource, options.salt);
        try {
          const answer = await uploadAssetsBucket(api, jwt, form, {
            resource,
            operation: `upload assets bucket ${index + 1}/${buckets.length} (${hashes.length} files)`,
          });
          if (answer.completionJwt) completion = answer.completionJwt;
        } catch (error) {
          if (isSessionRejected(error)) {
            expired = true;
            throw new SessionExpired((error as Error).message);
          }
          throw error;
        }
        for (const h of hashes) uploaded.add(h);
        uploadedBytes += bytes;
        if (Date.now() - lastProgress >= progressEvery) {
          lastProgress = Date.now();
          logger.info(`${resource}: ${progress()}`);
        }
      }
    };
    const outcomes = await Promise.allSettled(Array.from({ length: Math.min(concurrency, buckets.length) }, worker));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected" && !(o.reason instanceof SessionExpired));
    if (failure) throw failure.reason;
    if (expired) {
      logger.warn(
        `${resource}: the assets upload session expired or was refused after ${progress()}; opening a new session to upload the rest`,
      );
      continue;
    }
    if (completion) {
      logUpload();
      return { completionToken: completion, uploadedFiles: uploaded.size, uploadedBytes, alreadyUploaded, sessions: session };
    }
    // Every bucket went up but no response completed the set: a new session sees nothing missing.
  }
  throw new Error(
    `${resource}: gave up after ${MAX_SESSIONS} assets upload sessions (${progress()}). ` +
      "Files already uploaded are kept by Cloudflare, so running the update again resumes where this stopped.",
  );

  function logUpload() {
    if (uploaded.size === 0 && Date.now() - started < progressEvery) return;
    logger.info(`${resource}: ${progress()}; ${alreadyUploaded} already uploaded; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
