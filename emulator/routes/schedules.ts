/**
 * @module
 * Cron triggers: GET and PUT `.../scripts/:script/schedules`, for user Workers and account-level Workers alike.
 * A PUT replaces the whole list (`[{"cron": "..."}]`); a cron kept keeps its `created_on`. The runtime runs them.
 */
import { Hono } from "hono";
import { parseCron } from "../../cloudflare/cron";
import { MAX_CRONS } from "../../cloudflare/limits";
import type { AppEnv, EmulatorContext } from "../context";
import { ApiError, Codes, okEnvelope } from "../model/errors";
import { type Schedule, timestamp } from "../model/store";
import { readJson } from "./common";
import { isObject } from "../model/validate";
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
