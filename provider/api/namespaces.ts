/**
 * Dispatch namespaces: `/accounts/{account_id}/workers/dispatch/namespaces[/{name}]`.
 * The path parameter is always the namespace **name**; Cloudflare documents no addressing by id.
 */
import type { NamespaceObject } from "../../cloudflare/wire";
import type { CloudflareApi } from "./client";
import { CODES, unlessGone, type Operation } from "./errors";

export const namespacePath = (name: string) => `/dispatch/namespaces/${encodeURIComponent(name)}`;

/** GET `/dispatch/namespaces`. */
export async function listNamespaces(api: CloudflareApi, op: Operation): Promise<NamespaceObject[]> {
  return (await api.call<NamespaceObject[] | null>({ method: "get", path: "/dispatch/namespaces", op })) ?? [];
}

/** GET `/dispatch/namespaces/{name}` (shared within a run); undefined when Cloudflare says it does not exist (100119). */
export function getNamespace(api: CloudflareApi, name: string, op: Operation): Promise<NamespaceObject | undefined> {
  return unlessGone(api.callShared<NamespaceObject>({ method: "get", path: namespacePath(name), op }), [CODES.namespaceNotFound]);
}

/** POST `/dispatch/namespaces`: create takes only the name; trusted mode is set by {@link updateNamespace}. */
export async function createNamespace(api: CloudflareApi, name: string, op: Operation): Promise<NamespaceObject> {
  return api.call<NamespaceObject>({ method: "post", path: "/dispatch/namespaces", body: { name }, op });
}

/** PUT `/dispatch/namespaces/{name}`: renames (the id and scripts stay) and sets `trusted_workers`. */
export async function updateNamespace(
  api: CloudflareApi,
  name: string,
  body: { name: string; trusted_workers: boolean },
  op: Operation,
): Promise<NamespaceObject> {
  return api.call<NamespaceObject>({ method: "put", path: namespacePath(name), body, op });
}

/** DELETE `/dispatch/namespaces/{name}`; false when it was already gone. */
export async function deleteNamespace(api: CloudflareApi, name: string, op: Operation): Promise<boolean> {
  const deleted = api.call({ method: "delete", path: namespacePath(name), op }).then(() => true);
  return (await unlessGone(deleted, [CODES.namespaceNotFound])) ?? false;
}
