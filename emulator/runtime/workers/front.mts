/**
 * @module
 * The Worker behind the workers port: picks the account-level Worker by Host, drops internal headers an outside
 * request may carry, and gives the request the placeholder `cf` object. `__WFP_PUBLIC` lists the Workers it can
 * reach with the service binding of each (`dev`: on workers.dev); `__WFP_HOSTS` the custom domains, zone routes,
 * active custom hostnames and fallback origins; `__WFP_CF` is the placeholder.
 */
import { type Fetcher, stripInternal, textResponse } from "./internal.mjs";

/**
 * Which workers.dev Worker a hostname reaches, or undefined. A name that Workers of two accounts have is neither's:
 * the host carries no account (Cloudflare's carries the account's subdomain), so no account takes another's.
 */
export function pickWorker<W extends { script: string; dev?: boolean }>(hostname: string, all: W[]): W | undefined {
  const workers = all.filter((w) => w.dev !== false);
  const h = hostname.toLowerCase().replace(/\.$/, "");
  const only = (found: W[]) => (found.length === 1 ? found[0] : undefined);
  // `<worker>.localhost` and anything under it; Cloudflare's own `<worker>.<subdomain>.workers.dev`.
  const named = workers.filter((w) => h === `${w.script}.localhost` || h.endsWith(`.${w.script}.localhost`));
  if (named.length > 0) return only(named);
  const dev = /^([^.]+)\.[^.]+\.workers\.dev$/.exec(h);
  if (dev) return only(workers.filter((w) => w.script === dev[1]));
  // With a single public Worker, every other host is its: `acme.localhost` reaches the dispatcher as is.
  return workers.length === 1 ? workers[0] : undefined;
}

/** Hostnames served by Workers, each target a binding of `__WFP_PUBLIC` (a route without one turns Workers off). */
export interface HostTable {
  domains: Array<{ hostname: string; binding: string }>;
  zones: Array<{
    name: string;
    /** No binding: the route turns Workers off, or names a Worker (`missing`) that is not deployed. */
    routes: Array<{ pattern: string; binding?: string; missing?: string }>;
    active: string[];
    pending: string[];
    fallbackOrigin?: string;
  }>;
}

/** Whether a route pattern matches: a `*` prefix on the host (`*` alone: any host), a `*` suffix on the path. */
export function patternMatches(pattern: string, hostname: string, pathname: string): boolean {
  const bare = pattern.replace(/^https?:\/\//i, "");
  const slash = bare.indexOf("/");
  const host = (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase();
  const path = slash < 0 ? "/*" : bare.slice(slash);
  const hostOk = host === "*" || (host.startsWith("*") ? hostname.endsWith(host.slice(1)) : hostname === host);
  if (!hostOk) return false;
  return path.endsWith("*") ? pathname.startsWith(path.slice(0, -1)) : pathname === path;
}

/** The most specific route first: an exact host before a wildcard, then the longer pattern. */
function bySpecificity(a: { pattern: string }, b: { pattern: string }): number {
  const wild = (p: string) => (p.replace(/^https?:\/\//i, "").startsWith("*") ? 1 : 0);
  return wild(a.pattern) - wild(b.pattern) || b.pattern.length - a.pattern.length;
}

type HostPick = { binding: string } | { none: string } | undefined;

/**
 * Where a request for `hostname` goes, as on Cloudflare: a custom domain; else the zone that has it as a custom
 * hostname (pending: refused); else the longest zone the host is in. In that zone the most specific route; else,
 * for a custom hostname, whatever serves the zone's fallback origin. Undefined when no zone knows the host. The API
 * keeps a hostname to one account (zone names, zones under another account's, custom hostnames), so this order
 * never hands one account's host to another.
 */
export function pickByHost(hostname: string, pathname: string, table: HostTable): HostPick {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  const domain = table.domains.find((d) => d.hostname === h);
  if (domain) return { binding: domain.binding };
  const custom = table.zones.find((z) => z.active.includes(h) || z.pending.includes(h));
  if (custom?.pending.includes(h))
    return { none: `custom hostname "${h}" is pending validation (POST /__emulator/custom-hostnames/${h}/activate)` };
  // Zones come longest name first (a host under a subdomain zone belongs to it).
  const zone = custom ?? table.zones.find((z) => h === z.name || h.endsWith(`.${z.name}`));
  if (zone) {
    const own = custom === undefined;
    const route = [...zone.routes].sort(bySpecificity).find((r) => patternMatches(r.pattern, h, pathname));
    if (route?.binding) return { binding: route.binding };
    if (route?.missing) return { none: `route "${route.pattern}" names Worker "${route.missing}", which is not deployed` };
    if (route) return { none: `route "${route.pattern}" runs no Worker` };
    if (!own && zone.fallbackOrigin && zone.fallbackOrigin !== h) {
      const origin = pickByHost(zone.fallbackOrigin, pathname, { ...table, zones: [zone] });
      if (origin) return origin;
    }
    return { none: `no route or custom domain of zone ${zone.name} serves "${h}"` };
  }
  return undefined;
}

interface FrontEnv {
  __WFP_PUBLIC: Array<{ script: string; binding: string; dev: boolean }>;
  __WFP_HOSTS: HostTable;
  __WFP_CF: unknown;
  [binding: string]: unknown;
}

export default {
  fetch(request: Request, env: FrontEnv): Promise<Response> | Response {
    const url = new URL(request.url);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const byHost = pickByHost(hostname, url.pathname, env.__WFP_HOSTS);
    if (byHost && "none" in byHost) return textResponse(byHost.none, 404);
    const binding = byHost?.binding ?? pickWorker(hostname, env.__WFP_PUBLIC)?.binding;
    if (!binding) {
      const names =
        env.__WFP_PUBLIC
          .filter((w) => w.dev)
          .map((w) => `${w.script}.localhost`)
          .join(", ") || "none deployed";
      return textResponse(`no Worker with workers.dev on for host "${hostname}" (Workers: ${names})`, 404);
    }
    const clean = stripInternal(request);
    return (env[binding] as Fetcher).fetch(new Request(clean, { cf: env.__WFP_CF } as RequestInit));
  },
};
