/** The emulator conformance tests' names for the shared harness (emulator.ts), plus their request builders. */
import { randomBytes, createHash } from "node:crypto";

export {
  ACCOUNT_ID as ACCOUNT,
  TEST_TOKEN as TOKEN,
  startTestEmulator as start,
  type ApiResult as ApiResponse,
  type TestEmulator as Harness,
} from "./emulator";

export function uniq(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export const WORKER_JS = 'export default { async fetch(req) { return new Response("hello"); } };\n';

/** A script upload in the documented wire shape: a JSON `metadata` part and module parts with content types. */
export function scriptForm(
  metadata: Record<string, unknown>,
  modules: Record<string, { content: string; type?: string }> = { "worker.mjs": { content: WORKER_JS } },
): FormData {
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
