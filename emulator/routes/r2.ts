/**
 * @module
 * R2 buckets: `/accounts/{account}/r2/buckets[/{name}]` (create, list, get, storage class update, delete), the
 * jurisdiction in the `cf-r2-jurisdiction` header of each call (buckets of different jurisdictions may share a
 * name). A bucket's objects are Miniflare's own R2 (the storage host), which the Workers' bindings read and write;
 * a bucket holding any is not deleted (10008).
 *
 * [I] The list is in name order, `cursor` (in `result_info`) is opaque and `per_page` is at most 1000; a delete
 * answers `{}`.
 */
import { Hono } from "hono";
import { R2_JURISDICTION_HEADER } from "../../cloudflare/r2";
import type { AppEnv, EmulatorContext } from "../context";
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
    if (ctx.storage && !(await ctx.storage.r2Empty(r2StorageKey(accountId(c), b))))
      throw new ApiError(409, Codes.R2_BUCKET_NOT_EMPTY, "The bucket you tried to delete is not empty.");
    delete store.r2Buckets(accountId(c))[r2BucketId(b.jurisdiction, b.name)];
    store.touch();
    ctx.storage?.changed();
    return c.json(okEnvelope({}));
  });

  return r;
}
