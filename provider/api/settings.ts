/** Script settings and tags: `.../scripts/{name}/settings` and `.../scripts/{name}/tags`. */
import type { CloudflareApi } from "./client";
import { unlessGone, type Operation } from "./errors";
import { scriptGoneCodes, scriptPath, type ScriptRef } from "./scripts";

export interface ScriptSettings {
  bindings?: Array<Record<string, unknown> & { name: string; type: string }>;
  compatibility_date?: string;
  compatibility_flags?: string[];
  limits?: { cpu_ms?: number; [key: string]: unknown } | null;
  logpush?: boolean;
  observability?: Record<string, unknown> | null;
  placement?: Record<string, unknown> | null;
  tags?: string[] | null;
  tail_consumers?: Array<Record<string, unknown>> | null;
  usage_model?: string;
  /** The Durable Object migration tag; absent when the script has had no migrations. */
  migration_tag?: string;
  [key: string]: unknown;
}

/**
 * GET the settings (bindings, secret ones by name only); undefined when the script is gone. Shared within a run:
 * one read serves the script and each of its secrets.
 */
export async function getScriptSettings(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<ScriptSettings | undefined> {
  const settings = api.callShared<ScriptSettings | null>({ method: "get", path: `${scriptPath(ref)}/settings`, op }).then((s) => s ?? {});
  return unlessGone(settings, scriptGoneCodes(ref));
}

/** GET the script's tags; undefined when the script is gone. */
export async function getScriptTags(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<string[] | undefined> {
  const tags = api.call<string[] | null>({ method: "get", path: `${scriptPath(ref)}/tags`, op }).then((t) => t ?? []);
  return unlessGone(tags, scriptGoneCodes(ref));
}
