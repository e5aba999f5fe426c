/**
 * @module
 * A Worker's D1 and R2 bindings as its code sees them, built by the entry wrapper (wrap.mts) from the service
 * binding the runtime gives (storage-link.mts). Only the shape is here: statements collect their SQL and values,
 * objects their fields; each call runs on Miniflare's own D1 or R2 binding in the storage host, whose results and
 * errors come back as they are. Multipart uploads and `dump()` are not provided.
 */
import { decodeValue, encodeValue, type Fetcher } from "./internal.mjs";

type Json = { r?: unknown; e?: string };

async function answer(r: Response): Promise<unknown> {
  const out = (await r.json()) as Json;
  if (out.e !== undefined) throw new Error(out.e);
  return decodeValue(out.r);
}

const d1Call = async (f: Fetcher, op: string, body: unknown): Promise<unknown> =>
  answer(
    await f.fetch(`http://storage/${op}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  );

export class D1PreparedStatement {
  constructor(
    private readonly f: Fetcher,
    readonly statement: string,
    readonly params: unknown[] = [],
  ) {}
  bind(...values: unknown[]): D1PreparedStatement {
    return new D1PreparedStatement(this.f, this.statement, values);
  }
  /** The statement as the storage host takes it. */
  get wire(): unknown {
    return { sql: this.statement, params: encodeValue(this.params) };
  }
  first(column?: string): Promise<unknown> {
    return d1Call(this.f, "first", column === undefined ? { stmts: [this.wire] } : { stmts: [this.wire], column });
  }
  all(): Promise<unknown> {
    return d1Call(this.f, "all", { stmts: [this.wire] });
  }
  run(): Promise<unknown> {
    return d1Call(this.f, "run", { stmts: [this.wire] });
  }
  raw(options?: { columnNames?: boolean }): Promise<unknown> {
    return d1Call(this.f, "raw", { stmts: [this.wire], options: options ?? {} });
  }
}

export class D1Database {
  constructor(private readonly f: Fetcher) {}
  prepare(sql: string): D1PreparedStatement {
    return new D1PreparedStatement(this.f, sql);
  }
  batch(statements: D1PreparedStatement[]): Promise<unknown> {
    return d1Call(this.f, "batch", { stmts: statements.map((s) => s.wire) });
  }
  exec(sql: string): Promise<unknown> {
    return d1Call(this.f, "exec", { sql });
  }
  /** One session reads what it wrote: locally there is one copy, so a session is the database itself. */
  withSession(): { prepare(sql: string): D1PreparedStatement; batch(s: D1PreparedStatement[]): Promise<unknown>; getBookmark(): null } {
    return { prepare: (sql) => this.prepare(sql), batch: (s) => this.batch(s), getBookmark: () => null };
  }
}

const HTTP_FIELDS = [
  ["contentType", "content-type"],
  ["contentLanguage", "content-language"],
  ["contentDisposition", "content-disposition"],
  ["contentEncoding", "content-encoding"],
  ["cacheControl", "cache-control"],
] as const;

const hex = (b: ArrayBuffer): string => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

export class R2Object {
  [field: string]: unknown;
  constructor(meta: Record<string, unknown>) {
    Object.assign(this, meta);
    const sums = (meta.checksums ?? {}) as Record<string, ArrayBuffer | undefined>;
    this.checksums = {
      ...sums,
      toJSON: () => Object.fromEntries(Object.entries(sums).flatMap(([k, v]) => (v ? [[k, hex(v)]] : []))),
    };
  }
  writeHttpMetadata(headers: Headers): void {
    const m = (this.httpMetadata ?? {}) as Record<string, unknown>;
    for (const [field, header] of HTTP_FIELDS) if (typeof m[field] === "string") headers.set(header, m[field] as string);
    if (m.cacheExpiry instanceof Date) headers.set("expires", m.cacheExpiry.toUTCString());
  }
}

export class R2ObjectBody extends R2Object {
  readonly #body: ReadableStream;
  #used = false;
  constructor(meta: Record<string, unknown>, body: ReadableStream) {
    super(meta);
    this.#body = body;
  }
  get body(): ReadableStream {
    return this.#body;
  }
  get bodyUsed(): boolean {
    return this.#used;
  }
  #read(): Response {
    this.#used = true;
    return new Response(this.#body);
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read().arrayBuffer();
  }
  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.#read().arrayBuffer());
  }
  text(): Promise<string> {
    return this.#read().text();
  }
  json(): Promise<unknown> {
    return this.#read().json();
  }
  blob(): Promise<Blob> {
    return this.#read().blob();
  }
}

const args = (a: unknown[]): string => encodeURIComponent(JSON.stringify(encodeValue(a)));
const object = (m: unknown): R2Object | null => (m ? new R2Object(m as Record<string, unknown>) : null);

export class R2Bucket {
  constructor(private readonly f: Fetcher) {}
  private async call(op: string, a: unknown[]): Promise<unknown> {
    return answer(await this.f.fetch(`http://storage/${op}`, { method: "POST", headers: { "x-wfp-r2": args(a) } }));
  }
  async head(key: string): Promise<R2Object | null> {
    return object(await this.call("head", [key]));
  }
  async get(key: string, options?: unknown): Promise<R2Object | null> {
    const r = await this.f.fetch("http://storage/get", { method: "POST", headers: { "x-wfp-r2": args([key, options]) } });
    const head = r.headers.get("x-wfp-r2");
    if (head === null) return (await answer(r)) as null;
    const { m, body } = JSON.parse(decodeURIComponent(head)) as { m: unknown; body: boolean };
    if (!m) return null;
    const meta = decodeValue(m) as Record<string, unknown>;
    return body && r.body ? new R2ObjectBody(meta, r.body) : new R2Object(meta);
  }
  async put(key: string, value: unknown, options?: unknown): Promise<R2Object | null> {
    const headers: Record<string, string> = { "x-wfp-r2": args([key, options]) };
    if (value === null || value === undefined) headers["x-wfp-r2-null"] = "1";
    const body = value === null || value === undefined ? null : (value as BodyInit);
    return object(await answer(await this.f.fetch("http://storage/put", { method: "POST", headers, body })));
  }
  async delete(keys: string | string[]): Promise<void> {
    await this.call("delete", [keys]);
  }
  async list(options?: unknown): Promise<unknown> {
    const l = (await this.call("list", [options])) as { objects: unknown[] };
    return { ...l, objects: l.objects.map(object) };
  }
  createMultipartUpload(): never {
    throw new Error("wfp-emulator: R2 multipart uploads are not available in the local runtime");
  }
  resumeMultipartUpload(): never {
    throw new Error("wfp-emulator: R2 multipart uploads are not available in the local runtime");
  }
}

/** A user Worker's Durable Object namespace, as the namespace's host serves it (host.mts WfpObjects). */
interface Objects {
  fetchObject(id: string, request: Request): Promise<Response>;
  call(id: string, method: string, args: unknown[]): Promise<unknown>;
}

/** [I] idFromName's id: eight FNV-1a lanes over the name (deterministic, 64 hex digits; not Cloudflare's derivation). */
function nameHex(name: string): string {
  const bytes = new TextEncoder().encode(name);
  let out = "";
  for (let lane = 0; lane < 8; lane++) {
    let h = (0x811c9dc5 ^ Math.imul(lane + 1, 0x9e3779b1)) >>> 0;
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out;
}

export class DurableObjectId {
  constructor(
    private readonly hex: string,
    readonly name?: string,
  ) {}
  toString(): string {
    return this.hex;
  }
  equals(other: unknown): boolean {
    return String(other) === this.hex;
  }
}

function objectStub(b: Objects, id: DurableObjectId): unknown {
  const own: Record<string | symbol, unknown> = {
    id,
    name: id.name,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => b.fetchObject(id.toString(), new Request(input, init)),
  };
  // Any other property is an RPC method of the object ("then" is not: a stub is not a promise).
  return new Proxy(own, {
    get: (t, p) =>
      p in t ? t[p] : typeof p !== "string" || p === "then" ? undefined : (...args: unknown[]) => b.call(id.toString(), p, args),
  });
}

export class DurableObjectNamespace {
  constructor(private readonly b: Objects) {}
  newUniqueId(): DurableObjectId {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    return new DurableObjectId([...bytes].map((x) => x.toString(16).padStart(2, "0")).join(""));
  }
  idFromName(name: string): DurableObjectId {
    return new DurableObjectId(nameHex(name), name);
  }
  idFromString(hex: string): DurableObjectId {
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError("Invalid Durable Object ID: must be 64 hex digits");
    return new DurableObjectId(hex);
  }
  get(id: DurableObjectId): unknown {
    return objectStub(this.b, id);
  }
  getByName(name: string): unknown {
    return this.get(this.idFromName(name));
  }
  jurisdiction(): DurableObjectNamespace {
    return this;
  }
}

/** The env's storage bindings (by `__WFP_STORAGE`) as D1, R2 and (user Workers') Durable Object namespace bindings. */
export function storageBindings(env: Record<string, unknown>, out: Record<string, unknown>): void {
  const kinds = (env.__WFP_STORAGE ?? {}) as Record<string, "d1" | "r2" | "do">;
  for (const [name, kind] of Object.entries(kinds)) {
    const f = env[name] as Fetcher;
    out[name] = kind === "d1" ? new D1Database(f) : kind === "r2" ? new R2Bucket(f) : new DurableObjectNamespace(env[name] as Objects);
  }
}
