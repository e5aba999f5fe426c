/**
 * @module
 * The storage host's Worker (runtime/storage.ts): Miniflare's own D1 and R2, one binding per database (`d1:<uuid>`)
 * and per bucket (`r2:<storage key>`). It answers the API (`/d1/<uuid>/wire`: D1's own wire protocol, one
 * transaction per call; `/r2/<key>/empty`) and the Workers' storage bindings (`/d1/<uuid>/<op>`, `/r2/<key>/<op>`:
 * each call made on the real binding here, its result as tagged JSON). Only the emulator's process reaches it.
 */
import { decodeValue, encodeValue } from "./internal.mjs";

type Stmt = { bind(...v: unknown[]): Stmt; first(c?: string): unknown; all(): unknown; run(): unknown; raw(o?: unknown): unknown };
type D1 = {
  fetcher: { fetch(u: string, i: RequestInit): Promise<Response> };
  prepare(sql: string): Stmt;
  batch(s: Stmt[]): unknown;
  exec(sql: string): unknown;
};
type R2Obj = Record<string, unknown> & { checksums: Record<string, unknown>; body?: ReadableStream };
type R2 = Record<string, (...a: unknown[]) => Promise<unknown>>;
type Env = Record<string, D1 | R2>;

/** An R2 object's fields (its checksums are getters, which JSON would miss). */
function objectMeta(o: R2Obj): unknown {
  const c = o.checksums;
  return encodeValue({
    key: o.key,
    version: o.version,
    size: o.size,
    etag: o.etag,
    httpEtag: o.httpEtag,
    uploaded: o.uploaded,
    httpMetadata: o.httpMetadata,
    customMetadata: o.customMetadata,
    range: o.range,
    storageClass: o.storageClass,
    ssecKeyMd5: o.ssecKeyMd5,
    checksums: { md5: c.md5, sha1: c.sha1, sha256: c.sha256, sha384: c.sha384, sha512: c.sha512 },
  });
}

async function d1Call(db: D1, op: string, request: Request): Promise<unknown> {
  const body = (await request.json()) as {
    stmts?: Array<{ sql: string; params: unknown[] }>;
    column?: string;
    options?: unknown;
    sql?: string;
  };
  const stmts = (body.stmts ?? []).map((s) => db.prepare(s.sql).bind(...(decodeValue(s.params) as unknown[])));
  switch (op) {
    case "first":
      return body.column === undefined ? stmts[0]!.first() : stmts[0]!.first(body.column);
    case "all":
      return stmts[0]!.all();
    case "run":
      return stmts[0]!.run();
    case "raw":
      return stmts[0]!.raw(body.options);
    case "batch":
      return db.batch(stmts);
    case "exec":
      return db.exec(body.sql ?? "");
    default:
      throw new Error(`unknown D1 operation ${op}`);
  }
}

async function r2Call(bucket: R2, op: string, request: Request): Promise<Response> {
  const args = decodeValue(JSON.parse(decodeURIComponent(request.headers.get("x-wfp-r2") ?? "[]"))) as unknown[];
  if (op === "put") {
    const value = request.headers.get("x-wfp-r2-null") === "1" ? null : await request.arrayBuffer();
    const o = (await bucket.put!(args[0], value, args[1])) as R2Obj | null;
    return Response.json({ r: o && objectMeta(o) });
  }
  if (op === "get") {
    const o = (await bucket.get!(...args)) as R2Obj | null;
    const head = encodeURIComponent(JSON.stringify({ m: o && objectMeta(o), body: o?.body !== undefined }));
    return new Response(o?.body ?? null, { headers: { "x-wfp-r2": head } });
  }
  if (op === "head") {
    const o = (await bucket.head!(...args)) as R2Obj | null;
    return Response.json({ r: o && objectMeta(o) });
  }
  if (op === "delete") {
    await bucket.delete!(...args);
    return Response.json({ r: null });
  }
  if (op === "list") {
    const l = (await bucket.list!(...args)) as { objects: R2Obj[] } & Record<string, unknown>;
    return Response.json({ r: { ...l, objects: l.objects.map(objectMeta) } });
  }
  throw new Error(`unknown R2 operation ${op}`);
}

type Obj = R2Obj & { uploaded: Date; httpMetadata?: Record<string, unknown>; storageClass?: string; ssecKeyMd5?: string };

/** An object as the REST API lists it (`http_metadata` in the binding's camelCase, dates as ISO strings). */
function restItem(o: Obj): Record<string, unknown> {
  const http = { ...(o.httpMetadata ?? {}) };
  if (http.cacheExpiry instanceof Date) http.cacheExpiry = http.cacheExpiry.toISOString();
  return {
    key: o.key,
    size: o.size,
    etag: o.etag,
    last_modified: o.uploaded.toISOString(),
    http_metadata: http,
    custom_metadata: o.customMetadata ?? {},
    storage_class: o.storageClass || "Standard",
    ssec: o.ssecKeyMd5 !== undefined,
  };
}

/** The REST API's object calls (`/r2/<key>/api<op>?key=…`), made on the bucket's binding. */
async function r2Api(bucket: R2, op: string, request: Request): Promise<Response> {
  const q = new URL(request.url).searchParams;
  const key = q.get("key") ?? "";
  if (op === "apilist") {
    const opt = (n: string) => q.get(n) ?? undefined;
    const l = (await bucket.list!({
      prefix: opt("prefix"),
      delimiter: opt("delimiter"),
      startAfter: opt("start_after"),
      cursor: opt("cursor"),
      limit: Number(q.get("per_page") ?? 1000),
      include: ["httpMetadata", "customMetadata"],
    })) as { objects: Obj[]; truncated: boolean; cursor?: string; delimitedPrefixes: string[] };
    return Response.json({ objects: l.objects.map(restItem), cursor: l.truncated ? l.cursor : undefined, prefixes: l.delimitedPrefixes });
  }
  if (op === "apiget") {
    const o = (await bucket.get!(key, { onlyIf: request.headers })) as Obj | null;
    if (!o) return Response.json({ missing: true }, { status: 404 });
    const headers = new Headers({ etag: String(o.httpEtag), "last-modified": o.uploaded.toUTCString() });
    (o as unknown as { writeHttpMetadata(h: Headers): void }).writeHttpMetadata(headers);
    if (!o.body) return new Response(null, { status: 304, headers });
    if (!headers.has("content-type")) headers.set("content-type", "application/octet-stream");
    return new Response(o.body, { headers });
  }
  if (op === "apiput") {
    const cls = request.headers.get("x-wfp-r2-class");
    const o = (await bucket.put!(key, await request.arrayBuffer(), cls ? { storageClass: cls } : {})) as Obj;
    return Response.json({
      key: o.key,
      etag: o.etag,
      size: String(o.size),
      storage_class: o.storageClass || "Standard",
      uploaded: o.uploaded.toISOString(),
      version: o.version,
    });
  }
  if (op === "apidelete") {
    await bucket.delete!(key);
    return Response.json({ key });
  }
  throw new Error(`unknown R2 operation ${op}`);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const [, kind, rawKey, op] = new URL(request.url).pathname.split("/");
    const key = decodeURIComponent(rawKey ?? "");
    const binding = env[`${kind}:${key}`];
    if (!binding || !op) return Response.json({ e: `no ${kind === "d1" ? "D1 database" : "R2 bucket"} ${key}` }, { status: 404 });
    try {
      if (kind === "d1" && op === "wire") {
        const format = new URL(request.url).searchParams.get("resultsFormat") ?? "ARRAY_OF_OBJECTS";
        return (binding as D1).fetcher.fetch(`http://d1/query?resultsFormat=${format}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: await request.text(),
        });
      }
      if (kind === "d1") return Response.json({ r: encodeValue(await d1Call(binding as D1, op, request)) });
      if (op === "empty") {
        const l = (await (binding as R2).list!({ limit: 1 })) as { objects: unknown[] };
        return Response.json({ r: l.objects.length === 0 });
      }
      if (op.startsWith("api")) return await r2Api(binding as R2, op, request);
      return await r2Call(binding as R2, op, request);
    } catch (err) {
      return Response.json({ e: (err as Error).message });
    }
  },
};
