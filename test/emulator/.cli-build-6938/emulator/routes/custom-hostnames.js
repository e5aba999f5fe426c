"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.customHostnameObject = customHostnameObject;
exports.findCustomHostname = findCustomHostname;
exports.activateCustomHostname = activateCustomHostname;
exports.customHostnameRoutes = customHostnameRoutes;
/**
 * @module
 * Cloudflare for SaaS: `/zones/{zone}/custom_hostnames[/{id}]` and the zone's `fallback_origin`. A new custom
 * hostname is `pending` with ownership (TXT) and certificate validation records to hand the customer; nothing here
 * checks DNS, so it turns `active` only through the operator endpoint ({@link activateCustomHostname}). A hostname
 * belongs to one zone at most (1406 otherwise, across every zone).
 */
const node_crypto_1 = require("node:crypto");
const hono_1 = require("hono");
const errors_1 = require("../errors");
const store_1 = require("../store");
const common_1 = require("./common");
const zones_1 = require("./zones");
const SSL_METHODS = ["http", "txt", "email"];
function customHostnameObject(ch) {
    const active = ch.status === "active";
    const ssl = {
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
    const out = { id: ch.id, hostname: ch.hostname, ssl, status: ch.status, created_at: ch.created_at };
    if (!active) {
        out.ownership_verification = { type: "txt", name: `_cf-custom-hostname.${ch.hostname}`, value: ch.ownership_token };
        out.ownership_verification_http = {
            http_url: `http://${ch.hostname}/.well-known/cf-custom-hostname-challenge/${ch.id}`,
            http_body: ch.ownership_token,
        };
        out.verification_errors = ["custom hostname does not CNAME to this zone."];
    }
    if (ch.custom_metadata)
        out.custom_metadata = ch.custom_metadata;
    if (ch.custom_origin_server)
        out.custom_origin_server = ch.custom_origin_server;
    if (ch.custom_origin_sni)
        out.custom_origin_sni = ch.custom_origin_sni;
    return out;
}
/** The custom hostname record named `hostname`, with its zone. */
function findCustomHostname(store, hostname) {
    for (const zone of Object.values(store.state.zones))
        for (const ch of Object.values(zone.custom_hostnames))
            if (ch.hostname === hostname)
                return { zone, ch };
    return undefined;
}
/** Operator: the hostname's ownership and certificate validated, as if its DNS were in place. False when unknown. */
function activateCustomHostname(store, hostname) {
    const found = findCustomHostname(store, hostname.toLowerCase());
    if (!found)
        return false;
    found.ch.status = "active";
    found.ch.ssl.status = "active";
    store.touch();
    return true;
}
function validSsl(value) {
    if (!(0, common_1.isObject)(value))
        throw (0, errors_1.invalidRequest)('ssl is required: { "method": "http" | "txt" | "email", "type": "dv" }');
    const method = value.method ?? "http";
    if (typeof method !== "string" || !SSL_METHODS.includes(method))
        throw (0, errors_1.invalidRequest)(`ssl.method must be one of ${SSL_METHODS.join(", ")} (got ${JSON.stringify(value.method)})`);
    const type = value.type ?? "dv";
    if (type !== "dv")
        throw (0, errors_1.invalidRequest)(`ssl.type must be "dv" (got ${JSON.stringify(value.type)})`);
    return { method, type, settings: (0, common_1.isObject)(value.settings) ? { ...value.settings } : {} };
}
function validMetadata(value) {
    if (value === undefined || value === null)
        return undefined;
    if (!(0, common_1.isObject)(value) || Object.values(value).some((v) => typeof v !== "string"))
        throw (0, errors_1.invalidRequest)("custom_metadata must be an object of string values");
    return (0, store_1.dict)(value);
}
function customHostnameRoutes(ctx) {
    const r = new hono_1.Hono();
    const { store } = ctx;
    const base = "/zones/:zone_id/custom_hostnames";
    const readBody = async (c) => {
        const body = await (0, common_1.readJson)(c);
        if (!(0, common_1.isObject)(body))
            throw (0, errors_1.invalidRequest)("request body must be a JSON object");
        return body;
    };
    // The fallback origin first: its path would otherwise read as a custom hostname id.
    r.get(`${base}/fallback_origin`, (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        if (!zone.fallback_origin)
            throw new errors_1.ApiError(404, errors_1.Codes.RESOURCE_NOT_FOUND, "Resource not found");
        return c.json((0, errors_1.okEnvelope)({ ...zone.fallback_origin, errors: [] }));
    });
    r.put(`${base}/fallback_origin`, async (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        const origin = (0, zones_1.validHostname)((await readBody(c)).origin, "origin");
        if (!(0, zones_1.inZone)(origin, zone.name))
            throw (0, errors_1.invalidRequest)(`origin must be a hostname of the zone ${zone.name} (got ${origin})`);
        const now = (0, store_1.timestamp)();
        zone.fallback_origin = { origin, status: "active", created_at: zone.fallback_origin?.created_at ?? now, updated_at: now };
        store.touch();
        return c.json((0, errors_1.okEnvelope)({ ...zone.fallback_origin, errors: [] }));
    });
    r.delete(`${base}/fallback_origin`, (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        if (!zone.fallback_origin)
            throw new errors_1.ApiError(404, errors_1.Codes.RESOURCE_NOT_FOUND, "Resource not found");
        const gone = zone.fallback_origin;
        delete zone.fallback_origin;
        store.touch();
        return c.json((0, errors_1.okEnvelope)({ ...gone, status: "pending_deletion", errors: [] }));
    });
    r.post(base, async (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        const body = await readBody(c);
        const hostname = (0, zones_1.validHostname)(body.hostname, "hostname");
        const ssl = validSsl(body.ssl);
        if (findCustomHostname(store, hostname))
            throw new errors_1.ApiError(409, errors_1.Codes.CUSTOM_HOSTNAME_EXISTS, "Duplicate custom hostname found.");
        const ch = {
            id: (0, node_crypto_1.randomUUID)(),
            hostname,
            status: "pending",
            created_at: (0, store_1.timestamp)(),
            ssl: { id: (0, node_crypto_1.randomUUID)(), ...ssl, status: "pending_validation" },
            ownership_token: (0, node_crypto_1.randomUUID)(),
            dcv_token: (0, store_1.newTag)(),
        };
        const metadata = validMetadata(body.custom_metadata);
        if (metadata)
            ch.custom_metadata = metadata;
        if (typeof body.custom_origin_server === "string" && body.custom_origin_server !== "")
            ch.custom_origin_server = (0, zones_1.validHostname)(body.custom_origin_server, "custom_origin_server");
        zone.custom_hostnames[ch.id] = ch;
        store.touch();
        return c.json((0, errors_1.okEnvelope)(customHostnameObject(ch)));
    });
    r.get(base, (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        const hostname = c.req.query("hostname")?.toLowerCase();
        const id = c.req.query("id");
        const list = Object.values(zone.custom_hostnames)
            .filter((ch) => (hostname === undefined || ch.hostname === hostname) && (id === undefined || ch.id === id))
            .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.hostname.localeCompare(b.hostname));
        const { page, info } = (0, zones_1.paginate)(c, list, 20, 50);
        return c.json((0, errors_1.okEnvelope)(page.map(customHostnameObject), info));
    });
    const requireCustomHostname = (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        const ch = zone.custom_hostnames[c.req.param("custom_hostname_id") ?? ""];
        if (!ch)
            throw new errors_1.ApiError(404, errors_1.Codes.CUSTOM_HOSTNAME_NOT_FOUND, "The custom hostname was not found.");
        return { zone, ch };
    };
    r.get(`${base}/:custom_hostname_id`, (c) => c.json((0, errors_1.okEnvelope)(customHostnameObject(requireCustomHostname(c).ch))));
    r.patch(`${base}/:custom_hostname_id`, async (c) => {
        const { ch } = requireCustomHostname(c);
        const body = await readBody(c);
        if (body.hostname !== undefined && body.hostname !== ch.hostname)
            throw (0, errors_1.invalidRequest)("hostname cannot be changed");
        if (body.ssl !== undefined) {
            const ssl = validSsl(body.ssl);
            // A new validation method restarts certificate validation.
            if (ssl.method !== ch.ssl.method)
                ch.ssl.status = "pending_validation";
            Object.assign(ch.ssl, ssl);
        }
        if (body.custom_metadata !== undefined) {
            const metadata = validMetadata(body.custom_metadata);
            if (metadata)
                ch.custom_metadata = metadata;
            else
                delete ch.custom_metadata;
        }
        for (const key of ["custom_origin_server", "custom_origin_sni"]) {
            if (body[key] === undefined)
                continue;
            if (body[key] === null || body[key] === "")
                delete ch[key];
            else
                ch[key] = (0, zones_1.validHostname)(body[key], key);
        }
        store.touch();
        return c.json((0, errors_1.okEnvelope)(customHostnameObject(ch)));
    });
    r.delete(`${base}/:custom_hostname_id`, (c) => {
        const { zone, ch } = requireCustomHostname(c);
        delete zone.custom_hostnames[ch.id];
        store.touch();
        return c.json({ ...(0, errors_1.okEnvelope)({ id: ch.id }), id: ch.id });
    });
    return r;
}
