/**
 * @module
 * Workers KV bindings over the emulator's store: `WfpKvStore` (props `{key: "<account>:<namespace id>"}`) has the
 * KV namespace's methods and asks the emulator (`STORE`, a function of the Node process) for each, so a Worker reads
 * what the API wrote and the API lists what a Worker put. Errors read as workerd's own (`KV PUT failed: 414 …`).
 *
 * Reads are cached in this isolate (a dispatcher reads a routing key per request; each trip to Node costs about a
 * millisecond): a Worker's write drops its key, and the emulator drops a namespace's cache (`POST /invalidate`) in
 * every process before a write (the API's, or a Worker's in the other process) is answered, so a read never sees a
 * value older than the last write. A fill that raced a drop is not kept (the namespace's generation moved).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Fetcher } from "./internal.mjs";

type Env = { STORE: Fetcher };
type GetType = "text" | "json" | "arrayBuffer" | "stream";
type GetOptions = GetType | { type?: GetType; cacheTtl?: number } | undefined;
interface PutOptions {
  expiration?: number;
  expirationTtl?: number;
  metadata?: unknown;
}
interface ListOptions {
  prefix?: string | null;
  limit?: number;
  cursor?: string | null;
}

const typeOf = (o: GetOptions): GetType => (typeof o === "string" ? o : (o?.type ?? "text"));

interface Cached {
  bytes: ArrayBuffer;
  metadata: unknown;
  /** Seconds since the epoch, or null. */
  expiration: number | null;
}
/** Per `<account>:<namespace id>`: a generation (bumped by every drop) and the cached reads (null: absent). */
const caches = new Map<string, { gen: number; entries: Map<string, Cached | null> }>();
const MAX_CACHED_KEYS = 10_000;

function cacheOf(ns: string): { gen: number; entries: Map<string, Cached | null> } {
  let c = caches.get(ns);
  if (!c) {
    c = { gen: 0, entries: new Map() };
    caches.set(ns, c);
  }
  return c;
}

function drop(ns: string, key?: string): void {
  const c = cacheOf(ns);
  c.gen++;
  if (key === undefined) c.entries.clear();
  else c.entries.delete(key);
}

async function bytesOf(value: unknown): Promise<ArrayBuffer | string> {
  if (typeof value === "string") return value;
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  if (value instanceof ReadableStream) return new Response(value).arrayBuffer();
  throw new TypeError("KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.");
}

export class WfpKvStore extends WorkerEntrypoint<Env, { key: string }> {
  private async call(op: string, params: Record<string, string | undefined>, body?: ArrayBuffer | string): Promise<Response> {
    const url = new URL(`http://kv/${op}`);
    url.searchParams.set("ns", this.ctx.props.key);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    const r = await this.env.STORE.fetch(url.toString(), { method: "POST", body: body ?? null });
    if (r.status >= 400 && !(op === "get" && r.status === 404))
      throw new Error(`KV ${op.toUpperCase()} failed: ${r.status} ${await r.text()}`);
    return r;
  }

  async get(key: string, options?: GetOptions): Promise<unknown> {
    return (await this.getWithMetadata(key, options)).value;
  }

  async getWithMetadata(key: string, options?: GetOptions): Promise<{ value: unknown; metadata: unknown; cacheStatus: null }> {
    const found = await this.read(String(key));
    if (found === null) return { value: null, metadata: null, cacheStatus: null };
    const type = typeOf(options);
    const text = () => new TextDecoder().decode(found.bytes);
    const value =
      type === "json"
        ? JSON.parse(text())
        : type === "arrayBuffer"
          ? found.bytes.slice(0)
          : type === "stream"
            ? new Response(found.bytes.slice(0)).body
            : text();
    return { value, metadata: found.metadata, cacheStatus: null };
  }

  private async read(key: string): Promise<Cached | null> {
    const ns = this.ctx.props.key;
    const c = cacheOf(ns);
    const hit = c.entries.get(key);
    if (hit === null) return null;
    if (hit !== undefined && (hit.expiration === null || hit.expiration * 1000 > Date.now())) return hit;
    const gen = c.gen;
    const r = await this.call("get", { key });
    let found: Cached | null = null;
    if (r.status !== 404) {
      const meta = r.headers.get("x-kv-metadata");
      const exp = r.headers.get("x-kv-expiration");
      found = {
        bytes: await r.arrayBuffer(),
        metadata: meta === null ? null : JSON.parse(meta),
        expiration: exp === null ? null : Number(exp),
      };
    }
    if (c.gen === gen) {
      if (c.entries.size >= MAX_CACHED_KEYS) c.entries.clear();
      c.entries.set(key, found);
    }
    return found;
  }

  async put(key: string, value: unknown, options: PutOptions = {}): Promise<void> {
    const params: Record<string, string | undefined> = { key: String(key) };
    if (options.expiration !== undefined) params.expiration = String(options.expiration);
    if (options.expirationTtl !== undefined) params.expiration_ttl = String(options.expirationTtl);
    if (options.metadata !== undefined) params.metadata = JSON.stringify(options.metadata);
    try {
      await this.call("put", params, await bytesOf(value));
    } finally {
      drop(this.ctx.props.key, String(key));
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.call("delete", { key: String(key) });
    } finally {
      drop(this.ctx.props.key, String(key));
    }
  }

  async list(options: ListOptions = {}): Promise<unknown> {
    const r = await this.call("list", {
      prefix: options.prefix ?? undefined,
      limit: options.limit === undefined ? undefined : String(options.limit),
      cursor: options.cursor ?? undefined,
    });
    return r.json();
  }
}

/** `POST /invalidate?ns=<account>:<namespace id>`, from the emulator after an API write; the binding is the only other way in. */
export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    const ns = url.searchParams.get("ns");
    if (request.method === "POST" && url.pathname === "/invalidate" && ns !== null) {
      drop(ns);
      return new Response("dropped");
    }
    return new Response("wfp-emulator: the KV service is reached through its bindings", { status: 404 });
  },
};
