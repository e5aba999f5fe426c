/**
 * @module
 * Workers custom domains: `PUT/GET /accounts/{account}/workers/domains`, `GET/DELETE .../domains/{id}`. A PUT
 * attaches a hostname of one of the account's zones to an account-level Worker; a hostname already attached is
 * moved to the Worker the PUT names (Cloudflare's PUT is an upsert by hostname), keeping its id.
 */
import type { DomainObject } from "../../cloudflare/wire";
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import type { AppEnv, EmulatorContext } from "../context";
import { newTag, type WorkerDomain, type Zone } from "../model/store";
import { accountId, readJson, type C } from "./common";
import { isObject } from "../model/validate";
import { inZone, validHostname } from "./zones";

const domainObject = (d: WorkerDomain): DomainObject => ({ ...d });

export function workerDomainRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;

  const zoneFor = (c: C, body: Record<string, unknown>, hostname: string): Zone => {
    const acc = accountId(c);
    let zone: Zone | undefined;
    if (typeof body.zone_id === "string" && body.zone_id !== "") zone = store.zone(body.zone_id);
    else if (typeof body.zone_name === "string" && body.zone_name !== "") zone = store.findZone(acc, body.zone_name.toLowerCase());
    else zone = Object.values(store.state.zones).find((z) => z.account === acc && inZone(hostname, z.name));
    if (!zone || zone.account !== acc)
      throw invalidRequest(`no zone of this account for ${hostname}: give zone_id or zone_name of a zone you own`);
    if (!inZone(hostname, zone.name)) throw new ApiError(400, Codes.DOMAIN_NOT_IN_ZONE, `Hostname ${hostname} is not in zone ${zone.name}`);
    return zone;
  };

  r.put("/domains", async (c) => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
    const hostname = validHostname(body.hostname, "hostname");
    if (typeof body.service !== "string" || !store.state.accounts[accountId(c)]?.workers?.scripts[body.service])
      throw new ApiError(404, Codes.SCRIPT_NOT_FOUND, "workers.api.error.script_not_found");
    const environment = typeof body.environment === "string" && body.environment !== "" ? body.environment : "production";
    const zone = zoneFor(c, body, hostname);
    const domains = store.accountDomains(accountId(c));
    const existing = Object.values(domains).find((d) => d.hostname === hostname);
    const domain: WorkerDomain = existing ?? {
      id: newTag(),
      hostname,
      service: body.service,
      environment,
      zone_id: zone.id,
      zone_name: zone.name,
      cert_id: randomUUID(),
    };
    Object.assign(domain, { service: body.service, environment, zone_id: zone.id, zone_name: zone.name });
    domains[domain.id] = domain;
    store.touch();
    return c.json(okEnvelope(domainObject(domain)));
  });

  r.get("/domains", (c) => {
    const filters = ["hostname", "service", "zone_id", "zone_name", "environment"] as const;
    const wanted = filters.map((k) => [k, c.req.query(k)] as const).filter(([, v]) => v !== undefined && v !== "");
    const list = Object.values(store.state.accounts[accountId(c)]?.domains ?? {})
      .filter((d) => wanted.every(([k, v]) => d[k] === (k === "hostname" || k === "zone_name" ? v!.toLowerCase() : v)))
      .sort((a, b) => a.hostname.localeCompare(b.hostname));
    return c.json(okEnvelope(list.map(domainObject)));
  });

  const requireDomain = (c: C): WorkerDomain => {
    const d = store.state.accounts[accountId(c)]?.domains?.[c.req.param("domain_id") ?? ""];
    if (!d) throw new ApiError(404, Codes.DOMAIN_NOT_FOUND, "Domain not found");
    return d;
  };

  r.get("/domains/:domain_id", (c) => c.json(okEnvelope(domainObject(requireDomain(c)))));

  r.delete("/domains/:domain_id", (c) => {
    const d = requireDomain(c);
    delete store.accountDomains(accountId(c))[d.id];
    store.touch();
    return c.json(okEnvelope(null));
  });

  return r;
}
