"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.splitPattern = splitPattern;
exports.workerRouteRoutes = workerRouteRoutes;
/**
 * @module
 * A zone's Worker routes: `/zones/{zone}/workers/routes[/{id}]`. A pattern is `host/path` with an optional scheme,
 * a leading `*` on the host and a trailing `*` on the path; its host must be the zone's or under it, except `*`/`*`,
 * which a Cloudflare for SaaS zone uses to send every custom hostname to one Worker (the dispatcher). How a request
 * matches a route is the runtime's (`patternMatches` in runtime/workers/front.mts).
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const store_1 = require("../store");
const common_1 = require("./common");
const zones_1 = require("./zones");
/** The host and path of a pattern, its scheme dropped. */
function splitPattern(pattern) {
    const bare = pattern.replace(/^https?:\/\//i, "");
    const slash = bare.indexOf("/");
    return slash < 0 ? { host: bare.toLowerCase(), path: "" } : { host: bare.slice(0, slash).toLowerCase(), path: bare.slice(slash) };
}
function validPattern(zone, value) {
    if (typeof value !== "string" || value.trim() === "")
        throw (0, errors_1.invalidRequest)("pattern is required");
    const { host, path } = splitPattern(value);
    const bareHost = host.replace(/^\*\.?/, "");
    if (host === "*" && path.startsWith("/"))
        return value;
    if (!path.startsWith("/") || !(host === `*${zone.name}` || (0, zones_1.inZone)(bareHost, zone.name)))
        throw new errors_1.ApiError(400, errors_1.Codes.ROUTE_PATTERN_INVALID, `Route pattern must include zone name: ${value}`);
    return value;
}
function validScript(ctx, zone, value) {
    if (value === undefined || value === null || value === "")
        return undefined;
    if (typeof value !== "string" || !ctx.store.state.accounts[zone.account]?.workers?.scripts[value])
        throw new errors_1.ApiError(400, errors_1.Codes.ROUTE_SCRIPT_NOT_FOUND, "Cannot configure a route for a Worker which does not exist. Please ensure this Worker exists and try again.");
    return value;
}
const routeObject = (r) => ({ id: r.id, pattern: r.pattern, ...(r.script !== undefined ? { script: r.script } : {}) });
function workerRouteRoutes(ctx) {
    const r = new hono_1.Hono();
    const { store } = ctx;
    const requireRoute = (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        const route = zone.routes[c.req.param("route_id") ?? ""];
        if (!route)
            throw new errors_1.ApiError(404, errors_1.Codes.ROUTE_NOT_FOUND, "Route not found");
        return { zone, route };
    };
    const assertFree = (zone, pattern, except) => {
        if (Object.values(zone.routes).some((x) => x !== except && x.pattern === pattern))
            throw new errors_1.ApiError(409, errors_1.Codes.ROUTE_EXISTS, `A route with the same pattern already exists: ${pattern}`);
    };
    const readBody = async (c) => {
        const body = await (0, common_1.readJson)(c);
        if (!(0, common_1.isObject)(body))
            throw (0, errors_1.invalidRequest)("request body must be a JSON object");
        return body;
    };
    r.post("/zones/:zone_id/workers/routes", async (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        const body = await readBody(c);
        const pattern = validPattern(zone, body.pattern);
        const script = validScript(ctx, zone, body.script);
        assertFree(zone, pattern);
        const route = { id: (0, store_1.newTag)(), pattern, ...(script !== undefined ? { script } : {}) };
        zone.routes[route.id] = route;
        store.touch();
        return c.json((0, errors_1.okEnvelope)(routeObject(route)));
    });
    r.get("/zones/:zone_id/workers/routes", (c) => {
        const zone = (0, zones_1.requireZone)(ctx, c);
        return c.json((0, errors_1.okEnvelope)(Object.values(zone.routes).map(routeObject)));
    });
    r.get("/zones/:zone_id/workers/routes/:route_id", (c) => c.json((0, errors_1.okEnvelope)(routeObject(requireRoute(c).route))));
    r.put("/zones/:zone_id/workers/routes/:route_id", async (c) => {
        const { zone, route } = requireRoute(c);
        const body = await readBody(c);
        const pattern = validPattern(zone, body.pattern);
        const script = validScript(ctx, zone, body.script);
        assertFree(zone, pattern, route);
        route.pattern = pattern;
        if (script === undefined)
            delete route.script;
        else
            route.script = script;
        store.touch();
        return c.json((0, errors_1.okEnvelope)(routeObject(route)));
    });
    r.delete("/zones/:zone_id/workers/routes/:route_id", (c) => {
        const { zone, route } = requireRoute(c);
        delete zone.routes[route.id];
        store.touch();
        return c.json((0, errors_1.okEnvelope)({ id: route.id }));
    });
    return r;
}
