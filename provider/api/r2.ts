/**
 * R2 buckets: `/accounts/{account_id}/r2/buckets[/{name}]` and a bucket's `/objects`, each call in the bucket's
 * jurisdiction (the `cf-r2-jurisdiction` header; none for the default one). "Gone" is Cloudflare's 10006 only.
 */
import { R2_JURISDICTION_HEADER } from "../../cloudflare/r2";
import type { R2BucketObject } from "../../cloudflare/wire";
import type { ApiRequest, CloudflareApi } from "./client";
import { CODES, unlessGone, type Operation } from "./errors";

/** A bucket: its name and jurisdiction (`default` for none). */
export interface BucketRef {
  name: string;
  jurisdiction: string;
}

const ROOT = "/r2/buckets";
const bucketPath = (b: BucketRef) => `${ROOT}/${encodeURIComponent(b.name)}`;
const headersOf = (jurisdiction: string, extra: Record<string, string> = {}) =>
  jurisdiction === "default" ? extra : { ...extra, [R2_JURISDICTION_HEADER]: jurisdiction };
const req = (r: Omit<ApiRequest, "accountRoot">): ApiRequest => ({ ...r, accountRoot: true });
const gone = [CODES.r2NoSuchBucket];

export function createR2Bucket(
  api: CloudflareApi,
  b: BucketRef,
  options: { locationHint?: string; storageClass?: string },
  op: Operation,
): Promise<R2BucketObject> {
  return api.call<R2BucketObject>(
    req({ method: "post", path: ROOT, body: { name: b.name, ...options }, headers: headersOf(b.jurisdiction), op }),
  );
}

/** GET (shared within a run); undefined when Cloudflare says it does not exist (10006). */
export function getR2Bucket(api: CloudflareApi, b: BucketRef, op: Operation): Promise<R2BucketObject | undefined> {
  return unlessGone(
    api.callShared<R2BucketObject>({ method: "get", path: bucketPath(b), accountRoot: true, headers: headersOf(b.jurisdiction), op }),
    gone,
  );
}

/** PATCH: the default storage class of new objects. */
export function setR2StorageClass(api: CloudflareApi, b: BucketRef, storageClass: string, op: Operation): Promise<R2BucketObject> {
  return api.call<R2BucketObject>(
    req({ method: "patch", path: bucketPath(b), headers: headersOf(b.jurisdiction, { "cf-r2-storage-class": storageClass }), op }),
  );
}

/** DELETE; false when it was already gone. Cloudflare refuses a bucket holding objects (10008). */
export async function deleteR2Bucket(api: CloudflareApi, b: BucketRef, op: Operation): Promise<boolean> {
  const deleted = api.call(req({ method: "delete", path: bucketPath(b), headers: headersOf(b.jurisdiction), op })).then(() => true);
  return (await unlessGone(deleted, gone)) ?? false;
}

/** Up to `perPage` object keys from `cursor` on, and the next cursor; undefined when the bucket is gone. */
export async function listR2Keys(
  api: CloudflareApi,
  b: BucketRef,
  op: Operation,
  perPage: number,
  cursor?: string,
): Promise<{ keys: string[]; cursor?: string } | undefined> {
  const request = req({
    method: "get",
    path: `${bucketPath(b)}/objects`,
    query: { per_page: perPage, cursor },
    headers: headersOf(b.jurisdiction),
    op,
  });
  const res = await unlessGone(api.send<Array<{ key: string }> | null>(request), gone);
  if (!res) return undefined;
  const next = res.resultInfo?.cursor;
  return { keys: (res.result ?? []).map((o) => o.key), cursor: typeof next === "string" && next !== "" ? next : undefined };
}

/** DELETE one object (a missing key is no error). */
export async function deleteR2Object(api: CloudflareApi, b: BucketRef, key: string, op: Operation): Promise<void> {
  await unlessGone(
    api.call(
      req({ method: "delete", path: `${bucketPath(b)}/objects/${encodeURIComponent(key)}`, headers: headersOf(b.jurisdiction), op }),
    ),
    [...gone, CODES.r2NoSuchKey],
  );
}
