/**
 * Offboarding by tag: removes every user Worker in a namespace that carries (or lacks) given tags,
 * including tenants no stack manages. Uses the documented bulk delete
 * (`DELETE /dispatch/namespaces/{ns}/scripts?tags=...`), with a dry run that lists what would go.
 *
 * A tenant's data is not deleted with its scripts: the D1 databases and R2 buckets they bind stay (Cloudflare keeps
 * them, and so does this), and the result names them, read from each script's bindings before the delete.
 */
import { CloudflareApi } from "./api/client";
import { deleteScriptsByTag, listScripts } from "./api/scripts";
import { getScriptSettings } from "./api/settings";
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
  /** The storage those scripts bind, which offboarding leaves: `d1 <database id>`, `r2 <bucket>` (`r2 eu/<bucket>`), sorted. */
  leftBehind: string[];
}

/** The D1 databases and R2 buckets the scripts bind: one settings read per script. */
async function storageOf(
  api: CloudflareApi,
  namespace: string,
  scripts: string[],
  op: { resource: string; operation: string },
): Promise<string[]> {
  const found = new Set<string>();
  for (const script of scripts) {
    for (const b of (await getScriptSettings(api, { namespace, script }, op))?.bindings ?? []) {
      const id = b.database_id ?? b.id;
      if (b.type === "d1" && typeof id === "string") found.add(`d1 ${id}`);
      if (b.type === "r2_bucket" && typeof b.bucket_name === "string")
        found.add(`r2 ${typeof b.jurisdiction === "string" ? `${b.jurisdiction}/` : ""}${b.bucket_name}`);
    }
  }
  return [...found].sort();
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
  const leftBehind = await storageOf(api, options.namespace, scripts, op);
  if (options.dryRun || scripts.length === 0) return { scripts, deleted: 0, dryRun: !!options.dryRun, leftBehind };
  const deleted = await deleteScriptsByTag(api, options.namespace, filter, op);
  return { scripts, deleted, dryRun: false, leftBehind };
}
