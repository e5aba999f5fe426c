/**
 * Paths and typed calls for the Workers for Platforms endpoints used by DispatchNamespace,
 * UserScript and ScriptSecret. Paths are relative to `/accounts/{account_id}/workers`.
 */
import type { CloudflareApi } from "./client";
import { CloudflareApiError, isNotFound, type Operation } from "./errors";

/** Namespace not found. */
export const NAMESPACE_NOT_FOUND = 100119;
/** Namespace name already taken. */
export const NAMESPACE_EXISTS = 100120;
/** Script not found (10092 is what some endpoints and wrangler use). */
export const SCRIPT_NOT_FOUND = [10007, 10092];
/** Secret not found. */
export const SECRET_NOT_FOUND = 10056;

const enc = encodeURIComponent;

export const paths = {
  namespaces: () => "/dispatch/namespaces",
  namespace: (ns: string) => `/dispatch/namespaces/${enc(ns)}`,
  scripts: (ns: string) => `/dispatch/namespaces/${enc(ns)}/scripts`,
  script: (ns: string, script: string) => `/dispatch/namespaces/${enc(ns)}/scripts/${enc(script)}`,
  settings: (ns: string, script: string) => `${paths.script(ns, script)}/settings`,
  content: (ns: string, script: string) => `${paths.script(ns, script)}/content`,
  tags: (ns: string, script: string) => `${paths.script(ns, script)}/tags`,
  secrets: (ns: string, script: string) => `${paths.script(ns, script)}/secrets`,
  secret: (ns: string, script: string, name: string) => `${paths.script(ns, script)}/secrets/${enc(name)}`,
};

export interface NamespaceObject {
  namespace_id: string;
  namespace_name: string;
  script_count?: number;
  trusted_workers?: boolean;
}

export interface ScriptObject {
  id: string;
  tag?: string;
  etag?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  tags?: string[] | null;
  has_assets?: boolean;
  [key: string]: unknown;
}

export interface ScriptDetails {
  dispatch_namespace?: string;
  script: ScriptObject | null;
}

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
  [key: string]: unknown;
}

/** True when the error says the namespace or the script is gone. */
export function isScriptOrNamespaceGone(error: unknown): boolean {
  return isNotFound(error, NAMESPACE_NOT_FOUND, ...SCRIPT_NOT_FOUND);
}

/** GET a namespace by name or id; undefined when it does not exist. */
export async function getNamespace(api: CloudflareApi, nameOrId: string, op: Operation): Promise<NamespaceObject | undefined> {
  try {
    return await api.call<NamespaceObject>({ method: "get", path: paths.namespace(nameOrId), op });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function listNamespaces(api: CloudflareApi, op: Operation): Promise<NamespaceObject[]> {
  return (await api.call<NamespaceObject[] | null>({ method: "get", path: paths.namespaces(), op })) ?? [];
}

/** Script names in a namespace (follows the cursor). */
export async function listScriptNames(api: CloudflareApi, ns: string, op: Operation): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await api.send<Array<{ script?: { id?: string } | null; id?: string }> | null>({
      method: "get",
      path: paths.scripts(ns),
      query: { limit: 1000, cursor },
      op,
    });
    for (const item of res.result ?? []) {
      const name = item.script?.id ?? item.id;
      if (typeof name === "string") names.push(name);
    }
    const next = res.resultInfo?.cursor;
    if (typeof next !== "string" || next === "" || (res.result ?? []).length === 0) break;
    cursor = next;
  }
  return names;
}

/** GET script details; undefined when the script (or its namespace) is gone, including `200 {script: null}`. */
export async function getScript(api: CloudflareApi, ns: string, script: string, op: Operation): Promise<ScriptObject | undefined> {
  try {
    const details = await api.call<ScriptDetails | null>({ method: "get", path: paths.script(ns, script), op });
    return details?.script ?? undefined;
  } catch (error) {
    if (isScriptOrNamespaceGone(error)) return undefined;
    throw error;
  }
}

export function isApiError(error: unknown): error is CloudflareApiError {
  return error instanceof CloudflareApiError;
}

export interface ContentModule {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/**
 * GET `.../content`: the script's modules as multipart, plus the `cf-entrypoint` header. Used by import only.
 * The SDK's raw methods unwrap JSON envelopes and would decode binary parts as text, so this one request
 * uses fetch directly (with a short retry on 429/5xx); errors carry the operation and never the token.
 */
export async function getScriptContent(
  api: CloudflareApi,
  ns: string,
  script: string,
  op: Operation,
): Promise<{ modules: ContentModule[]; entry?: string } | undefined> {
  let res: Response;
  try {
    res = await api.fetchRaw({ method: "get", path: paths.content(ns, script), headers: { accept: "multipart/form-data" }, op });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const entry = res.headers.get("cf-entrypoint") ?? undefined;
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) {
    // A service-worker script comes back as its raw body.
    return { modules: [{ name: entry ?? "worker.js", type: type.split(";")[0]!.trim() || "application/javascript", bytes: new Uint8Array(await res.arrayBuffer()) }], entry };
  }
  const form = await res.formData();
  const modules: ContentModule[] = [];
  for (const [partName, value] of form.entries()) {
    if (typeof value === "string") modules.push({ name: partName, type: "", bytes: new TextEncoder().encode(value) });
    else modules.push({ name: value.name || partName, type: (value.type || "").split(";")[0]!.trim(), bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { modules, entry };
}
