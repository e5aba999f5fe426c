"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.isLoopbackHost = isLoopbackHost;
exports.loopbackOnly = loopbackOnly;
exports.refuseForeignOrigin = refuseForeignOrigin;
const errors_1 = require("./errors");
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** `localhost`, `127.0.0.1` or `[::1]`, with any port or none. */
function isLoopbackHost(host) {
    if (!host)
        return false;
    const m = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(host.trim().toLowerCase());
    return m !== null && LOOPBACK_HOSTS.has(m[1]);
}
/** The request carries an Origin that is not a loopback one (`null` included). */
function foreignOrigin(c) {
    const origin = c.req.header("origin");
    if (origin === undefined)
        return false;
    try {
        return !isLoopbackHost(new URL(origin).host);
    }
    catch {
        return true;
    }
}
function loopbackOnly() {
    return async function loopbackOnlyMw(c, next) {
        // In process (`app.request()`) there is no Host header: the URL's host stands for it.
        const host = c.req.header("host") ?? new URL(c.req.url).host;
        if (!isLoopbackHost(host) || foreignOrigin(c))
            return c.json({ error: "operator endpoints answer only loopback requests (Host and Origin: localhost, 127.0.0.1 or [::1])" }, 403);
        return next();
    };
}
function refuseForeignOrigin() {
    return async function refuseForeignOriginMw(c, next) {
        if (foreignOrigin(c))
            throw new errors_1.ApiError(403, errors_1.Codes.AUTH_ERROR, "Authentication error: requests from a web page of another origin are refused");
        return next();
    };
}
