/**
 * @module
 * What the runtime's Workers share (they run in workerd, loaded from dist/ as ES modules): the internal headers that
 * carry the runtime's state between its Workers, and helpers. Every hop strips the internal headers.
 */

export const INTERNAL_PREFIX = "x-wfp-internal-";
/** Set by a namespace's host on a request to a user Worker: `{l: limits}`. */
export const DISPATCH_HEADER = `${INTERNAL_PREFIX}dispatch`;
/** Set by a namespace's host on a request to an outbound Worker: the outbound params, as JSON. */
export const OUTBOUND_HEADER = `${INTERNAL_PREFIX}outbound`;
/** The runtime's token: an account-level Worker takes outbound params only from a request that carries it. */
export const TOKEN_HEADER = `${INTERNAL_PREFIX}token`;
/** Carries the runtime's token on a request that hands a namespace's host its changed Workers. */
export const CONTROL_HEADER = `${INTERNAL_PREFIX}control`;
/** Set by the dispatch binding: `{name, o: outbound index | null, p: params, l: limits | null}`. */
export const SCRIPT_HEADER = `${INTERNAL_PREFIX}script`;
/** Set by a namespace's host on its answer for a Worker it does not have. */
export const MISSING_HEADER = `${INTERNAL_PREFIX}missing`;

/**
 * On the answer standing for an exception a Worker threw across the process boundary (over HTTP it would be a plain
 * 500): `{name, message}`, URI-encoded JSON. The receiving side throws it again.
 */
export const EXCEPTION_HEADER = `${INTERNAL_PREFIX}exception`;

export function exceptionResponse(e: unknown): Response {
  const error = { name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? e.message : String(e) };
  return new Response(null, { status: 500, headers: { [EXCEPTION_HEADER]: encodeURIComponent(JSON.stringify(error)) } });
}

/** The exception an answer stands for, thrown again; else the answer. */
export function rethrown(response: Response): Response {
  const e = response.headers.get(EXCEPTION_HEADER);
  if (e === null) return response;
  const { name, message } = JSON.parse(decodeURIComponent(e)) as { name: string; message: string };
  throw Object.assign(new Error(message), { name });
}

export interface Fetcher {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** A binding the local runtime cannot provide. */
export interface Unsupported {
  name: string;
  type: string;
  reason?: string;
}

/** What the dispatch binding tells the namespace's host. */
export interface DispatchInfo {
  name: string;
  /** Index of the host's `__WFP_OUT_<i>`, or null: no outbound Worker. */
  o: number | null;
  p: Record<string, unknown>;
  l: { subRequests?: number; cpuMs?: number } | null;
}

export function stripInternal(request: Request): Request {
  const names = [...request.headers.keys()].filter((name) => name.startsWith(INTERNAL_PREFIX));
  if (names.length === 0) return request;
  const headers = new Headers(request.headers);
  for (const name of names) headers.delete(name);
  return new Request(request, { headers });
}

export const textResponse = (body: string, status: number): Response =>
  new Response(`wfp-emulator: ${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

/** The answer of a Worker with bindings the runtime cannot provide, or undefined. */
export function unsupported(list: Unsupported[] | undefined): Response | undefined {
  if (!list || list.length === 0) return undefined;
  const what = list.map((b) => `${b.name} (${b.type}${b.reason ? `: ${b.reason}` : ""})`).join(", ");
  return textResponse(`this Worker has bindings the local runtime cannot provide: ${what}`, 500);
}

/** A module in the wire form of loader modules: binary content as base64. */
export type WireModule = { js: string } | { cjs: string } | { text: string } | { wasm: string } | { data: string };

function decode(b64: string): ArrayBuffer {
  const s = atob(b64);
  const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u.buffer;
}

/** The wire form of loader modules as the Worker Loader takes them. */
export function loaderModules(modules: Record<string, WireModule>): Record<string, unknown> {
  const all: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(modules))
    all[name] = "wasm" in m ? { wasm: decode(m.wasm) } : "data" in m ? { data: decode(m.data) } : m;
  return all;
}

/** workerd's Worker Loader binding. */
export interface WorkerLoader {
  get(id: string, code: () => Record<string, unknown>): { getEntrypoint(): Fetcher; getDurableObjectClass(name: string): unknown };
}

/** Set by the storage link on a binding's call to the storage host: which database or bucket, and whose. */
export const STORAGE_TARGET_HEADER = `${INTERNAL_PREFIX}storage-target`;
export const STORAGE_ACCOUNT_HEADER = `${INTERNAL_PREFIX}storage-account`;

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** JSON with what JSON lacks, for the storage bindings' calls: undefined, dates, bytes and Headers, tagged. */
export function encodeValue(v: unknown): unknown {
  if (v === undefined) return { $u: 1 };
  if (v instanceof Date) return { $d: v.getTime() };
  if (v instanceof ArrayBuffer) return { $b: base64(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) return { $b: base64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (v instanceof Headers) return { $h: [...v] };
  if (Array.isArray(v)) return v.map(encodeValue);
  if (typeof v === "object" && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = encodeValue(x);
    return o;
  }
  return v;
}

export function decodeValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeValue);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  if ("$u" in o) return undefined;
  if ("$d" in o) return new Date(o.$d as number);
  if ("$b" in o) return Uint8Array.from(atob(o.$b as string), (c) => c.charCodeAt(0)).buffer;
  if ("$h" in o) return new Headers(o.$h as Array<[string, string]>);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x);
  return out;
}

/** A deployed asset set as the asset and router Workers take it (namespace-host.ts builds it). */
export interface AssetSet {
  id: string;
  /** The asset Worker's CONFIG (html_handling, not_found_handling, parsed `_headers` and `_redirects`, ...). */
  config: unknown;
  /** The router Worker's CONFIG. */
  routerConfig: unknown;
  /** Cloudflare's binary manifest (path hash → ETag), base64. */
  manifest: string;
  /** ETag → the file under the runtime's assets root, and its content type. */
  files: Record<string, { path: string; contentType: string | null }>;
}

/** A user Worker in the host's table, as the runtime hands it over (namespace-host.ts builds it). */
export interface Entry {
  /** Digest of the rest: the Worker Loader's id for this version. */
  version: string;
  /** Absent for a service-worker-syntax script, which the host cannot load. */
  code?: {
    compatibilityDate: string;
    compatibilityFlags: string[];
    mainModule: string;
    modules: Record<string, WireModule>;
    values: Record<string, unknown>;
    unsupported: Unsupported[];
  };
  /** Binding name → the host binding it is (Fetchers passed as they are, KV and dispatch through entrypoints). */
  shape: {
    pass: Record<string, string>;
    kv: Record<string, string>;
    dispatch: Record<string, string>;
    assets?: string;
    /** Durable Object binding name → the class (exported by this Worker) and its namespace id. */
    objects?: Record<string, { cls: string; id: string }>;
  };
  assets?: AssetSet;
}
