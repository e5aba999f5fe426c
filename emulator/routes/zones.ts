/**
 * @module
 * Zones, as far as custom domains, routes and custom hostnames need them: create (`POST /zones`), list with the
 * `name` and `account.id` filters, and `GET /zones/{id}`. Any token of the emulator sees every zone, as it does
 * every account. An unknown zone id is Cloudflare's 7003 "could not route".
 */
import type { ZoneObject } from "../../cloudflare/wire";
import { Hono } from "hono";
import { ApiError, Codes, invalidRequest, noRoute, okEnvelope } from "../model/errors";
import { ACCOUNT_ID_RE } from "../../cloudflare/names";
import type { AppEnv, EmulatorContext } from "../context";
import { dict, newTag, timestamp, type Zone } from "../model/store";
import { readJson, type C } from "./common";
import { isObject } from "../model/validate";

/** A DNS name: labels of letters, digits and dashes, at least two of them. */
const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A hostname as the API keeps it (lowercase, no trailing dot), or a 10001 naming the field. */
export function validHostname(value: unknown, field: string): string {
  const h = typeof value === "string" ? value.toLowerCase().replace(/\.$/, "") : "";
  if (!HOSTNAME_RE.test(h)) throw invalidRequest(`${field} must be a hostname such as shop.example.com (got ${JSON.stringify(value)})`);
  return h;
}

/** Names the workers port gives the workers.dev Workers by (`<worker>.localhost`, `<worker>.<sub>.workers.dev`). */
const WORKERS_DEV_SUFFIXES = ["localhost", "workers.dev"];

/**
 * A hostname a zone or custom hostname may have (validHostname), not one under `localhost` or `workers.dev`: the
 * workers port reaches each account's workers.dev Workers by those, and a zone or custom hostname comes first in its
 * host matching. Cloudflare has no zone there either (neither is a registered domain of an account). [I] 10001.
 */
export function servableHostname(value: unknown, field: string): string {
  const h = validHostname(value, field);
  const reserved = WORKERS_DEV_SUFFIXES.find((suffix) => inZone(h, suffix));
  if (reserved)
    throw invalidRequest(
      `${field} ${h} is not a registered domain: names under ${reserved} are the workers.dev hosts of the accounts' Workers`,
    );
  return h;
}

/** Whether a hostname is the zone's apex or under it. */
export function inZone(hostname: string, zone: string): boolean {
  return hostname === zone || hostname.endsWith(`.${zone}`);
}

export function zoneObject(z: Zone): ZoneObject & Record<string, unknown> {
  return {
    id: z.id,
    name: z.name,
    account: { id: z.account, name: z.account },
    status: "active",
    paused: false,
    type: "full",
    development_mode: 0,
    name_servers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
    original_name_servers: null,
    created_on: z.created_on,
    modified_on: z.modified_on,
    activated_on: z.created_on,
    plan: { id: "enterprise", name: "Enterprise Website" },
  };
}

/** The zone the path's `:zone_id` names; 7003 for an unknown one. */
export function requireZone(ctx: EmulatorContext, c: C): Zone {
  const zone = ctx.store.zone(c.req.param("zone_id") ?? "");
  if (!zone) throw noRoute(new URL(c.req.url).pathname.replace(/^\/client\/v4/, ""));
  return zone;
}

/** A page of `items` by `page`/`per_page`, with Cloudflare's `result_info`. */
export function paginate<T>(c: C, items: T[], defaultPerPage: number, maxPerPage: number): { page: T[]; info: Record<string, number> } {
  const num = (raw: string | undefined, fallback: number) => {
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw invalidRequest(`page and per_page must be positive integers (got ${JSON.stringify(raw)})`);
    return n;
  };
  const perPage = Math.min(num(c.req.query("per_page"), defaultPerPage), maxPerPage);
  const page = num(c.req.query("page"), 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const info = { page, per_page: perPage, count: slice.length, total_count: items.length, total_pages: Math.ceil(items.length / perPage) };
  return { page: slice, info };
}

export function zoneRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;

  r.post("/zones", async (c) => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
    const account = isObject(body.account) ? body.account.id : undefined;
    if (typeof account !== "string" || !ACCOUNT_ID_RE.test(account))
      throw invalidRequest("account.id must be an account id (32 hex characters)");
    const name = servableHostname(body.name, "name");
    if (store.findZone(account, name)) throw new ApiError(400, Codes.ZONE_EXISTS, `${name} already exists`);
    // A hostname belongs to one account: not a zone another account has, nor one under it (the longer zone would
    // take its hosts' requests).
    const taken = Object.values(store.state.zones).find((z) => z.account !== account.toLowerCase() && inZone(name, z.name));
    if (taken)
      throw new ApiError(
        400,
        Codes.ZONE_EXISTS,
        taken.name === name ? `${name} already exists` : `${name} already exists: it is under ${taken.name}, a zone of another account`,
      );
    const now = timestamp();
    const zone: Zone = {
      id: newTag(),
      name,
      account: account.toLowerCase(),
      created_on: now,
      modified_on: now,
      routes: dict(),
      custom_hostnames: dict(),
    };
    store.state.zones[zone.id] = zone;
    store.touch();
    return c.json(okEnvelope(zoneObject(zone)));
  });

  r.get("/zones", (c) => {
    const name = c.req.query("name")?.toLowerCase();
    const account = c.req.query("account.id")?.toLowerCase();
    const zones = Object.values(store.state.zones)
      .filter((z) => (name === undefined || z.name === name) && (account === undefined || z.account === account))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { page, info } = paginate(c, zones, 20, 50);
    return c.json(okEnvelope(page.map(zoneObject), info));
  });

  r.get("/zones/:zone_id", (c) => c.json(okEnvelope(zoneObject(requireZone(ctx, c)))));

  return r;
}
