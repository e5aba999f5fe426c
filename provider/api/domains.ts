/**
 * Hostnames: zones (looked up by name), Workers custom domains (`/accounts/{account}/workers/domains`), a zone's
 * Worker routes (`/zones/{zone}/workers/routes`) and Cloudflare for SaaS custom hostnames
 * (`/zones/{zone}/custom_hostnames`). Reads of domains and routes find them in their lists, by documented filters,
 * so that "gone" never rests on a not-found code Cloudflare does not document for them.
 */
import { GONE_CODES, TAKEN_CODES } from "../../cloudflare/errors";
import type { CustomHostnameObject, DomainObject, RouteObject, ZoneObject } from "../../cloudflare/wire";
import type { CloudflareApi } from "./client";
import { unlessGone, type Operation } from "./errors";

/** Duplicate custom hostname found (in this zone or any other). */
export const CUSTOM_HOSTNAME_TAKEN = TAKEN_CODES.customHostname;

const zonePath = (zoneId: string) => `/zones/${encodeURIComponent(zoneId)}`;

/** The account's zone of that name, or undefined. */
export async function findZoneByName(api: CloudflareApi, name: string, op: Operation): Promise<ZoneObject | undefined> {
  const zones = await api.callShared<ZoneObject[] | null>({
    method: "get",
    path: "/zones",
    root: true,
    query: { name, "account.id": api.accountId },
    op,
  });
  return (zones ?? []).find((z) => z.name === name);
}

/** The account's zone names, sorted by Cloudflare (`/zones` pages of 50, the first 1,000 zones). */
export async function listZoneNames(api: CloudflareApi, op: Operation): Promise<string[]> {
  const names: string[] = [];
  for (let page = 1; page <= 20; page++) {
    const res = await api.send<ZoneObject[] | null>({
      method: "get",
      path: "/zones",
      root: true,
      query: { "account.id": api.accountId, page, per_page: 50 },
      op,
    });
    names.push(...(res.result ?? []).map((z) => z.name));
    if (page >= Number(res.resultInfo?.total_pages ?? 0)) break;
  }
  return names;
}

/** GET `/zones/{id}`. */
export function getZone(api: CloudflareApi, zoneId: string, op: Operation): Promise<ZoneObject> {
  return api.callShared<ZoneObject>({ method: "get", path: zonePath(zoneId), root: true, op });
}

// ---- Workers custom domains ----

/** The custom domain on `hostname`, if any. */
export async function findDomain(api: CloudflareApi, hostname: string, op: Operation): Promise<DomainObject | undefined> {
  const list = await api.callShared<DomainObject[] | null>({ method: "get", path: "/domains", query: { hostname }, op });
  return (list ?? []).find((d) => d.hostname === hostname);
}

/** PUT `/domains`: attaches the hostname to the Worker (or moves it there). */
export function putDomain(
  api: CloudflareApi,
  body: { hostname: string; service: string; zone_id: string; environment: string },
  op: Operation,
): Promise<DomainObject> {
  return api.call<DomainObject>({ method: "put", path: "/domains", body, op });
}

export async function deleteDomain(api: CloudflareApi, id: string, op: Operation): Promise<void> {
  await api.call({ method: "delete", path: `/domains/${encodeURIComponent(id)}`, op });
}

// ---- zone routes ----

export async function listRoutes(api: CloudflareApi, zoneId: string, op: Operation): Promise<RouteObject[]> {
  return (await api.callShared<RouteObject[] | null>({ method: "get", path: `${zonePath(zoneId)}/workers/routes`, root: true, op })) ?? [];
}

export function createRoute(
  api: CloudflareApi,
  zoneId: string,
  body: { pattern: string; script: string },
  op: Operation,
): Promise<RouteObject> {
  return api.call<RouteObject>({ method: "post", path: `${zonePath(zoneId)}/workers/routes`, root: true, body, op });
}

export function updateRoute(
  api: CloudflareApi,
  zoneId: string,
  id: string,
  body: { pattern: string; script: string },
  op: Operation,
): Promise<RouteObject> {
  return api.call<RouteObject>({
    method: "put",
    path: `${zonePath(zoneId)}/workers/routes/${encodeURIComponent(id)}`,
    root: true,
    body,
    op,
  });
}

export async function deleteRoute(api: CloudflareApi, zoneId: string, id: string, op: Operation): Promise<void> {
  await api.call({ method: "delete", path: `${zonePath(zoneId)}/workers/routes/${encodeURIComponent(id)}`, root: true, op });
}

// ---- custom hostnames ----

const chPath = (zoneId: string, id?: string) => `${zonePath(zoneId)}/custom_hostnames${id ? `/${encodeURIComponent(id)}` : ""}`;

/** The zone's custom hostname `hostname`, if any (the list's hostname filter). */
export async function findCustomHostname(
  api: CloudflareApi,
  zoneId: string,
  hostname: string,
  op: Operation,
): Promise<CustomHostnameObject | undefined> {
  const list = await api.call<CustomHostnameObject[] | null>({ method: "get", path: chPath(zoneId), root: true, query: { hostname }, op });
  return (list ?? []).find((ch) => ch.hostname === hostname);
}

/** GET one; undefined when Cloudflare says it does not exist (1436). */
export function getCustomHostname(
  api: CloudflareApi,
  zoneId: string,
  id: string,
  op: Operation,
): Promise<CustomHostnameObject | undefined> {
  return unlessGone(api.call<CustomHostnameObject>({ method: "get", path: chPath(zoneId, id), root: true, op }), GONE_CODES.customHostname);
}

export function createCustomHostname(
  api: CloudflareApi,
  zoneId: string,
  body: Record<string, unknown>,
  op: Operation,
): Promise<CustomHostnameObject> {
  return api.call<CustomHostnameObject>({ method: "post", path: chPath(zoneId), root: true, body, op });
}

export function patchCustomHostname(
  api: CloudflareApi,
  zoneId: string,
  id: string,
  body: Record<string, unknown>,
  op: Operation,
): Promise<CustomHostnameObject> {
  return api.call<CustomHostnameObject>({ method: "patch", path: chPath(zoneId, id), root: true, body, op });
}

/** DELETE; false when it was already gone. */
export async function deleteCustomHostname(api: CloudflareApi, zoneId: string, id: string, op: Operation): Promise<boolean> {
  const deleted = api.call({ method: "delete", path: chPath(zoneId, id), root: true, op }).then(() => true);
  return (await unlessGone(deleted, GONE_CODES.customHostname)) ?? false;
}
