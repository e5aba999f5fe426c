/**
 * @module
 * R2 buckets: `/accounts/{account}/r2/buckets[/{name}]` (create, list, get, storage class update, delete), the
 * jurisdiction in the `cf-r2-jurisdiction` header of each call (buckets of different jurisdictions may share a
 * name). A bucket's objects are Miniflare's own R2 (the storage host), which the Workers' bindings read and write;
 * a bucket holding any is not deleted (10008).
 *
 * Objects over REST (`/{name}/objects[/{key}]`: list, get, upload, delete) are the bucket's, as its Workers see them.
 * Keys in paths are percent-decoded once, read from the raw path (an encoded `/` stays in the key).
 *
 * [I] The bucket list is in name order, `cursor` (in `result_info`) is opaque and `per_page` is at most 1000; a
 * bucket delete answers `{}`; an object list's `per_page` defaults to 1000 (at most 1000) and its delimited prefixes
 * are in `result_info.delimited_prefixes`; a missing object answers 404 10007 "get: 'object not found'" (Miniflare's
 * local explorer's message).
 */
import { Hono } from "hono";
import { MAX_R2_KEY_BYTES, MAX_R2_REST_PUT_BYTES, R2_JURISDICTION_HEADER } from "../../cloudflare/r2";
import type { AppEnv, EmulatorContext, StorageBackend } from "../context";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import { jurisdictionOf, newR2Bucket, r2BucketId, r2Object, r2StorageKey } from "../model/storage";
import type { R2Bucket } from "../model/store";
import { timestamp } from "../model/store";
import { isObject } from "../model/validate";
import { accountId, type C, readJson } from "./common";

export const R2_ROUTE = "/accounts/:account_id/r2/buckets";

export function r2Routes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;
  const jurisdiction = (c: C) => jurisdictionOf(c.req.header(R2_JURISDICTION_HEADER));
  const all = (c: C) => store.state.accounts[accountId(c)]?.r2 ?? {};
  const requireBucket = (c: C): R2Bucket => {
    const id = r2BucketId(jurisdiction(c), c.req.param("name")!);
    const b = Object.hasOwn(all(c), id) ? all(c)[id] : undefined;
    if (!b) throw new ApiError(404, Codes.R2_NO_SUCH_BUCKET, "The specified bucket does not exist.");
    return b;
  };

  r.post("/", async (c) => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object with a name");
    const b = newR2Bucket(jurisdiction(c), timestamp(), body, c.req.header("cf-r2-storage-class"));
    const id = r2BucketId(b.jurisdiction, b.name);
    if (Object.hasOwn(all(c), id))
      throw new ApiError(409, Codes.R2_BUCKET_EXISTS, "The bucket you tried to create already exists, and you own it.");
    store.r2Buckets(accountId(c))[id] = b;
    store.touch();
    ctx.storage?.changed();
    return c.json(okEnvelope(r2Object(b)));
  });

  r.get("/", (c) => {
    const j = jurisdiction(c);
    const perPage = Number(c.req.query("per_page") ?? 20);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000) throw invalidRequest("per_page must be an integer between 1 and 1000");
    const direction = c.req.query("direction") ?? "asc";
    if (direction !== "asc" && direction !== "desc") throw invalidRequest("direction must be asc or desc");
    const order = c.req.query("order") ?? "name";
    if (order !== "name") throw invalidRequest("order must be name");
    const contains = c.req.query("name_contains") ?? "";
    const cursor = c.req.query("cursor");
    const after = cursor ? Buffer.from(cursor, "base64url").toString("utf8") : c.req.query("start_after");
    const sign = direction === "asc" ? 1 : -1;
    const buckets = Object.values(all(c))
      .filter((b) => b.jurisdiction === j && b.name.includes(contains))
      .sort((a, b) => (a.name < b.name ? -sign : sign))
      .filter((b) => after === undefined || (direction === "asc" ? b.name > after : b.name < after));
    const page = buckets.slice(0, perPage);
    const more = buckets.length > perPage;
    const info: Record<string, unknown> = { per_page: perPage };
    if (more) info.cursor = Buffer.from(page.at(-1)!.name).toString("base64url");
    return c.json(okEnvelope({ buckets: page.map(r2Object) }, info));
  });

  r.get("/:name", (c) => c.json(okEnvelope(r2Object(requireBucket(c)))));

  const storage = (): StorageBackend => {
    if (!ctx.storage) throw new ApiError(503, Codes.INTERNAL_ERROR, "R2 data is not available: the emulator runs without its storage host");
    return ctx.storage;
  };
  /** The object key after `/objects/` in the raw path, percent-decoded once. */
  const objectKey = (c: C): string => {
    const path = new URL(c.req.url).pathname;
    const raw = path.slice(path.indexOf("/objects/") + "/objects/".length);
    let key: string;
    try {
      key = decodeURIComponent(raw);
    } catch {
      throw invalidRequest(`Invalid object key: ${JSON.stringify(raw)} is not valid percent-encoding`);
    }
    if (key === "" || Buffer.byteLength(key) > MAX_R2_KEY_BYTES) throw invalidRequest(`object keys are 1 to ${MAX_R2_KEY_BYTES} bytes`);
    return key;
  };
  const objectsOf = (c: C) => r2StorageKey(accountId(c), requireBucket(c));

  r.get("/:name/objects", async (c) => {
    const key = objectsOf(c);
    const perPage = Number(c.req.query("per_page") ?? 1000);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000) throw invalidRequest("per_page must be an integer between 1 and 1000");
    const query: Record<string, string> = { per_page: String(perPage) };
    for (const name of ["prefix", "delimiter", "start_after", "cursor"]) {
      const v = c.req.query(name);
      if (v !== undefined && v !== "") query[name] = v;
    }
    const r = await storage().r2Objects(key, "list", query);
    const l = (await r.json()) as { objects: unknown[]; cursor?: string; prefixes: string[]; e?: string };
    if (l.e !== undefined) throw invalidRequest(l.e);
    const info: Record<string, unknown> = { per_page: perPage };
    if (l.cursor) info.cursor = l.cursor;
    if (l.prefixes.length) info.delimited_prefixes = l.prefixes;
    return c.json(okEnvelope(l.objects, info));
  });

  r.get("/:name/objects/:key{.+}", async (c) => {
    const key = objectsOf(c);
    const headers: Record<string, string> = {};
    for (const name of ["if-modified-since", "if-none-match"]) {
      const v = c.req.header(name);
      if (v !== undefined) headers[name] = v;
    }
    const r = await storage().r2Objects(key, "get", { key: objectKey(c) }, { headers });
    if (r.status === 404) throw new ApiError(404, Codes.R2_NO_SUCH_KEY, "get: 'object not found'");
    const out: Record<string, string> = {};
    for (const name of [
      "etag",
      "last-modified",
      "content-type",
      "content-language",
      "content-disposition",
      "content-encoding",
      "cache-control",
      "expires",
    ]) {
      const v = r.headers.get(name);
      if (v !== null) out[name] = v;
    }
    if (r.status === 304) return c.body(null, 304, out);
    return c.body(new Uint8Array(await r.arrayBuffer()), 200, out);
  });

  r.put("/:name/objects/:key{.+}", async (c) => {
    const key = objectsOf(c);
    const body = Buffer.from(await c.req.arrayBuffer());
    if (body.length > MAX_R2_REST_PUT_BYTES)
      throw new ApiError(413, Codes.INVALID_REQUEST, `an object uploaded over REST is at most ${MAX_R2_REST_PUT_BYTES} bytes`);
    const cls = c.req.header("cf-r2-storage-class");
    if (cls !== undefined && cls !== "Standard" && cls !== "InfrequentAccess")
      throw invalidRequest("cf-r2-storage-class must be Standard or InfrequentAccess");
    const r = await storage().r2Objects(
      key,
      "put",
      { key: objectKey(c) },
      {
        headers: cls ? { "x-wfp-r2-class": cls } : {},
        body,
      },
    );
    return c.json(okEnvelope(await r.json()));
  });

  r.delete("/:name/objects/:key{.+}", async (c) => {
    const r = await storage().r2Objects(objectsOf(c), "delete", { key: objectKey(c) });
    return c.json(okEnvelope(await r.json()));
  });

  r.patch("/:name", (c) => {
    const b = requireBucket(c);
    const cls = c.req.header("cf-r2-storage-class");
    if (cls !== "Standard" && cls !== "InfrequentAccess")
      throw invalidRequest("the cf-r2-storage-class header is required: Standard or InfrequentAccess");
    b.storage_class = cls;
    store.touch();
    return c.json(okEnvelope(r2Object(b)));
  });

  r.delete("/:name", async (c) => {
    const b = requireBucket(c);
    if (!(await storage().r2Empty(r2StorageKey(accountId(c), b))))
      throw new ApiError(409, Codes.R2_BUCKET_NOT_EMPTY, "The bucket you tried to delete is not empty.");
    delete store.r2Buckets(accountId(c))[r2BucketId(b.jurisdiction, b.name)];
    store.touch();
    ctx.storage?.changed();
    return c.json(okEnvelope({}));
  });

  return r;
}
