/**
 * @module
 * What the runtime's Workers share (they run in workerd, loaded from dist/ as ES modules): the internal headers that
 * carry the runtime's state between its Workers, and helpers. Every hop strips the internal headers.
 */
export const INTERNAL_PREFIX = "x-wfp-internal-";
/** Set by a namespace's host on a request to a user Worker: `{l: limits}`. */
export const DISPATCH_HEADER = `${INTERNAL_PREFIX}dispatch`;
/** Set by a namespace's host on a request to an outbound Worker: the outbound params, as JSON. */
export const OUTBOUND_HEADER = `${INTERNAL_PREFIX}outbound`;
/** The runtime's token: an account-level Worker takes outbound params only from a request that carries it. */
export const TOKEN_HEADER = `${INTERNAL_PREFIX}token`;
/** Carries the runtime's token on a request that hands a namespace's host its changed Workers. */
export const CONTROL_HEADER = `${INTERNAL_PREFIX}control`;
/** Set by the dispatch binding: `{name, o: outbound index | null, p: params, l: limits | null}`. */
export const SCRIPT_HEADER = `${INTERNAL_PREFIX}script`;
/** Set by a namespace's host on its answer for a Worker it does not have. */
export const MISSING_HEADER = `${INTERNAL_PREFIX}missing`;
export function stripInternal(request) {
    const names = [...request.headers.keys()].filter((name) => name.startsWith(INTERNAL_PREFIX));
    if (names.length === 0)
        return request;
    const headers = new Headers(request.headers);
    for (const name of names)
        headers.delete(name);
    return new Request(request, { headers });
}
export const textResponse = (body, status) => new Response(`wfp-emulator: ${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
/** The answer of a Worker with bindings the runtime cannot provide, or undefined. */
export function unsupported(list) {
    if (!list || list.length === 0)
        return undefined;
    const what = list.map((b) => `${b.name} (${b.type}${b.reason ? `: ${b.reason}` : ""})`).join(", ");
    return textResponse(`this Worker has bindings the local runtime cannot provide: ${what}`, 500);
}
function decode(b64) {
    const s = atob(b64);
    const u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++)
        u[i] = s.charCodeAt(i);
    return u.buffer;
}
/** The wire form of loader modules as the Worker Loader takes them. */
export function loaderModules(modules) {
    const all = {};
    for (const [name, m] of Object.entries(modules))
        all[name] = "wasm" in m ? { wasm: decode(m.wasm) } : "data" in m ? { data: decode(m.data) } : m;
    return all;
}
