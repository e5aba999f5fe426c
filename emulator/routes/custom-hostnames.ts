/**
 * @module
 * Cloudflare for SaaS: `/zones/{zone}/custom_hostnames[/{id}]` and the zone's `fallback_origin`. A new custom
 * hostname is `pending` with ownership (TXT) and certificate validation records to hand the customer; nothing here
 * checks DNS, so it turns `active` only through the operator endpoint ({@link activateCustomHostname}). A hostname
 * belongs to one zone at most (1406 otherwise, across every zone).
 */
import type { CustomHostnameObject } from "../../cloudflare/wire";
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import type { AppEnv, EmulatorContext } from "../context";
import { dict, newTag, type CustomHostnameRecord, type Store, timestamp, type Zone } from "../model/store";
import { readJson, type C } from "./common";
import { isObject } from "../model/validate";
import { inZone, paginate, requireZone, servableHostname, validHostname } from "./zones";

const SSL_METHODS = ["http", "txt", "email"];

export function customHostnameObject(ch: CustomHostnameRecord): CustomHostnameObject & Record<string, unknown> {
  const active = ch.status === "active";
  const ssl: NonNullable<CustomHostnameObject["ssl"]> & Record<string, unknown> = {
    id: ch.ssl.id,
    type: ch.ssl.type,
    method: ch.ssl.method,
    status: ch.ssl.status,
    bundle_method: "ubiquitous",
    certificate_authority: "google",
    wildcard: false,
    settings: ch.ssl.settings,
  };
  if (ch.ssl.status !== "active") {
    ssl.validation_records =
      ch.ssl.method === "http"
        ? [{ http_url: `http://${ch.hostname}/.well-known/acme-challenge/${ch.ssl.id}`, http_body: ch.dcv_token }]
        : ch.ssl.method === "email"
          ? [{ emails: [`admin@${ch.hostname}`, `webmaster@${ch.hostname}`] }]
          : [{ txt_name: `_acme-challenge.${ch.hostname}`, txt_value: ch.dcv_token }];
  }
  const out: CustomHostnameObject & Record<string, unknown> = {
    id: ch.id,
    hostname: ch.hostname,
    ssl,
    status: ch.status,
    created_at: ch.created_at,
  };
  if (!active) {
    out.ownership_verification = { type: "txt", name: `_cf-custom-hostname.${ch.hostname}`, value: ch.ownership_token };
    out.ownership_verification_http = {
      http_url: `http://${ch.hostname}/.well-known/cf-custom-hostname-challenge/${ch.id}`,
      http_body: ch.ownership_token,
    };
    out.verification_errors = ["custom hostname does not CNAME to this zone."];
  }
  if (ch.custom_metadata) out.custom_metadata = ch.custom_metadata;
  if (ch.custom_origin_server) out.custom_origin_server = ch.custom_origin_server;
  if (ch.custom_origin_sni) out.custom_origin_sni = ch.custom_origin_sni;
  return out;
}

/** The custom hostname record named `hostname`, with its zone. */
export function findCustomHostname(store: Store, hostname: string): { zone: Zone; ch: CustomHostnameRecord } | undefined {
  for (const zone of Object.values(store.state.zones))
    for (const ch of Object.values(zone.custom_hostnames)) if (ch.hostname === hostname) return { zone, ch };
  return undefined;
}

/** Operator: the hostname's ownership and certificate validated, as if its DNS were in place. False when unknown. */
export function activateCustomHostname(store: Store, hostname: string): boolean {
  const found = findCustomHostname(store, hostname.toLowerCase());
  if (!found) return false;
  found.ch.status = "active";
  found.ch.ssl.status = "active";
  store.touch();
  return true;
}

function validSsl(value: unknown): { method: string; type: string; settings: Record<string, unknown> } {
  if (!isObject(value)) throw invalidRequest('ssl is required: { "method": "http" | "txt" | "email", "type": "dv" }');
  const method = value.method ?? "http";
  if (typeof method !== "string" || !SSL_METHODS.includes(method))
    throw invalidRequest(`ssl.method must be one of ${SSL_METHODS.join(", ")} (got ${JSON.stringify(value.method)})`);
  const type = value.type ?? "dv";
  if (type !== "dv") throw invalidRequest(`ssl.type must be "dv" (got ${JSON.stringify(value.type)})`);
  return { method, type, settings: isObject(value.settings) ? { ...value.settings } : {} };
}

function validMetadata(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== "string"))
    throw invalidRequest("custom_metadata must be an object of string values");
  return dict(value as Record<string, string>);
}

export function customHostnameRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;
  const base = "/zones/:zone_id/custom_hostnames";

  const readBody = async (c: C): Promise<Record<string, unknown>> => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
    return body;
  };

  // The fallback origin first: its path would otherwise read as a custom hostname id.
  r.get(`${base}/fallback_origin`, (c) => {
    const zone = requireZone(ctx, c);
    if (!zone.fallback_origin) throw new ApiError(404, Codes.RESOURCE_NOT_FOUND, "Resource not found");
    return c.json(okEnvelope({ ...zone.fallback_origin, errors: [] }));
  });

  r.put(`${base}/fallback_origin`, async (c) => {
    const zone = requireZone(ctx, c);
    const origin = validHostname((await readBody(c)).origin, "origin");
    if (!inZone(origin, zone.name)) throw invalidRequest(`origin must be a hostname of the zone ${zone.name} (got ${origin})`);
    const now = timestamp();
    zone.fallback_origin = { origin, status: "active", created_at: zone.fallback_origin?.created_at ?? now, updated_at: now };
    store.touch();
    return c.json(okEnvelope({ ...zone.fallback_origin, errors: [] }));
  });

  r.delete(`${base}/fallback_origin`, (c) => {
    const zone = requireZone(ctx, c);
    if (!zone.fallback_origin) throw new ApiError(404, Codes.RESOURCE_NOT_FOUND, "Resource not found");
    const gone = zone.fallback_origin;
    delete zone.fallback_origin;
    store.touch();
    return c.json(okEnvelope({ ...gone, status: "pending_deletion", errors: [] }));
  });

  r.post(base, async (c) => {
    const zone = requireZone(ctx, c);
    const body = await readBody(c);
    const hostname = servableHostname(body.hostname, "hostname");
    const ssl = validSsl(body.ssl);
    if (findCustomHostname(store, hostname)) throw new ApiError(409, Codes.CUSTOM_HOSTNAME_EXISTS, "Duplicate custom hostname found.");
    // A hostname of another account's zone stays that account's: a custom hostname would take its requests.
    const owner = Object.values(store.state.zones).find((z) => z.account !== zone.account && inZone(hostname, z.name));
    if (owner) throw new ApiError(409, Codes.CUSTOM_HOSTNAME_EXISTS, `${hostname} belongs to ${owner.name}, a zone of another account.`);
    const ch: CustomHostnameRecord = {
      id: randomUUID(),
      hostname,
      status: "pending",
      created_at: timestamp(),
      ssl: { id: randomUUID(), ...ssl, status: "pending_validation" },
      ownership_token: randomUUID(),
      dcv_token: newTag(),
    };
    const metadata = validMetadata(body.custom_metadata);
    if (metadata) ch.custom_metadata = metadata;
    if (typeof body.custom_origin_server === "string" && body.custom_origin_server !== "")
      ch.custom_origin_server = validHostname(body.custom_origin_server, "custom_origin_server");
    zone.custom_hostnames[ch.id] = ch;
    store.touch();
    return c.json(okEnvelope(customHostnameObject(ch)));
  });

  r.get(base, (c) => {
    const zone = requireZone(ctx, c);
    const hostname = c.req.query("hostname")?.toLowerCase();
    const id = c.req.query("id");
    const list = Object.values(zone.custom_hostnames)
      .filter((ch) => (hostname === undefined || ch.hostname === hostname) && (id === undefined || ch.id === id))
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.hostname.localeCompare(b.hostname));
    const { page, info } = paginate(c, list, 20, 50);
    return c.json(okEnvelope(page.map(customHostnameObject), info));
  });

  const requireCustomHostname = (c: C): { zone: Zone; ch: CustomHostnameRecord } => {
    const zone = requireZone(ctx, c);
    const ch = zone.custom_hostnames[c.req.param("custom_hostname_id") ?? ""];
    if (!ch) throw new ApiError(404, Codes.CUSTOM_HOSTNAME_NOT_FOUND, "The custom hostname was not found.");
    return { zone, ch };
  };

  r.get(`${base}/:custom_hostname_id`, (c) => c.json(okEnvelope(customHostnameObject(requireCustomHostname(c).ch))));

  r.patch(`${base}/:custom_hostname_id`, async (c) => {
    const { ch } = requireCustomHostname(c);
    const body = await readBody(c);
    if (body.hostname !== undefined && body.hostname !== ch.hostname) throw invalidRequest("hostname cannot be changed");
    if (body.ssl !== undefined) {
      const ssl = validSsl(body.ssl);
      // A new validation method restarts certificate validation.
      if (ssl.method !== ch.ssl.method) ch.ssl.status = "pending_validation";
      Object.assign(ch.ssl, ssl);
    }
    if (body.custom_metadata !== undefined) {
      const metadata = validMetadata(body.custom_metadata);
      if (metadata) ch.custom_metadata = metadata;
      else delete ch.custom_metadata;
    }
    for (const key of ["custom_origin_server", "custom_origin_sni"] as const) {
      if (body[key] === undefined) continue;
      if (body[key] === null || body[key] === "") delete ch[key];
      else ch[key] = validHostname(body[key], key);
    }
    store.touch();
    return c.json(okEnvelope(customHostnameObject(ch)));
  });

  r.delete(`${base}/:custom_hostname_id`, (c) => {
    const { zone, ch } = requireCustomHostname(c);
    delete zone.custom_hostnames[ch.id];
    store.touch();
    return c.json({ ...okEnvelope({ id: ch.id }), id: ch.id });
  });

  return r;
}
