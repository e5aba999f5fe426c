/**
 * @module
 * Workers KV bindings over the emulator's store: `WfpKvStore` (props `{key: "<account>:<namespace id>"}`) has the
 * KV namespace's methods and asks the emulator (`STORE`, a function of the Node process) for each, so a Worker reads
 * what the API wrote and the API lists what a Worker put. Errors read as workerd's own (`KV PUT failed: 414 …`).
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
    const r = await this.call("get", { key: String(key) });
    if (r.status === 404) return { value: null, metadata: null, cacheStatus: null };
    const meta = r.headers.get("x-kv-metadata");
    const metadata = meta === null ? null : JSON.parse(meta);
    const type = typeOf(options);
    const value =
      type === "json" ? await r.json() : type === "arrayBuffer" ? await r.arrayBuffer() : type === "stream" ? r.body : await r.text();
    return { value, metadata, cacheStatus: null };
  }

  async put(key: string, value: unknown, options: PutOptions = {}): Promise<void> {
    const params: Record<string, string | undefined> = { key: String(key) };
    if (options.expiration !== undefined) params.expiration = String(options.expiration);
    if (options.expirationTtl !== undefined) params.expiration_ttl = String(options.expirationTtl);
    if (options.metadata !== undefined) params.metadata = JSON.stringify(options.metadata);
    await this.call("put", params, await bytesOf(value));
  }

  async delete(key: string): Promise<void> {
    await this.call("delete", { key: String(key) });
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

export default {
  fetch(): Response {
    return new Response("wfp-emulator: the KV service is reached through its bindings", { status: 404 });
  },
};
