/**
 * Offboarding by tag: removes every user Worker in a namespace that carries (or lacks) given tags,
 * including tenants no stack manages. Uses the documented bulk delete
 * (`DELETE /dispatch/namespaces/{ns}/scripts?tags=...`), with a dry run that lists what would go.
 */
import { resolveCredentials, type ConnectionArgs } from "./config";
import { CloudflareApi } from "./api/client";

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

interface ScriptListItem {
  script?: { id?: string; tag?: string } | null;
  id?: string;
}

const PAGE = 1000;

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

export async function offboardByTag(options: OffboardOptions): Promise<OffboardResult> {
  const filter = tagFilter(options.tags);
  const api = new CloudflareApi(resolveCredentials(options));
  const base = `/dispatch/namespaces/${encodeURIComponent(options.namespace)}/scripts`;
  const op = { resource: `namespace "${options.namespace}"`, operation: `offboard ${filter}` };

  const scripts: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.send<ScriptListItem[]>({ method: "get", path: base, query: { tags: filter, limit: PAGE, cursor }, op });
    for (const item of page.result ?? []) {
      const name = item.script?.id ?? item.id;
      if (name) scripts.push(name);
    }
    const next = page.resultInfo?.cursor;
    cursor = typeof next === "string" && next !== "" ? next : undefined;
  } while (cursor);

  if (options.dryRun || scripts.length === 0) return { scripts, deleted: 0, dryRun: !!options.dryRun };

  let deleted = 0;
  for (;;) {
    const batch = await api.call<{ deleted_count?: number; has_more?: boolean }>({
      method: "delete",
      path: base,
      query: { tags: filter, limit: PAGE },
      op,
    });
    deleted += batch.deleted_count ?? 0;
    if (!batch.has_more) break;
  }
  return { scripts, deleted, dryRun: false };
}
