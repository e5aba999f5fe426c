"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.namespaceRoutes = namespaceRoutes;
/**
 * @module
 * Dispatch namespaces: `/dispatch/namespaces[/:namespace]`, plus the namespace-level scripts list and bulk delete.
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const limits_1 = require("../limits");
const store_1 = require("../store");
const common_1 = require("./common");
function namespaceObject(ns) {
    return {
        namespace_id: ns.id,
        namespace_name: ns.name,
        script_count: Object.keys(ns.scripts).length,
        trusted_workers: ns.trusted_workers,
        created_on: ns.created_on,
        created_by: ns.created_by,
        modified_on: ns.modified_on,
        modified_by: ns.modified_by,
    };
}
function validateName(name) {
    if (typeof name !== "string" || !limits_1.NAMESPACE_NAME_RE.test(name)) {
        throw (0, errors_1.invalidRequest)(`Invalid namespace name ${JSON.stringify(name)}: use lowercase letters, digits and dashes (1-63 characters, starting with a letter or digit)`);
    }
    return name;
}
function assertNameFree(ctx, c, name, except) {
    const existing = ctx.store.findNamespace((0, common_1.accountId)(c), name);
    if (existing && existing !== except) {
        throw new errors_1.ApiError(400, errors_1.Codes.NAMESPACE_EXISTS, `A dispatch namespace named '${name}' already exists. Ensure it does not already exist.`);
    }
}
function parseLimit(raw, fallback) {
    if (raw === undefined || raw === "")
        return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > limits_1.MAX_LIST_LIMIT)
        throw (0, errors_1.invalidRequest)(`limit must be an integer between 1 and ${limits_1.MAX_LIST_LIMIT}`);
    return n;
}
function namespaceRoutes(ctx) {
    const r = new hono_1.Hono();
    const { store } = ctx;
    r.get("/dispatch/namespaces", (c) => {
        const acc = store.state.accounts[(0, common_1.accountId)(c)];
        const list = acc ? Object.values(acc.namespaces) : [];
        list.sort((a, b) => a.created_on.localeCompare(b.created_on) || a.name.localeCompare(b.name));
        return c.json((0, errors_1.okEnvelope)(list.map(namespaceObject)));
    });
    r.post("/dispatch/namespaces", async (c) => {
        const body = await (0, common_1.readJson)(c, {});
        if (!(0, common_1.isObject)(body))
            throw (0, errors_1.invalidRequest)("request body must be a JSON object");
        // [I] `name` is optional in the schema; when omitted we generate one.
        const name = body.name === undefined ? `namespace-${(0, store_1.newUuid)().slice(0, 8)}` : validateName(body.name);
        assertNameFree(ctx, c, name);
        const now = (0, store_1.timestamp)();
        const ns = {
            id: (0, store_1.newUuid)(),
            name,
            // Create takes only a name; trusted mode is set with PUT.
            trusted_workers: false,
            created_on: now,
            created_by: c.var.userId,
            modified_on: now,
            modified_by: c.var.userId,
            scripts: (0, store_1.dict)(),
            blobs: (0, store_1.dict)(),
        };
        store.account((0, common_1.accountId)(c)).namespaces[ns.id] = ns;
        store.touch();
        return c.json((0, errors_1.okEnvelope)(namespaceObject(ns)));
    });
    r.get("/dispatch/namespaces/:namespace", (c) => c.json((0, errors_1.okEnvelope)(namespaceObject((0, common_1.requireNamespace)(ctx, c)))));
    // PUT replaces (omitted fields reset to defaults; an omitted name keeps the name); PATCH merges.
    for (const method of ["put", "patch"]) {
        r[method]("/dispatch/namespaces/:namespace", async (c) => {
            const body = await (0, common_1.readJson)(c, {});
            if (!(0, common_1.isObject)(body))
                throw (0, errors_1.invalidRequest)("request body must be a JSON object");
            const ns = (0, common_1.requireNamespace)(ctx, c);
            if (body.trusted_workers !== undefined && typeof body.trusted_workers !== "boolean")
                throw (0, errors_1.invalidRequest)("trusted_workers must be a boolean");
            if (body.name !== undefined && body.name !== ns.name) {
                const name = validateName(body.name);
                assertNameFree(ctx, c, name, ns);
                ns.name = name;
            }
            if (method === "put")
                ns.trusted_workers = body.trusted_workers === true;
            else if (body.trusted_workers !== undefined)
                ns.trusted_workers = body.trusted_workers;
            ns.modified_on = (0, store_1.timestamp)();
            ns.modified_by = c.var.userId;
            store.touch();
            return c.json((0, errors_1.okEnvelope)(namespaceObject(ns)));
        });
    }
    r.delete("/dispatch/namespaces/:namespace", async (c) => {
        // Under the namespace lock, so an asset upload in flight finishes (or sees the namespace gone) first.
        return store.lock((0, common_1.requireNamespace)(ctx, c).id, () => deleteNamespace(c));
    });
    async function deleteNamespace(c) {
        const ns = (0, common_1.requireNamespace)(ctx, c);
        const count = Object.keys(ns.scripts).length;
        if (count > 0 && ctx.opts.namespaceDelete === "reject") {
            throw new errors_1.ApiError(400, errors_1.Codes.NAMESPACE_NOT_EMPTY, `Dispatch namespace '${ns.name}' still contains ${count} script(s). You must delete all user Workers in the dispatch namespace before it can be deleted.`);
        }
        delete store.account((0, common_1.accountId)(c)).namespaces[ns.id];
        for (const [id, s] of Object.entries(store.state.sessions))
            if (s.containerId === ns.id)
                delete store.state.sessions[id];
        store.touch();
        await store.dropNamespaceBlobs(ns.id);
        return c.json((0, errors_1.okEnvelope)(null));
    }
    r.get("/dispatch/namespaces/:namespace/scripts", (c) => {
        const ns = (0, common_1.requireNamespace)(ctx, c);
        const filter = (0, common_1.parseTagFilter)(c.req.query("tags"));
        const limit = parseLimit(c.req.query("limit"), undefined);
        const cursor = c.req.query("cursor");
        let after;
        if (cursor) {
            after = Buffer.from(cursor, "base64url").toString("utf8");
            if (!after.startsWith("n:"))
                throw (0, errors_1.invalidRequest)("invalid cursor");
            after = after.slice(2);
        }
        const matching = Object.values(ns.scripts)
            .filter((s) => (0, common_1.matchesTagFilter)(s, filter))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
            .filter((s) => after === undefined || s.name > after);
        const page = limit === undefined ? matching : matching.slice(0, limit);
        const more = page.length < matching.length;
        const next = more ? Buffer.from(`n:${page[page.length - 1].name}`).toString("base64url") : "";
        return c.json((0, errors_1.okEnvelope)(page.map((s) => (0, common_1.scriptEnvelopeItem)(ns.name, s)), { count: page.length, cursor: next }));
    });
    r.delete("/dispatch/namespaces/:namespace/scripts", (c) => {
        const ns = (0, common_1.requireNamespace)(ctx, c);
        const filter = (0, common_1.parseTagFilter)(c.req.query("tags"));
        const limit = parseLimit(c.req.query("limit"), limits_1.DEFAULT_BULK_DELETE_LIMIT);
        const matching = Object.values(ns.scripts)
            .filter((s) => (0, common_1.matchesTagFilter)(s, filter))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const doomed = matching.slice(0, limit);
        for (const s of doomed)
            delete ns.scripts[s.name];
        if (doomed.length)
            store.touch();
        return c.json((0, errors_1.okEnvelope)({ deleted: doomed.map((s) => ({ id: s.tag })), deleted_count: doomed.length, has_more: matching.length > doomed.length }));
    });
    return r;
}
