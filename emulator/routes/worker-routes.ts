/**
 * @module
 * A zone's Worker routes: `/zones/{zone}/workers/routes[/{id}]`. A pattern is `host/path` with an optional scheme,
 * a leading `*` on the host and a trailing `*` on the path; its host must be the zone's or under it, except `*`/`*`,
 * which a Cloudflare for SaaS zone uses to send every custom hostname to one Worker (the dispatcher). How a request
 * matches a route is the runtime's (`patternMatches` in runtime/workers/front.mts).
 */
import type { RouteObject } from "../../cloudflare/wire";
import { Hono } from "hono";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import type { AppEnv, EmulatorContext } from "../context";
import { newTag, type WorkerRoute, type Zone } from "../model/store";
import { readJson, type C } from "./common";
import { isObject } from "../model/validate";
import { inZone, requireZone } from "./zones";

/** The host and path of a pattern, its scheme dropped. */
export function splitPattern(pattern: string): { host: string; path: string } {
  const bare = pattern.replace(/^https?:\/\//i, "");
  const slash = bare.indexOf("/");
  return slash < 0 ? { host: bare.toLowerCase(), path: "" } : { host: bare.slice(0, slash).toLowerCase(), path: bare.slice(slash) };
}

function validPattern(zone: Zone, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw invalidRequest("pattern is required");
  const { host, path } = splitPattern(value);
  const bareHost = host.replace(/^\*\.?/, "");
  if (host === "*" && path.startsWith("/")) return value;
  if (!path.startsWith("/") || !(host === `*${zone.name}` || inZone(bareHost, zone.name)))
    throw new ApiError(400, Codes.ROUTE_PATTERN_INVALID, `Route pattern must include zone name: ${value}`);
  return value;
}

function validScript(ctx: EmulatorContext, zone: Zone, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !ctx.store.state.accounts[zone.account]?.workers?.scripts[value])
    throw new ApiError(
      400,
      Codes.ROUTE_SCRIPT_NOT_FOUND,
      "Cannot configure a route for a Worker which does not exist. Please ensure this Worker exists and try again.",
    );
  return value;
}

const routeObject = (r: WorkerRoute): RouteObject => ({
  id: r.id,
  pattern: r.pattern,
  ...(r.script !== undefined ? { script: r.script } : {}),
});

export function workerRouteRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;

  const requireRoute = (c: C): { zone: Zone; route: WorkerRoute } => {
    const zone = requireZone(ctx, c);
    const route = zone.routes[c.req.param("route_id") ?? ""];
    if (!route) throw new ApiError(404, Codes.ROUTE_NOT_FOUND, "Route not found");
    return { zone, route };
  };

  const assertFree = (zone: Zone, pattern: string, except?: WorkerRoute) => {
    if (Object.values(zone.routes).some((x) => x !== except && x.pattern === pattern))
      throw new ApiError(409, Codes.ROUTE_EXISTS, `A route with the same pattern already exists: ${pattern}`);
  };

  const readBody = async (c: C): Promise<Record<string, unknown>> => {
    const body = await readJson(c);
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
    return body;
  };

  r.post("/zones/:zone_id/workers/routes", async (c) => {
    const zone = requireZone(ctx, c);
    const body = await readBody(c);
    const pattern = validPattern(zone, body.pattern);
    const script = validScript(ctx, zone, body.script);
    assertFree(zone, pattern);
    const route: WorkerRoute = { id: newTag(), pattern, ...(script !== undefined ? { script } : {}) };
    zone.routes[route.id] = route;
    store.touch();
    return c.json(okEnvelope(routeObject(route)));
  });

  r.get("/zones/:zone_id/workers/routes", (c) => {
    const zone = requireZone(ctx, c);
    return c.json(okEnvelope(Object.values(zone.routes).map(routeObject)));
  });

  r.get("/zones/:zone_id/workers/routes/:route_id", (c) => c.json(okEnvelope(routeObject(requireRoute(c).route))));

  r.put("/zones/:zone_id/workers/routes/:route_id", async (c) => {
    const { zone, route } = requireRoute(c);
    const body = await readBody(c);
    const pattern = validPattern(zone, body.pattern);
    const script = validScript(ctx, zone, body.script);
    assertFree(zone, pattern, route);
    route.pattern = pattern;
    if (script === undefined) delete route.script;
    else route.script = script;
    store.touch();
    return c.json(okEnvelope(routeObject(route)));
  });

  r.delete("/zones/:zone_id/workers/routes/:route_id", (c) => {
    const { zone, route } = requireRoute(c);
    delete zone.routes[route.id];
    store.touch();
    return c.json(okEnvelope({ id: route.id }));
  });

  return r;
}
