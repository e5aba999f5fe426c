/** Script secrets: `.../scripts/{name}/secrets[/{secret}]`. Values are write-only: no verb returns one. */
import type { CloudflareApi } from "./client";
import { CODES, unlessGone, type Operation } from "./errors";
import { scriptGoneCodes, scriptPath, type ScriptRef } from "./scripts";
import { getScriptSettings } from "./settings";

const secretsPath = (ref: ScriptRef) => `${scriptPath(ref)}/secrets`;
const SECRET_TYPES = ["secret_text", "secret_key"];
const goneCodes = (ref: ScriptRef) => [...scriptGoneCodes(ref), CODES.secretNotFound];

/** PUT a `secret_text` binding (an upsert). */
export async function updateSecret(
  api: CloudflareApi,
  ref: ScriptRef,
  secret: { name: string; text: string },
  op: Operation,
): Promise<void> {
  await api.call({ method: "put", path: secretsPath(ref), body: { name: secret.name, text: secret.text, type: "secret_text" }, op });
}

/**
 * True when the script has the secret; false when Cloudflare says it, its script or its namespace is gone. Read
 * from the script's settings, which list secret bindings by name, so one read serves all of a script's secrets.
 */
export async function secretExists(api: CloudflareApi, ref: ScriptRef, name: string, op: Operation): Promise<boolean> {
  const settings = await getScriptSettings(api, ref, op);
  return settings?.bindings?.some((b) => b.name === name && SECRET_TYPES.includes(b.type)) ?? false;
}

/** DELETE the secret; false when it (or its script or namespace) was already gone. */
export async function deleteSecret(api: CloudflareApi, ref: ScriptRef, name: string, op: Operation): Promise<boolean> {
  const deleted = api.call({ method: "delete", path: `${secretsPath(ref)}/${encodeURIComponent(name)}`, op }).then(() => true);
  return (await unlessGone(deleted, goneCodes(ref))) ?? false;
}
