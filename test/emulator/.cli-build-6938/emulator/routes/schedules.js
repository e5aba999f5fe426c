"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.scheduleRoutes = scheduleRoutes;
exports.scheduledOperatorRoutes = scheduledOperatorRoutes;
/**
 * @module
 * Cron triggers: GET and PUT `.../scripts/:script/schedules`, for user Workers and account-level Workers alike.
 * A PUT replaces the whole list (`[{"cron": "..."}]`); a cron kept keeps its `created_on`. The runtime runs them.
 */
const hono_1 = require("hono");
const cron_1 = require("../cron");
const errors_1 = require("../errors");
const store_1 = require("../store");
const common_1 = require("./common");
const scope_1 = require("./scope");
const view = (schedules) => ({ schedules: (schedules ?? []).map((s) => ({ ...s })) });
/** The crons of a PUT body, in order, each parsed; 10100 names the first that is not one. */
function validateSchedules(body) {
    if (!Array.isArray(body) || !body.every((e) => (0, common_1.isObject)(e) && typeof e.cron === "string"))
        throw new errors_1.ApiError(400, errors_1.Codes.INVALID_CRON, 'Schedules must be a list of {"cron": "<expression>"}');
    if (body.length > cron_1.MAX_CRONS)
        throw new errors_1.ApiError(400, errors_1.Codes.INVALID_CRON, `Too many cron triggers: at most ${cron_1.MAX_CRONS}`);
    const crons = [];
    for (const { cron } of body) {
        const parsed = (0, cron_1.parseCron)(cron);
        if (parsed instanceof Error)
            throw new errors_1.ApiError(400, errors_1.Codes.INVALID_CRON, `Invalid cron expression "${cron}": ${parsed.message}`);
        if (!crons.includes(cron.trim()))
            crons.push(cron.trim());
    }
    return crons;
}
function scheduleRoutes(ctx) {
    const r = new hono_1.Hono();
    for (const scope of scope_1.SCOPES) {
        const SCHEDULES = `${scope.script}/schedules`;
        r.get(SCHEDULES, (c) => c.json((0, errors_1.okEnvelope)(view((0, scope_1.requireScript)(scope, ctx, c).script.schedules))));
        r.put(SCHEDULES, async (c) => {
            const body = await (0, common_1.readJson)(c);
            const s = (0, scope_1.requireScript)(scope, ctx, c).script;
            const crons = validateSchedules(body);
            const now = (0, store_1.timestamp)();
            const before = new Map((s.schedules ?? []).map((e) => [e.cron, e]));
            s.schedules = crons.map((cron) => before.get(cron) ?? { cron, created_on: now, modified_on: now });
            ctx.store.touch();
            return c.json((0, errors_1.okEnvelope)(view(s.schedules)));
        });
    }
    return r;
}
/**
 * The operator's trigger (loopback only, under `/__emulator`): `POST /scheduled?namespace=&script=&cron=&time=`
 * runs the Worker's scheduled() now (no namespace: an account-level Worker; `account` when several accounts have
 * it). `cron` defaults to the Worker's first trigger, `time` (ms since the epoch) to now. Answers `{outcome, noRetry}`.
 */
function scheduledOperatorRoutes(ctx) {
    const r = new hono_1.Hono();
    r.post("/scheduled", async (c) => {
        const { account, namespace, script, cron, time } = c.req.query();
        if (!script)
            return c.json({ error: "script is required (and namespace for a user Worker)" }, 400);
        const found = Object.entries(ctx.store.state.accounts).flatMap(([id, a]) => {
            if (account !== undefined && id !== account)
                return [];
            const container = namespace ? Object.values(a.namespaces).find((n) => n.name === namespace) : a.workers;
            const s = container?.scripts[script];
            return s ? [{ account: id, script: s }] : [];
        });
        const where = namespace ? `${namespace}/${script}` : script;
        if (found.length === 0)
            return c.json({ error: `no Worker ${where}` }, 404);
        if (found.length > 1)
            return c.json({ error: `${where} is in several accounts: say which with account=` }, 400);
        if (!ctx.scheduled)
            return c.json({ error: "the Workers runtime is not running: start the emulator with --workers-port" }, 409);
        const scheduledTime = time === undefined ? Date.now() : Number(time);
        if (!Number.isFinite(scheduledTime))
            return c.json({ error: "time must be milliseconds since the epoch" }, 400);
        const { account: id, script: s } = found[0];
        try {
            const result = await ctx.scheduled({ account: id, namespace, script }, cron ?? s.schedules?.[0]?.cron ?? "", scheduledTime);
            return c.json(result);
        }
        catch (err) {
            return c.json({ error: err.message }, 500);
        }
    });
    return r;
}
