"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.tagRoutes = tagRoutes;
/**
 * @module
 * Script tags: GET and PUT the set, PUT and DELETE one tag. Limits: 100103 (count), 100102 (length), 100134 (`,`/`&`).
 */
const hono_1 = require("hono");
const errors_1 = require("../errors");
const store_1 = require("../store");
const common_1 = require("./common");
const scope_1 = require("./scope");
const TAGS = `${scope_1.NAMESPACE_SCOPE.script}/tags`;
function tagRoutes(ctx) {
    const r = new hono_1.Hono();
    const max = () => ctx.opts.maxTagsPerScript;
    r.get(TAGS, (c) => {
        const s = (0, scope_1.requireScript)(scope_1.NAMESPACE_SCOPE, ctx, c).script;
        return c.json((0, errors_1.okEnvelope)(s.tags));
    });
    r.put(TAGS, async (c) => {
        const body = await (0, common_1.readJson)(c);
        const s = (0, scope_1.requireScript)(scope_1.NAMESPACE_SCOPE, ctx, c).script;
        s.tags = (0, common_1.validateTags)(body, max());
        s.modified_on = (0, store_1.timestamp)();
        ctx.store.touch();
        return c.json((0, errors_1.okEnvelope)(s.tags));
    });
    r.put(`${TAGS}/:tag`, (c) => {
        const s = (0, scope_1.requireScript)(scope_1.NAMESPACE_SCOPE, ctx, c).script;
        const tag = c.req.param("tag");
        (0, common_1.validateTag)(tag);
        if (!s.tags.includes(tag)) {
            if (s.tags.length >= max())
                throw new errors_1.ApiError(400, errors_1.Codes.TOO_MANY_TAGS, `Too many tags: a script can have at most ${max()} tags.`);
            s.tags = [...s.tags, tag];
            s.modified_on = (0, store_1.timestamp)();
            ctx.store.touch();
        }
        return c.json((0, errors_1.okEnvelope)(null));
    });
    r.delete(`${TAGS}/:tag`, (c) => {
        const s = (0, scope_1.requireScript)(scope_1.NAMESPACE_SCOPE, ctx, c).script;
        const tag = c.req.param("tag");
        if (s.tags.includes(tag)) {
            s.tags = s.tags.filter((t) => t !== tag);
            s.modified_on = (0, store_1.timestamp)();
            ctx.store.touch();
        }
        return c.json((0, errors_1.okEnvelope)(null));
    });
    return r;
}
