/**
 * @module
 * What a web page the user opens must not reach. The operator endpoints (no auth, and one wipes everything) answer
 * only loopback callers: a peer on loopback (with `--host 0.0.0.0` any client can send `Host: localhost`), and a
 * loopback Host and Origin (a DNS-rebinding page sends its own name as Host, a cross-origin page a foreign Origin). The
 * API answers any Host (containers, `--host 0.0.0.0`), since it needs a token, but refuses a browser's request from
 * a foreign origin: the default token is well known, and the SDK and wrangler send no Origin.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context";
import { ApiError, Codes } from "./model/errors";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `localhost`, `127.0.0.1` or `[::1]`, with any port or none. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(host.trim().toLowerCase());
  return m !== null && LOOPBACK_HOSTS.has(m[1]!);
}

/** 127.0.0.0/8 or ::1, IPv4-mapped or not. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.toLowerCase().replace(/^::ffff:/, "");
  return address === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The request carries an Origin that is not a loopback one (`null` included). */
function foreignOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin === undefined) return false;
  try {
    return !isLoopbackHost(new URL(origin).host);
  } catch {
    return true;
  }
}

export function loopbackOnly(): MiddlewareHandler<AppEnv> {
  return async function loopbackOnlyMw(c, next) {
    // In process (`app.request()`) there is no Host header: the URL's host stands for it.
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    // In process there is no socket either.
    const peer = c.env?.incoming?.socket.remoteAddress;
    if ((peer !== undefined && !isLoopbackAddress(peer)) || !isLoopbackHost(host) || foreignOrigin(c))
      return c.json(
        {
          error:
            "operator endpoints answer only loopback requests (from a loopback address, Host and Origin: localhost, 127.0.0.1 or [::1])",
        },
        403,
      );
    return next();
  };
}

export function refuseForeignOrigin(): MiddlewareHandler<AppEnv> {
  return async function refuseForeignOriginMw(c, next) {
    if (foreignOrigin(c))
      throw new ApiError(403, Codes.AUTH_ERROR, "Authentication error: requests from a web page of another origin are refused");
    return next();
  };
}
