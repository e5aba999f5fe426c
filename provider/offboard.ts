/**
 * Offboarding by tag: removes every user Worker in a namespace that carries (or lacks) given tags,
 * including tenants no stack manages. Uses the documented bulk delete
 * (`DELETE /dispatch/namespaces/{ns}/scripts?tags=...`), with a dry run that lists what would go.
 */
import { CloudflareApi } from "./api/client";
import { deleteScriptsByTag, listScripts } from "./api/scripts";
import { resolveCredentials, type ConnectionArgs, type StackConfig } from "./credentials";

export interface OffboardOptions extends ConnectionArgs {
  namespace: string;
  /** Tag filter: `{ "tenant-acme": true }` matches scripts tagged tenant-acme; `false` requires the tag to be absent. */
  tags: Record<string, boolean>;
  /** List the matching scripts without deleting them. */
  dryRun?: boolean;
}

export interface OffboardResult {
  /** Script names that matched (dry run) or were deleted. */
  scripts: string[];
  deleted: number;
  dryRun: boolean;
}

/** Formats a tag filter the way the API expects: `a:yes,b:no`. Tags may not contain `,`, `&` or `:`. */
export function tagFilter(tags: Record<string, boolean>): string {
  const entries = Object.entries(tags);
  if (entries.length === 0) {
    throw new Error("offboard: refusing an empty tag filter, which would delete every script in the namespace");
  }
  for (const [tag] of entries) {
    if (!tag || /[,&:]/.test(tag)) throw new Error(`offboard: invalid tag "${tag}": tags are non-empty and contain no ',', '&' or ':'`);
  }
  return entries.map(([tag, present]) => `${tag}:${present ? "yes" : "no"}`).join(",");
}

/** `stack`: a stack's `cloudflare:*` config, between the options and the environment (the CLI's `--stack`). */
export async function offboardByTag(options: OffboardOptions, stack: StackConfig = {}): Promise<OffboardResult> {
  const filter = tagFilter(options.tags);
  const api = new CloudflareApi(resolveCredentials(options, stack));
  const op = { resource: `namespace "${options.namespace}"`, operation: `offboard ${filter}` };
  const scripts = await listScripts(api, options.namespace, op, { tags: filter });
  if (options.dryRun || scripts.length === 0) return { scripts, deleted: 0, dryRun: !!options.dryRun };
  const deleted = await deleteScriptsByTag(api, options.namespace, filter, op);
  return { scripts, deleted, dryRun: false };
}
