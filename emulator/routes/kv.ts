/**
 * @module
 * Workers KV: `/accounts/{account}/storage/kv/namespaces[/{id}]` (create, list, get, rename, delete), a namespace's
 * values, metadata, keys listing and bulk write/delete/get. Keys in paths are percent-decoded once (the namespaces
 * report `supports_url_encoding: true`), and read from the raw path so an encoded `/` stays in the key.
 */
import { Hono } from "hono";
import { MAX_KV_BULK_ITEMS } from "../../cloudflare/kv";
import type { KvNamespaceObject } from "../../cloudflare/wire";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import {
  DEFAULT_KV_LIST_LIMIT,
  expiryOf,
  listKeys,
  MAX_KV_LIST_LIMIT,
  MAX_KV_TITLE_CHARS,
  MIN_KV_LIST_LIMIT,
  newKvNamespace,
  validateKey,
  validateMetadata,
  validateValue,
} from "../model/kv";
import type { KvNamespaceRef } from "../model/kv-data";
import type { AppEnv, EmulatorContext } from "../context";
import type { KvNamespace } from "../model/store";
import { dict, newTag, timestamp } from "../model/store";
import { accountId, readJson, readMultipart, type C } from "./common";
import { isObject } from "../model/validate";

export const KV_ROUTE = "/accounts/:account_id/storage/kv/namespaces";

function namespaceObject(ns: KvNamespace): KvNamespaceObject {
  return { id: ns.id, title: ns.title, supports_url_encoding: true };
}

function validateTitle(title: unknown): string {
  if (typeof title !== "string" || title.trim() === "") throw invalidRequest("title is required: a non-empty string naming the namespace");
  if (title.length > MAX_KV_TITLE_CHARS) throw invalidRequest(`title is longer than ${MAX_KV_TITLE_CHARS} characters`);
  return title;
}

/** The key after `/{segment}/` in the raw path, percent-decoded once. */
function keyFromPath(c: C, segment: "values" | "metadata"): string {
  const path = new URL(c.req.url).pathname;
  const marker = `/${c.req.param("id")}/${segment}/`;
  const raw = path.slice(path.indexOf(marker) + marker.length);
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw invalidRequest(`Invalid key name: ${JSON.stringify(raw)} is not valid percent-encoding`);
  }
  return validateKey(key);
}

/** The namespace a request's path names, as the KV database's rows do. */
const refOf = (c: C): KvNamespaceRef => ({ account: accountId(c), id: c.req.param("id")! });

function parsePositive(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidRequest(`${name} must be an integer between ${min} and ${max}`);
  return n;
}

export function kvRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;
  const nowSeconds = (): number => Math.floor(ctx.opts.now() / 1000);

  /** The runtime drops its cached reads of the namespace before the write is answered. */
  const changed = async (c: C, id: string): Promise<void> => {
    await ctx.kvChanged?.(`${accountId(c)}:${id}`);
  };
  const requireKv = (c: C): KvNamespace => {
    const ns = store.kvNamespace(refOf(c));
    if (!ns) throw new ApiError(404, Codes.KV_NAMESPACE_NOT_FOUND, "namespace not found");
    return ns;
  };
  const assertTitleFree = (c: C, title: string, except?: KvNamespace): void => {
    const all = Object.values(store.state.accounts[accountId(c)]?.kv ?? {});
    if (all.some((ns) => ns.title === title && ns !== except))
      throw new ApiError(400, Codes.KV_TITLE_EXISTS, "a namespace with this account ID and title already exists");
  };

  r.get("/", (c) => {
    const page = parsePositive(c.req.query("page"), "page", 1, 1, Number.MAX_SAFE_INTEGER);
    const perPage = parsePositive(c.req.query("per_page"), "per_page", 20, 1, 1000);
    const order = c.req.query("order") ?? "id";
    const direction = c.req.query("direction") ?? "asc";
    if (order !== "id" && order !== "title") throw invalidRequest("order must be id or title");
    if (direction !== "asc" && direction !== "desc") throw invalidRequest("direction must be asc or desc");
    const all = Object.values(store.state.accounts[accountId(c)]?.kv ?? {}).sort((a, b) => {
      const [x, y] = order === "id" ? [a.id, b.id] : [a.title, b.title];
      return (x < y ? -1 : x > y ? 1 : 0) * (direction === "asc" ? 1 : -1);
    });
    const items = all.slice((page - 1) * perPage, page * perPage);
    return c.json(
      okEnvelope(items.map(namespaceObject), {
        page,
        per_page: perPage,
        count: items.length,
        total_count: all.length,
        total_pages: Math.ceil(all.length / perPage),
      }),
    );
  });

  r.post("/", async (c) => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object with a title");
    const title = validateTitle(body.title);
    assertTitleFree(c, title);
    const ns = newKvNamespace(newTag(), title, timestamp());
    store.kvNamespaces(accountId(c))[ns.id] = ns;
    store.touch();
    return c.json(okEnvelope(namespaceObject(ns)));
  });

  r.get("/:id", (c) => c.json(okEnvelope(namespaceObject(requireKv(c)))));

  r.put("/:id", async (c) => {
    const body = await readJson(c);
    const ns = requireKv(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object with a title");
    const title = validateTitle(body.title);
    assertTitleFree(c, title, ns);
    ns.title = title;
    store.touch();
    return c.json(okEnvelope(namespaceObject(ns)));
  });

  r.delete("/:id", async (c) => {
    const ns = requireKv(c);
    delete store.kvNamespaces(accountId(c))[ns.id];
    store.touch();
    // Its entries go once the namespace's removal is persisted (a failed write keeps both); at the next start, if
    // the emulator stops in between. A Worker's write may have created it again meanwhile: then they stay.
    await store.flush();
    if (!store.kvNamespace(refOf(c))) await store.kv.dropNamespace(refOf(c));
    await changed(c, ns.id);
    return c.json(okEnvelope({}));
  });

  r.put("/:id/values/:key{.+}", async (c) => {
    requireKv(c);
    const key = keyFromPath(c, "values");
    let value: Buffer;
    let metadata: unknown;
    const parts = await readMultipart(c, Codes.INVALID_REQUEST);
    if (parts) {
      // SDK 7.x sends an object as bracket fields (`metadata[plan]`): refused, as for script uploads.
      if (parts.some((p) => p.name.startsWith("metadata[")))
        throw invalidRequest("metadata must be one part holding JSON, not bracket fields (metadata[...])");
      const v = parts.find((p) => p.name === "value");
      if (!v) throw invalidRequest("multipart body needs a value part");
      value = v.data;
      const m = parts.find((p) => p.name === "metadata");
      if (m) {
        try {
          metadata = JSON.parse(m.data.toString("utf8"));
        } catch {
          throw invalidRequest("metadata must be JSON");
        }
      }
    } else value = Buffer.from(await c.req.arrayBuffer());
    validateValue(value);
    validateMetadata(metadata);
    const expiration = expiryOf(c.req.query("expiration"), c.req.query("expiration_ttl"), nowSeconds());
    const ns = requireKv(c); // again: the namespace may have gone while the body was read
    await store.kv.put(refOf(c), [{ key, value, metadata, expiration }]);
    await changed(c, ns.id);
    return c.json(okEnvelope({}));
  });

  r.get("/:id/values/:key{.+}", (c) => {
    requireKv(c);
    const e = store.kv.get(refOf(c), keyFromPath(c, "values"), nowSeconds());
    if (!e) throw new ApiError(404, Codes.KV_KEY_NOT_FOUND, "get: 'key not found'");
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (e.expiration !== undefined) headers.expiration = String(e.expiration);
    return c.body(new Uint8Array(e.value), 200, headers);
  });

  r.delete("/:id/values/:key{.+}", async (c) => {
    const ns = requireKv(c);
    if ((await store.kv.delete(refOf(c), [keyFromPath(c, "values")])) > 0) await changed(c, ns.id);
    return c.json(okEnvelope({}));
  });

  r.get("/:id/metadata/:key{.+}", (c) => {
    requireKv(c);
    const e = store.kv.get(refOf(c), keyFromPath(c, "metadata"), nowSeconds());
    if (!e) throw new ApiError(404, Codes.KV_KEY_NOT_FOUND, "get: 'key not found'");
    return c.json(okEnvelope(e.metadata ?? null));
  });

  r.get("/:id/keys", (c) => {
    requireKv(c);
    const limit = parsePositive(c.req.query("limit"), "limit", DEFAULT_KV_LIST_LIMIT, MIN_KV_LIST_LIMIT, MAX_KV_LIST_LIMIT);
    const page = listKeys(store.kv, refOf(c), c.req.query("prefix") ?? "", limit, c.req.query("cursor"), nowSeconds());
    return c.json(okEnvelope(page.keys, { count: page.keys.length, cursor: page.cursor }));
  });

  r.put("/:id/bulk", async (c) => {
    const body = await readJson(c);
    requireKv(c);
    if (!Array.isArray(body)) throw invalidRequest("request body must be a JSON array of {key, value} objects");
    if (body.length > MAX_KV_BULK_ITEMS) throw invalidRequest(`at most ${MAX_KV_BULK_ITEMS} pairs per request (got ${body.length})`);
    const now = nowSeconds();
    // Everything is validated first: a refused request writes nothing.
    const writes = body.map((item, i) => {
      if (!isObject(item) || typeof item.key !== "string" || typeof item.value !== "string")
        throw invalidRequest(`item ${i} needs a string key and a string value`);
      const key = validateKey(item.key);
      const value = validateValue(Buffer.from(item.value, item.base64 === true ? "base64" : "utf8"));
      const metadata = validateMetadata(item.metadata);
      return { key, value, metadata, expiration: expiryOf(item.expiration, item.expiration_ttl, now) };
    });
    const ns = requireKv(c);
    await store.kv.put(refOf(c), writes);
    await changed(c, ns.id);
    return c.json(okEnvelope({ successful_key_count: writes.length, unsuccessful_keys: [] }));
  });

  const bulkDelete = async (c: C) => {
    const body = await readJson(c);
    const ns = requireKv(c);
    if (!Array.isArray(body) || body.some((k) => typeof k !== "string"))
      throw invalidRequest("request body must be a JSON array of key names");
    if (body.length > MAX_KV_BULK_ITEMS) throw invalidRequest(`at most ${MAX_KV_BULK_ITEMS} keys per request (got ${body.length})`);
    const keys = (body as string[]).map(validateKey);
    await store.kv.delete(refOf(c), keys);
    await changed(c, ns.id);
    return c.json(okEnvelope({ successful_key_count: keys.length, unsuccessful_keys: [] }));
  };
  r.post("/:id/bulk/delete", bulkDelete);
  // The older form of bulk delete: DELETE with the same body.
  r.delete("/:id/bulk", bulkDelete);

  r.post("/:id/bulk/get", async (c) => {
    const body = await readJson(c);
    requireKv(c);
    if (!isObject(body) || !Array.isArray(body.keys) || body.keys.some((k) => typeof k !== "string"))
      throw invalidRequest("request body must be {keys: string[], type?, withMetadata?}");
    if (body.keys.length > 100) throw invalidRequest(`at most 100 keys per request (got ${body.keys.length})`);
    const type = body.type ?? "text";
    if (type !== "text" && type !== "json") throw invalidRequest("type must be text or json");
    const now = nowSeconds();
    const values = dict<unknown>();
    for (const key of body.keys as string[]) {
      const e = store.kv.get(refOf(c), validateKey(key), now);
      let value: unknown = e ? e.value.toString("utf8") : null;
      if (e && type === "json") {
        try {
          value = JSON.parse(value as string);
        } catch {
          throw invalidRequest(`the value of ${JSON.stringify(key)} is not JSON`);
        }
      }
      if (body.withMetadata !== true) values[key] = value;
      else
        values[key] = e
          ? { value, metadata: e.metadata ?? null, ...(e.expiration !== undefined ? { expiration: e.expiration } : {}) }
          : null;
    }
    return c.json(okEnvelope({ values }));
  });

  return r;
}
