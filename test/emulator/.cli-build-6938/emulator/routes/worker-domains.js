"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.workerDomainRoutes = workerDomainRoutes;
/**
 * @module
 * Workers custom domains: `PUT/GET /accounts/{account}/workers/domains`, `GET/DELETE .../domains/{id}`. A PUT
 * attaches a hostname of one of the account's zones to an account-level Worker; a hostname already attached is
 * moved to the Worker the PUT names (Cloudflare's PUT is an upsert by hostname), keeping its id.
 */
const node_crypto_1 = require("node:crypto");
const hono_1 = require("hono");
const errors_1 = require("../errors");
const store_1 = require("../store");
const common_1 = require("./common");
const zones_1 = require("./zones");
const domainObject = (d) => ({ ...d });
function workerDomainRoutes(ctx) {
    const r = new hono_1.Hono();
    const { store } = ctx;
    const zoneFor = (c, body, hostname) => {
        const acc = (0, common_1.accountId)(c);
        let zone;
        if (typeof body.zone_id === "string" && body.zone_id !== "")
            zone = store.zone(body.zone_id);
        else if (typeof body.zone_name === "string" && body.zone_name !== "")
            zone = store.findZone(acc, body.zone_name.toLowerCase());
        else
            zone = Object.values(store.state.zones).find((z) => z.account === acc && (0, zones_1.inZone)(hostname, z.name));
        if (!zone || zone.account !== acc)
            throw (0, errors_1.invalidRequest)(`no zone of this account for ${hostname}: give zone_id or zone_name of a zone you own`);
        if (!(0, zones_1.inZone)(hostname, zone.name))
            throw new errors_1.ApiError(400, errors_1.Codes.DOMAIN_NOT_IN_ZONE, `Hostname ${hostname} is not in zone ${zone.name}`);
        return zone;
    };
    r.put("/domains", async (c) => {
        const body = await (0, common_1.readJson)(c);
        if (!(0, common_1.isObject)(body))
            throw (0, errors_1.invalidRequest)("request body must be a JSON object");
        const hostname = (0, zones_1.validHostname)(body.hostname, "hostname");
        if (typeof body.service !== "string" || !store.state.accounts[(0, common_1.accountId)(c)]?.workers?.scripts[body.service])
            throw new errors_1.ApiError(404, errors_1.Codes.SCRIPT_NOT_FOUND, "workers.api.error.script_not_found");
        const environment = typeof body.environment === "string" && body.environment !== "" ? body.environment : "production";
        const zone = zoneFor(c, body, hostname);
        const domains = store.accountDomains((0, common_1.accountId)(c));
        const existing = Object.values(domains).find((d) => d.hostname === hostname);
        const domain = existing ?? {
            id: (0, store_1.newTag)(),
            hostname,
            service: body.service,
            environment,
            zone_id: zone.id,
            zone_name: zone.name,
            cert_id: (0, node_crypto_1.randomUUID)(),
        };
        Object.assign(domain, { service: body.service, environment, zone_id: zone.id, zone_name: zone.name });
        domains[domain.id] = domain;
        store.touch();
        return c.json((0, errors_1.okEnvelope)(domainObject(domain)));
    });
    r.get("/domains", (c) => {
        const filters = ["hostname", "service", "zone_id", "zone_name", "environment"];
        const wanted = filters.map((k) => [k, c.req.query(k)]).filter(([, v]) => v !== undefined && v !== "");
        const list = Object.values(store.state.accounts[(0, common_1.accountId)(c)]?.domains ?? {})
            .filter((d) => wanted.every(([k, v]) => d[k] === (k === "hostname" || k === "zone_name" ? v.toLowerCase() : v)))
            .sort((a, b) => a.hostname.localeCompare(b.hostname));
        return c.json((0, errors_1.okEnvelope)(list.map(domainObject)));
    });
    const requireDomain = (c) => {
        const d = store.state.accounts[(0, common_1.accountId)(c)]?.domains?.[c.req.param("domain_id") ?? ""];
        if (!d)
            throw new errors_1.ApiError(404, errors_1.Codes.DOMAIN_NOT_FOUND, "Domain not found");
        return d;
    };
    r.get("/domains/:domain_id", (c) => c.json((0, errors_1.okEnvelope)(domainObject(requireDomain(c)))));
    r.delete("/domains/:domain_id", (c) => {
        const d = requireDomain(c);
        delete store.accountDomains((0, common_1.accountId)(c))[d.id];
        store.touch();
        return c.json((0, errors_1.okEnvelope)(null));
    });
    return r;
}
