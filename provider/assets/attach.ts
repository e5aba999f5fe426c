/**
 * What StaticAssets hands to UserScript, and how UserScript deploys it.
 *
 * StaticAssets outputs an {@link AssetsAttachment}: the manifest digest, the wire-format asset config, where the
 * files come from, and (as a secret) the completion token of its last upload. A completion token lives one hour,
 * so it is never trusted on a later run: UserScript calls {@link prepareAssetsForDeploy} whenever the digest it
 * deployed differs from the attachment's. That returns the stored token while it has more than
 * {@link TOKEN_MIN_REMAINING_MS} left; otherwise it takes the manifest this run's check made for the digest (or
 * rebuilds it from `source` and checks that it still has the same digest), and runs a fresh session (which uploads
 * only missing files; usually none, so the session JWT is the completion token). So a run that uploaded assets but failed before the script PUT converges when it is
 * retried hours later.
 */
import type { CloudflareApi } from "../api/client";
import type { ScriptRef } from "../api/scripts";
import { type AssetDescriptions, describeAssets, sameAssetsDigest } from "./describe";
import { wireSettings } from "./serving-config";
import { uploadAssets } from "./upload";

export interface AssetsAttachment {
  /** sha256 of the sorted manifest, the wire config and the hash formula (see manifest.ts); a Tenant's, 64 bits of it. */
  digest: string;
  /** The completion token of the last upload (valid 1 h; a secret). Possibly expired: never rely on it. */
  completionToken?: string;
  /** The wire-format `assets.config`: html_handling, not_found_handling, run_worker_first, _headers, _redirects. */
  config: Record<string, unknown>;
  /** Where the files come from, to rebuild the manifest when the token has expired. */
  source: { directory: string; include?: string[]; exclude?: string[]; isolationSalt?: string; maxFiles?: number };
  /** The script the completion token was issued for (tokens are bound to it). */
  uploadedFor?: { namespace?: string; scriptName: string };
}

/** A stored token is reused only with at least this much life left. */
export const TOKEN_MIN_REMAINING_MS = 5 * 60_000;

/** The `exp` claim (seconds since the epoch) of a JWT, decoded without verifying; undefined if unreadable. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

/** True when the token's `exp` is more than `minRemainingMs` away. */
export function tokenUsable(token: string | undefined, now = Date.now(), minRemainingMs = TOKEN_MIN_REMAINING_MS): token is string {
  if (!token) return false;
  const exp = jwtExpiry(token);
  return exp !== undefined && exp * 1000 - now > minRemainingMs;
}

/**
 * A completion token for `target` and the config to send with it: the stored token while fresh, else a new
 * session after checking the directory still matches `attachment.digest`.
 */
export async function prepareAssetsForDeploy(
  api: CloudflareApi,
  described: AssetDescriptions,
  target: ScriptRef,
  attachment: AssetsAttachment,
  resourceLabel?: string,
): Promise<{ jwt: string; config: Record<string, unknown> }> {
  const where = target.namespace === undefined ? target.script : `${target.namespace}/${target.script}`;
  const resource = `assets of ${resourceLabel ?? `${target.namespace === undefined ? "Worker" : "UserScript"} "${where}"`}`;
  const sameTarget =
    !attachment.uploadedFor ||
    ((attachment.uploadedFor.namespace ?? undefined) === target.namespace && attachment.uploadedFor.scriptName === target.script);
  if (sameTarget && tokenUsable(attachment.completionToken)) {
    return { jwt: attachment.completionToken, config: attachment.config };
  }

  // This run's check of the StaticAssets (or Tenant) described the files already; else describe them now.
  const { manifest, config, digest } =
    described.take(attachment.digest) ?? (await describeAssets(attachment.source, wireSettings(attachment.config)));
  if (!sameAssetsDigest(digest, attachment.digest)) {
    throw new Error(
      `${resource}: the assets directory ${manifest.root} changed since StaticAssets last ran (digest ${digest.slice(0, 12)}…, ` +
        `expected ${attachment.digest.slice(0, 12)}…), and the stored upload token has expired. Run \`pulumi up\` again: ` +
        "StaticAssets will upload the new files first.",
    );
  }
  const { completionToken } = await uploadAssets(api, target, manifest.files, { resource, salt: attachment.source.isolationSalt });
  return { jwt: completionToken, config };
}
