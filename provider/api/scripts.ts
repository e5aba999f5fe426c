/**
 * Worker scripts: in a dispatch namespace (`/dispatch/namespaces/{ns}/scripts/{name}`, a user Worker) or at
 * account level (`/scripts/{name}`). Every verb takes a {@link ScriptRef}, so UserScript and account-level
 * Workers share one implementation.
 */
import type { ApiRequest, CloudflareApi } from "./client";
import { CODES, unlessGone, type Operation } from "./errors";
import { namespacePath } from "./namespaces";
import { paginate } from "./paginate";

/** A script in a dispatch namespace, or an account-level one when `namespace` is undefined. */
export interface ScriptRef {
  namespace?: string;
  script: string;
}

export function scriptPath(ref: ScriptRef): string {
  const name = encodeURIComponent(ref.script);
  return ref.namespace === undefined ? `/scripts/${name}` : `${namespacePath(ref.namespace)}/scripts/${name}`;
}

/** The codes that mean the script (or the namespace holding it) does not exist. */
export function scriptGoneCodes(ref: ScriptRef): readonly number[] {
  return ref.namespace === undefined ? CODES.scriptNotFound : [...CODES.scriptNotFound, CODES.namespaceNotFound];
}

export interface ScriptObject {
  id: string;
  tag?: string;
  etag?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  tags?: string[] | null;
  has_assets?: boolean;
  migration_tag?: string;
  [key: string]: unknown;
}

/** PUT the script (multipart: metadata and modules), with strict inherit so a missing inherited binding fails. */
export async function uploadScript(api: CloudflareApi, ref: ScriptRef, form: FormData, op: Operation): Promise<ScriptObject> {
  return api.call<ScriptObject>({ method: "put", path: scriptPath(ref), query: { bindings_inherit: "strict" }, body: form, op });
}

/**
 * A script's details; undefined when Cloudflare says it (or its namespace) is gone, or `{script: null}`. A user
 * Worker has a details endpoint; an account-level one is found in the account's script list (its own GET
 * downloads the content).
 */
export async function getScript(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<ScriptObject | undefined> {
  if (ref.namespace === undefined) return (await listAccountScripts(api, op)).find((s) => s.id === ref.script);
  if (api.sharesReads) {
    // A refresh reads every script of the namespace: one list (1,000 a page) serves them all.
    const listed = await listNamespaceScriptObjects(api, ref.namespace, op);
    if (listed === undefined) return undefined;
    const script = listed.get(ref.script);
    if (script === undefined || script.etag !== undefined) return script;
  }
  const details = await unlessGone(
    api.call<{ script: ScriptObject | null } | null>({ method: "get", path: scriptPath(ref), op }),
    scriptGoneCodes(ref),
  );
  return details?.script ?? undefined;
}

/** GET `/scripts`: the account-level Workers (not those of dispatch namespaces); shared within a run. */
export async function listAccountScripts(api: CloudflareApi, op: Operation): Promise<ScriptObject[]> {
  return (await api.callShared<ScriptObject[] | null>({ method: "get", path: "/scripts", op })) ?? [];
}

/** Every script of a namespace with its details (etag, tags, has_assets), by name. */
async function loadNamespaceScripts(api: CloudflareApi, request: ApiRequest): Promise<Map<string, ScriptObject>> {
  const byName = new Map<string, ScriptObject>();
  for (const item of await paginate<{ script?: ScriptObject | null }>(api, request))
    if (typeof item.script?.id === "string") byName.set(item.script.id, item.script);
  return byName;
}

/**
 * Every script of a namespace with its details, by name; undefined when Cloudflare says the namespace is gone. In an
 * engine run, read once: `"now"` until the run writes (refresh), `"run start"` as first seen whatever the run wrote
 * since (a create's ownership check). Without shared reads, the namespace now.
 */
export async function listNamespaceScriptObjects(
  api: CloudflareApi,
  namespace: string,
  op: Operation,
  asOf: "now" | "run start" = "now",
): Promise<Map<string, ScriptObject> | undefined> {
  const request = { method: "get", path: `${namespacePath(namespace)}/scripts`, op } as const;
  const load = () => loadNamespaceScripts(api, request);
  return unlessGone(asOf === "now" ? api.shared(request, load) : api.firstInRun(request, load), [CODES.namespaceNotFound]);
}

/** DELETE the script (`force` also removes it while bindings point at it); false when it was already gone. */
export async function deleteScript(api: CloudflareApi, ref: ScriptRef, op: Operation, options: { force?: boolean } = {}): Promise<boolean> {
  const deleted = api
    .call({ method: "delete", path: scriptPath(ref), query: options.force ? { force: true } : undefined, op })
    .then(() => true);
  return (await unlessGone(deleted, scriptGoneCodes(ref))) ?? false;
}

/** A script of a namespace as its list shows it: the name and the tags. */
export interface ListedScript {
  name: string;
  tags: string[];
}

/** The scripts of a namespace with their tags, one call per page, optionally filtered by tags (`a:yes,b:no`). */
export async function listScriptEntries(
  api: CloudflareApi,
  namespace: string,
  op: Operation,
  options: { tags?: string } = {},
): Promise<ListedScript[]> {
  type Item = { script?: { id?: string; tags?: string[] | null } | null; id?: string; tags?: string[] | null };
  const items = await paginate<Item>(api, {
    method: "get",
    path: `${namespacePath(namespace)}/scripts`,
    query: { tags: options.tags },
    op,
  });
  const out: ListedScript[] = [];
  for (const item of items) {
    const name = item.script?.id ?? item.id;
    if (typeof name === "string") out.push({ name, tags: item.script?.tags ?? item.tags ?? [] });
  }
  return out;
}

/** Script names in a namespace, optionally filtered by tags (`a:yes,b:no`). */
export async function listScripts(
  api: CloudflareApi,
  namespace: string,
  op: Operation,
  options: { tags?: string } = {},
): Promise<string[]> {
  return (await listScriptEntries(api, namespace, op, options)).map((s) => s.name);
}

/** DELETE `/dispatch/namespaces/{ns}/scripts?tags=...`, batch after batch; returns how many were deleted. */
export async function deleteScriptsByTag(api: CloudflareApi, namespace: string, tags: string, op: Operation): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await api.call<{ deleted_count?: number; has_more?: boolean }>({
      method: "delete",
      path: `${namespacePath(namespace)}/scripts`,
      query: { tags, limit: 1000 },
      op,
    });
    deleted += batch?.deleted_count ?? 0;
    if (!batch?.has_more) return deleted;
  }
}

/** A namespace script's content is `.../content`; an account-level one's is `.../content/v2`. */
const contentPath = (ref: ScriptRef) => `${scriptPath(ref)}/content${ref.namespace === undefined ? "/v2" : ""}`;

export interface ContentModule {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/**
 * GET the content: the script's modules as multipart, plus the `cf-entrypoint` header (import only). The body
 * is not an envelope, so it comes through the raw path, with the same retries; undefined when the script is gone.
 */
export async function getScriptContent(
  api: CloudflareApi,
  ref: ScriptRef,
  op: Operation,
): Promise<{ modules: ContentModule[]; entry?: string } | undefined> {
  const res = await unlessGone(
    api.fetchRaw({ method: "get", path: contentPath(ref), headers: { accept: "multipart/form-data" }, op }),
    scriptGoneCodes(ref),
  );
  if (!res) return undefined;
  const entry = res.headers.get("cf-entrypoint") ?? undefined;
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) {
    // A service-worker script comes back as its raw body.
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { modules: [{ name: entry ?? "worker.js", type: type.split(";")[0]!.trim() || "application/javascript", bytes }], entry };
  }
  const modules: ContentModule[] = [];
  for (const [partName, value] of (await res.formData()).entries()) {
    if (typeof value === "string") modules.push({ name: partName, type: "", bytes: new TextEncoder().encode(value) });
    else
      modules.push({
        name: value.name || partName,
        type: (value.type || "").split(";")[0]!.trim(),
        bytes: new Uint8Array(await value.arrayBuffer()),
      });
  }
  return { modules, entry };
}
