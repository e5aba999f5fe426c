/** Shared helpers for the emulator conformance tests: a running emulator, raw requests and multipart builders. */
import { randomBytes, createHash } from "node:crypto";
import Cloudflare from "cloudflare";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator/index";

export const TOKEN = "test-token";
export const ACCOUNT = "0123456789abcdef0123456789abcdef";

export interface Harness {
  emu: RunningEmulator;
  cf: Cloudflare;
  /** `${apiBase}/accounts/${ACCOUNT}/workers` */
  workers: string;
  api(method: string, path: string, init?: { body?: BodyInit | null; json?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<ApiResponse>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function start(options: EmulatorOptions = {}): Promise<Harness> {
  const emu = await startEmulator({ port: 0, tokens: [TOKEN], rateLimit: false, ...options });
  const cf = new Cloudflare({ apiToken: TOKEN, baseURL: emu.apiBase, maxRetries: 0 });
  const workers = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
  return {
    emu,
    cf,
    workers,
    async api(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const token = init.token === undefined ? TOKEN : init.token;
      if (token !== null && headers.authorization === undefined) headers.authorization = `Bearer ${token}`;
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers["content-type"] ??= "application/json";
      }
      const url = path.startsWith("http") ? path : `${workers}${path}`;
      const res = await fetch(url, { method, headers, body: body ?? null });
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
  };
}

export function uniq(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export const WORKER_JS = 'export default { async fetch(req) { return new Response("hello"); } };\n';

/** A script upload in the documented wire shape: a JSON `metadata` part and module parts with content types. */
export function scriptForm(metadata: Record<string, unknown>, modules: Record<string, { content: string; type?: string }> = { "worker.mjs": { content: WORKER_JS } }): FormData {
  const fd = new FormData();
  fd.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }), "metadata.json");
  for (const [name, m] of Object.entries(modules)) {
    fd.append(name, new Blob([m.content], { type: m.type ?? "application/javascript+module" }), name);
  }
  return fd;
}

export function assetHash(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 32);
}

export function envelopeCodes(body: any): number[] {
  return (body?.errors ?? []).map((e: { code: number }) => e.code);
}
