/** A script's cron triggers: `.../scripts/{name}/schedules`, the whole list read or replaced at once. */
import type { CloudflareApi } from "./client";
import { unlessGone, type Operation } from "./errors";
import { scriptGoneCodes, scriptPath, type ScriptRef } from "./scripts";

interface Schedules {
  schedules?: Array<{ cron: string }> | null;
}

const crons = (r: Schedules | null): string[] => (r?.schedules ?? []).map((s) => s.cron);

/** GET the cron expressions; undefined when the script is gone. */
export async function getSchedules(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<string[] | undefined> {
  const read = api.call<Schedules | null>({ method: "get", path: `${scriptPath(ref)}/schedules`, op }).then(crons);
  return unlessGone(read, scriptGoneCodes(ref));
}

/** PUT the whole list (an empty one removes every trigger). */
export async function putSchedules(api: CloudflareApi, ref: ScriptRef, list: readonly string[], op: Operation): Promise<string[]> {
  const body = list.map((cron) => ({ cron }));
  return crons(await api.call<Schedules | null>({ method: "put", path: `${scriptPath(ref)}/schedules`, body, op }));
}
