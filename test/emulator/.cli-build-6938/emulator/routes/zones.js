"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.validHostname = validHostname;
exports.inZone = inZone;
exports.zoneObject = zoneObject;
exports.requireZone = requireZone;
exports.paginate = paginate;
exports.zoneRoutes = zoneRoutes;
/**
 * @module
 * Zones, as far as custom domains, routes and custom hostnames need them: create (`POST /zones`), list with the
 * `name` and `account.id` filters, and `GET /zones/{id}`. Any token of the emulator sees every zone, as it does
 * every account. An unknown zone id is Cloudflare's 7003 "could not route".
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const limits_1 = require("../limits");
const store_1 = require("../store");
const common_1 = require("./common");
/** A DNS name: labels of letters, digits and dashes, at least two of them. */
const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A hostname as the API keeps it (lowercase, no trailing dot), or a 10001 naming the field. */
function validHostname(value, field) {
    const h = typeof value === "string" ? value.toLowerCase().replace(/\.$/, "") : "";
    if (!HOSTNAME_RE.test(h))
        throw (0, errors_1.invalidRequest)(`${field} must be a hostname such as shop.example.com (got ${JSON.stringify(value)})`);
    return h;
}
/** Whether a hostname is the zone's apex or under it. */
function inZone(hostname, zone) {
    return hostname === zone || hostname.endsWith(`.${zone}`);
}
function zoneObject(z) {
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
function requireZone(ctx, c) {
    const zone = ctx.store.zone(c.req.param("zone_id") ?? "");
    if (!zone)
        throw (0, errors_1.noRoute)(new URL(c.req.url).pathname.replace(/^\/client\/v4/, ""));
    return zone;
}
/** A page of `items` by `page`/`per_page`, with Cloudflare's `result_info`. */
function paginate(c, items, defaultPerPage, maxPerPage) {
    const num = (raw, fallback) => {
        if (raw === undefined || raw === "")
            return fallback;
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 1)
            throw (0, errors_1.invalidRequest)(`page and per_page must be positive integers (got ${JSON.stringify(raw)})`);
        return n;
    };
    const perPage = Math.min(num(c.req.query("per_page"), defaultPerPage), maxPerPage);
    const page = num(c.req.query("page"), 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const info = { page, per_page: perPage, count: slice.length, total_count: items.length, total_pages: Math.ceil(items.length / perPage) };
    return { page: slice, info };
}
function zoneRoutes(ctx) {
    const r = new hono_1.Hono();
    const { store } = ctx;
    r.post("/zones", async (c) => {
        const body = await (0, common_1.readJson)(c);
        if (!(0, common_1.isObject)(body))
            throw (0, errors_1.invalidRequest)("request body must be a JSON object");
        const account = (0, common_1.isObject)(body.account) ? body.account.id : undefined;
        if (typeof account !== "string" || !limits_1.ACCOUNT_ID_RE.test(account))
            throw (0, errors_1.invalidRequest)("account.id must be an account id (32 hex characters)");
        const name = validHostname(body.name, "name");
        if (store.findZone(account, name))
            throw new errors_1.ApiError(400, errors_1.Codes.ZONE_EXISTS, `${name} already exists`);
        const now = (0, store_1.timestamp)();
        const zone = {
            id: (0, store_1.newTag)(),
            name,
            account: account.toLowerCase(),
            created_on: now,
            modified_on: now,
            routes: (0, store_1.dict)(),
            custom_hostnames: (0, store_1.dict)(),
        };
        store.state.zones[zone.id] = zone;
        store.touch();
        return c.json((0, errors_1.okEnvelope)(zoneObject(zone)));
    });
    r.get("/zones", (c) => {
        const name = c.req.query("name")?.toLowerCase();
        const account = c.req.query("account.id")?.toLowerCase();
        const zones = Object.values(store.state.zones)
            .filter((z) => (name === undefined || z.name === name) && (account === undefined || z.account === account))
            .sort((a, b) => a.name.localeCompare(b.name));
        const { page, info } = paginate(c, zones, 20, 50);
        return c.json((0, errors_1.okEnvelope)(page.map(zoneObject), info));
    });
    r.get("/zones/:zone_id", (c) => c.json((0, errors_1.okEnvelope)(zoneObject(requireZone(ctx, c)))));
    return r;
}
