"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.KV_ENTRYPOINT = exports.KV_WORKER = void 0;
exports.kvBindingTarget = kvBindingTarget;
exports.kvService = kvService;
/**
 * @module
 * The Node side of the Workers' KV bindings (workers/kv.mts): each operation on the emulator's store, so the API
 * and the Workers share one copy of every namespace, persisted with the rest of the state. A binding naming an id
 * the account has no namespace for (Cloudflare refuses such an upload with 10041; the emulator accepts it) reads
 * nothing, and its first write creates the namespace, titled by its id.
 */
const errors_1 = require("../errors");
const kv_1 = require("../kv");
const store_1 = require("../store");
/** Miniflare's service binding name of the KV Worker, and the entrypoint every KV binding names. */
exports.KV_WORKER = "wfp:kv";
exports.KV_ENTRYPOINT = "WfpKvStore";
/** A `kv_namespace` binding as a service binding designator, for `${account}:${namespace id}`. */
function kvBindingTarget(key) {
    return { name: exports.KV_WORKER, entrypoint: exports.KV_ENTRYPOINT, props: { key } };
}
function locate(store, key, create) {
    const colon = key.indexOf(":");
    const [account, id] = [key.slice(0, colon), key.slice(colon + 1)];
    const existing = store.state.accounts[account]?.kv?.[id];
    if (existing || !create)
        return existing;
    const ns = (0, kv_1.newKvNamespace)(id, id, (0, store_1.timestamp)());
    store.kvNamespaces(account)[id] = ns;
    return ns;
}
const text = (status, body) => new Response(body, { status });
/** The request handler of `STORE`: `POST http://kv/<get|put|delete|list>?ns=…&key=…`. */
function kvService(store, now) {
    return async (request) => {
        const url = new URL(request.url);
        const op = url.pathname.slice(1);
        const q = (name) => url.searchParams.get(name) ?? undefined;
        const nsKey = q("ns") ?? "";
        const seconds = Math.floor(now() / 1000);
        try {
            if (op === "list") {
                const ns = locate(store, nsKey, false);
                const limit = q("limit") === undefined ? kv_1.MAX_KV_LIST_LIMIT : Number(q("limit"));
                if (!Number.isInteger(limit) || limit < 1 || limit > kv_1.MAX_KV_LIST_LIMIT)
                    return text(400, `Invalid key_count_limit of ${q("limit")}. Please specify an integer between 1 and ${kv_1.MAX_KV_LIST_LIMIT}.`);
                const page = ns ? (0, kv_1.listKeys)(ns, q("prefix") ?? "", limit, q("cursor"), seconds) : { keys: [], cursor: "" };
                const body = {
                    keys: page.keys,
                    list_complete: page.cursor === "",
                    cacheStatus: null,
                    ...(page.cursor ? { cursor: page.cursor } : {}),
                };
                return Response.json(body);
            }
            const key = (0, kv_1.validateKey)(q("key") ?? "");
            if (op === "get") {
                const ns = locate(store, nsKey, false);
                const e = ns ? (0, kv_1.readEntry)(ns, key, seconds) : undefined;
                if (!e)
                    return text(404, "not found");
                const headers = {};
                if (e.metadata !== undefined)
                    headers["x-kv-metadata"] = JSON.stringify(e.metadata);
                if (e.expiration !== undefined)
                    headers["x-kv-expiration"] = String(e.expiration);
                return new Response(new Uint8Array(Buffer.from(e.value, "base64")), { headers });
            }
            if (op === "delete") {
                const ns = locate(store, nsKey, false);
                if (ns?.entries[key]) {
                    delete ns.entries[key];
                    store.touch();
                    await store.flush();
                }
                return text(200, "");
            }
            if (op === "put") {
                const value = (0, kv_1.validateValue)(Buffer.from(await request.arrayBuffer()));
                const raw = q("metadata");
                const metadata = (0, kv_1.validateMetadata)(raw === undefined ? undefined : JSON.parse(raw));
                const expiration = (0, kv_1.expiryOf)(q("expiration"), q("expiration_ttl"), seconds);
                (0, kv_1.writeEntry)(locate(store, nsKey, true), key, value, metadata, expiration);
                store.touch();
                await store.flush();
                return text(200, "");
            }
            return text(404, `unknown KV operation ${op}`);
        }
        catch (error) {
            if (error instanceof errors_1.ApiError)
                return text(error.status, error.message);
            return text(500, error.message);
        }
    };
}
