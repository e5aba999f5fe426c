/**
 * @module
 * Which bytes an asset hash may hold in a container (a namespace, or the account's Workers), so that no script
 * claims or replaces another's file by naming its hash. Cloudflare leaves the hash scheme to the client (its docs:
 * the sha256 of the bytes, or a salted one for isolation; wrangler: blake3 of the base64 and extension), so the
 * emulator recomputes the schemes it knows without a secret [I]: the sha256 of the bytes (the docs'), and this
 * package's provider's formula without a salt (`sha256(0x00 ‖ ext ‖ 0x00 ‖ bytes)`, ext from the manifest's paths).
 * - a hash one of them gives is verified: every script of the container reuses it (Cloudflare's dedupe);
 * - any other hash (salted, wrangler's) is reused only by the scripts that uploaded its bytes; another script's
 *   session asks for them (dedupe is best-effort on Cloudflare too);
 * - bytes other than those stored under a hash are refused, unless they verify and the stored ones do not (a
 *   squatter's bytes give way to the file's own).
 */
import { createHash } from "node:crypto";
import type { BlobMeta } from "./state";

export const sha256Hex = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/**
 * Whether `hash` names `data` by a scheme the emulator recomputes, for a file with one of `exts` (extensions
 * without the dot, as the manifest's paths give them). Compared over the hash's length (32 strict, 1–64 lenient).
 */
export function hashVerifies(hash: string, data: Uint8Array, exts: Iterable<string>): boolean {
  const h = hash.toLowerCase();
  if (sha256Hex(data).startsWith(h)) return true;
  for (const ext of exts) if (createHash("sha256").update(`\0${ext}\0`).update(data).digest("hex").startsWith(h)) return true;
  return false;
}

/** The extension the provider's formula hashes: after the basename's last dot ("" for none). */
export function hashExtension(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1);
}

/** Whether `script`'s session may take the stored blob as already uploaded. */
export function reusable(blob: BlobMeta | undefined, script: string): boolean {
  if (!blob?.digest) return false;
  return blob.verified === true || (blob.scripts ?? []).includes(script);
}

/** What an upload of bytes with `digest` under `hash` by `script` does: the record to keep and whether to write them. */
export type BlobDecision = { record: BlobMeta; write: boolean } | { refused: string };

/**
 * `upload.verified`: whether its bytes verify under the hash; `stored`: the record there now and whether its bytes
 * (with `digest`; read for a record that predates it) verify.
 */
export function decideBlob(
  hash: string,
  upload: { digest: string; verified: boolean; size: number; contentType: string | null; script: string },
  stored: { record: BlobMeta; digest: string; verified: boolean } | undefined,
): BlobDecision {
  const { verified } = upload;
  const fresh = (): BlobMeta => ({
    size: upload.size,
    contentType: upload.contentType,
    digest: upload.digest,
    ...(verified ? { verified: true } : { scripts: [upload.script] }),
  });
  if (!stored) return { record: fresh(), write: true };
  if (stored.digest === upload.digest) {
    const record: BlobMeta = { size: upload.size, contentType: upload.contentType, digest: upload.digest };
    if (verified || stored.verified) record.verified = true;
    else record.scripts = [...new Set([...(stored.record.scripts ?? []), upload.script])];
    return { record, write: false };
  }
  if (verified && !stored.verified) return { record: fresh(), write: true };
  return {
    refused: `The bytes uploaded for ${hash} differ from those another upload stored under it in this namespace: a hash names one file (salt the hashes to keep tenants' files apart)`,
  };
}
