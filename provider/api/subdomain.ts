/** An account-level Worker on the workers.dev subdomain: `/scripts/{name}/subdomain`. */
import type { CloudflareApi } from "./client";
import { unlessGone, type Operation } from "./errors";
import { scriptGoneCodes, scriptPath, type ScriptRef } from "./scripts";

export interface SubdomainState {
  enabled: boolean;
  previews_enabled?: boolean;
}

/** GET whether the Worker is served on workers.dev; undefined when the script is gone. */
export async function getSubdomain(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<SubdomainState | undefined> {
  const state = api
    .call<SubdomainState | null>({ method: "get", path: `${scriptPath(ref)}/subdomain`, op })
    .then((s) => s ?? { enabled: false });
  return unlessGone(state, scriptGoneCodes(ref));
}

/** POST to turn workers.dev on or off (previews follow). */
export async function updateSubdomain(api: CloudflareApi, ref: ScriptRef, enabled: boolean, op: Operation): Promise<SubdomainState> {
  return api.call<SubdomainState>({
    method: "post",
    path: `${scriptPath(ref)}/subdomain`,
    body: { enabled, previews_enabled: enabled },
    op,
  });
}
