/**
 * @module
 * Cron triggers: GET and PUT `.../scripts/:script/schedules`, for user Workers and account-level Workers alike.
 * A PUT replaces the whole list (`[{"cron": "..."}]`); a cron kept keeps its `created_on`. The runtime runs them.
 */
import { Hono } from "hono";
import { parseCron } from "../../cloudflare/cron";
import { MAX_CRONS } from "../../cloudflare/limits";
import type { AppEnv, EmulatorContext } from "../context";
import { ApiError, Codes, okEnvelope } from "../errors";
import { type Schedule, timestamp } from "../store";
import { isObject, readJson } from "./common";
import { requireScript, SCOPES } from "./scope";

const view = (schedules: Schedule[] | undefined) => ({ schedules: (schedules ?? []).map((s) => ({ ...s })) });

/** The crons of a PUT body, in order, each parsed; 10100 names the first that is not one. */
function validateSchedules(body: unknown): string[] {
  if (!Array.isArray(body) || !body.every((e) => isObject(e) && typeof e.cron === "string"))
    throw new ApiError(400, Codes.INVALID_CRON, 'Schedules must be a list of {"cron": "<expression>"}');
  if (body.length > MAX_CRONS) throw new ApiError(400, Codes.INVALID_CRON, `Too many cron triggers: at most ${MAX_CRONS}`);
  const crons: string[] = [];
  for (const { cron } of body as Array<{ cron: string }>) {
    const parsed = parseCron(cron);
    if (parsed instanceof Error) throw new ApiError(400, Codes.INVALID_CRON, `Invalid cron expression "${cron}": ${parsed.message}`);
    if (!crons.includes(cron.trim())) crons.push(cron.trim());
  }
  return crons;
}

export function scheduleRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  for (const scope of SCOPES) {
    const SCHEDULES = `${scope.script}/schedules`;

    r.get(SCHEDULES, (c) => c.json(okEnvelope(view(requireScript(scope, ctx, c).script.schedules))));

    r.put(SCHEDULES, async (c) => {
      const body = await readJson(c);
      const s = requireScript(scope, ctx, c).script;
      const crons = validateSchedules(body);
      const now = timestamp();
      const before = new Map((s.schedules ?? []).map((e) => [e.cron, e]));
      s.schedules = crons.map((cron) => before.get(cron) ?? { cron, created_on: now, modified_on: now });
      ctx.store.touch();
      return c.json(okEnvelope(view(s.schedules)));
    });
  }
  return r;
}

/**
 * The operator's trigger (loopback only, under `/__emulator`): `POST /scheduled?namespace=&script=&cron=&time=`
 * runs the Worker's scheduled() now (no namespace: an account-level Worker; `account` when several accounts have
 * it). `cron` defaults to the Worker's first trigger, `time` (ms since the epoch) to now. Answers `{outcome, noRetry}`.
 */
export function scheduledOperatorRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post("/scheduled", async (c) => {
    const { account, namespace, script, cron, time } = c.req.query();
    if (!script) return c.json({ error: "script is required (and namespace for a user Worker)" }, 400);
    const found = Object.entries(ctx.store.state.accounts).flatMap(([id, a]) => {
      if (account !== undefined && id !== account) return [];
      const container = namespace ? Object.values(a.namespaces).find((n) => n.name === namespace) : a.workers;
      const s = container?.scripts[script];
      return s ? [{ account: id, script: s }] : [];
    });
    const where = namespace ? `${namespace}/${script}` : script;
    if (found.length === 0) return c.json({ error: `no Worker ${where}` }, 404);
    if (found.length > 1) return c.json({ error: `${where} is in several accounts: say which with account=` }, 400);
    if (!ctx.scheduled) return c.json({ error: "the Workers runtime is not running: start the emulator with --workers-port" }, 409);
    const scheduledTime = time === undefined ? Date.now() : Number(time);
    if (!Number.isFinite(scheduledTime)) return c.json({ error: "time must be milliseconds since the epoch" }, 400);
    const { account: id, script: s } = found[0]!;
    try {
      const result = await ctx.scheduled({ account: id, namespace, script }, cron ?? s.schedules?.[0]?.cron ?? "", scheduledTime);
      return c.json(result);
    } catch (err) {
      return c.json({ error: (err as Error).message }, 500);
    }
  });
  return r;
}
