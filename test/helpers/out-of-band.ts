/**
 * Changes made behind the stack's back, through the API in its documented wire shapes, as a person
 * with the dashboard or another deploy tool would make them.
 */
import { createHash } from "node:crypto";
import { expect } from "vitest";
import type { ApiResult, TestEmulator } from "./emulator";

/** The body of an out-of-band `PATCH .../settings` (the provider never sends one): one JSON part named `settings`. */
export function buildSettingsForm(settings: Record<string, unknown>): FormData {
  const form = new FormData();
  form.append("settings", new Blob([JSON.stringify(settings)], { type: "application/json" }), "settings.json");
  return form;
}

const scriptPath = (ns: string, script: string) => `/dispatch/namespaces/${ns}/scripts/${script}`;

async function ok(response: ApiResult, what: string): Promise<any> {
  expect(response.ok, `${what}: HTTP ${response.status} ${response.text}`).toBe(true);
  return response.body;
}

/** Replaces a script's code through `PUT .../content`, keeping its bindings, settings and assets. */
export async function replaceContent(em: TestEmulator, ns: string, script: string, mainModule: string, code: string): Promise<void> {
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify({ main_module: mainModule })], { type: "application/json" }), "metadata.json");
  form.append(mainModule, new Blob([code], { type: "application/javascript+module" }), mainModule);
  await ok(await em.api("PUT", `${scriptPath(ns, script)}/content`, { body: form }), "replace content");
}

export async function deleteSecret(em: TestEmulator, ns: string, script: string, name: string): Promise<void> {
  await ok(await em.api("DELETE", `${scriptPath(ns, script)}/secrets/${name}`), "delete secret");
}

export async function replaceTags(em: TestEmulator, ns: string, script: string, tags: string[]): Promise<void> {
  await ok(await em.api("PUT", `${scriptPath(ns, script)}/tags`, { json: tags }), "replace tags");
}

export async function deleteScript(em: TestEmulator, ns: string, script: string): Promise<void> {
  await ok(await em.api("DELETE", `${scriptPath(ns, script)}?force=true`), "delete script");
}

export async function deleteNamespace(em: TestEmulator, ns: string): Promise<void> {
  await ok(await em.api("DELETE", `/dispatch/namespaces/${ns}`), "delete namespace");
}

/**
 * Another deploy of the script with a different asset set: session, upload, then a script PUT that
 * attaches the new completion token (the other tool's own code and binding).
 */
export async function redeployWithOtherAssets(
  em: TestEmulator,
  ns: string,
  script: string,
  mainModule: string,
  code: string,
  files: Record<string, string>,
): Promise<void> {
  const manifest: Record<string, { hash: string; size: number }> = {};
  const byHash = new Map<string, string>();
  for (const [path, content] of Object.entries(files)) {
    const hash = createHash("sha256").update(`other-tool:${path}:${content}`).digest("hex").slice(0, 32);
    manifest[path] = { hash, size: Buffer.byteLength(content) };
    byHash.set(hash, content);
  }
  const session = await ok(await em.api("POST", `${scriptPath(ns, script)}/assets-upload-session`, { json: { manifest } }), "open session");
  let jwt: string = session.result.jwt;
  for (const bucket of session.result.buckets as string[][]) {
    const form = new FormData();
    for (const hash of bucket)
      form.append(hash, new Blob([Buffer.from(byHash.get(hash)!).toString("base64")], { type: "text/html" }), hash);
    const body = await ok(await em.api("POST", "/assets/upload?base64=true", { token: jwt, body: form }), "upload bucket");
    if (body.result?.jwt) jwt = body.result.jwt;
  }
  const form = new FormData();
  const metadata = {
    main_module: mainModule,
    compatibility_date: "2025-06-01",
    bindings: [{ type: "assets", name: "ASSETS" }],
    keep_bindings: ["secret_text", "secret_key"],
    assets: { jwt },
  };
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }), "metadata.json");
  form.append(mainModule, new Blob([code], { type: "application/javascript+module" }), mainModule);
  await ok(await em.api("PUT", scriptPath(ns, script), { body: form }), "redeploy script");
}
