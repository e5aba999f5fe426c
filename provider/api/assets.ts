/**
 * Asset uploads: the session (`POST .../scripts/{name}/assets-upload-session`) and its buckets
 * (`POST /accounts/{account_id}/workers/assets/upload?base64=true`, authenticated by the session JWT).
 */
import type { CloudflareApi } from "./client";
import type { Operation } from "./errors";
import { scriptPath, type ScriptRef } from "./scripts";

export interface AssetsSession {
  jwt: string;
  /** Hashes the server does not hold yet, grouped into upload requests; none when it holds them all. */
  buckets: string[][];
}

/** Opens a session for the manifest (`{"/path": {hash, size}}`). Guards against a null or malformed answer. */
export async function openAssetsSession(
  api: CloudflareApi,
  ref: ScriptRef,
  manifest: Record<string, { hash: string; size: number }>,
  op: Operation,
): Promise<AssetsSession> {
  const result = await api.call<{ jwt?: unknown; buckets?: unknown } | null>({
    method: "post",
    path: `${scriptPath(ref)}/assets-upload-session`,
    body: { manifest },
    op,
  });
  if (!result || typeof result.jwt !== "string" || result.jwt === "") {
    throw new Error(`${op.resource}: the assets upload session answered without a JWT; nothing was uploaded. Run the update again.`);
  }
  const buckets = Array.isArray(result.buckets) ? result.buckets.filter((b): b is string[] => Array.isArray(b) && b.length > 0) : [];
  return { jwt: result.jwt, buckets };
}

/** Uploads one bucket (a FormData of base64 parts named by hash); the answer that completes the set carries the completion JWT. */
export async function uploadAssetsBucket(
  api: CloudflareApi,
  sessionJwt: string,
  form: FormData,
  op: Operation,
): Promise<{ completionJwt?: string }> {
  const res = await api.send<{ jwt?: string } | null>({
    method: "post",
    path: "/assets/upload",
    query: { base64: true },
    body: form,
    headers: { Authorization: `Bearer ${sessionJwt}` },
    op,
  });
  const jwt = res.result?.jwt;
  return typeof jwt === "string" && jwt !== "" ? { completionJwt: jwt } : {};
}
