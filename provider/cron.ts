/** Check of a `crons` input: what Cloudflare's Cron Triggers refuse fails at preview with the field and the reason. */
import { parseCron } from "../cloudflare/cron";
import { MAX_CRONS } from "../cloudflare/limits";

/** The check failures of a `crons` input: a list of distinct expressions, at most {@link MAX_CRONS}. */
export function cronsFailures(
  property: string,
  value: unknown,
  isUnknown: (v: unknown) => boolean,
): Array<{ property: string; reason: string }> {
  if (value === undefined || value === null || isUnknown(value)) return [];
  if (!Array.isArray(value)) return [{ property, reason: `must be a list of cron expressions, e.g. ["*/30 * * * *"]` }];
  const failures: Array<{ property: string; reason: string }> = [];
  if (value.length > MAX_CRONS)
    failures.push({ property, reason: `must hold at most ${MAX_CRONS} cron expressions (got ${value.length})` });
  const seen = new Set<string>();
  value.forEach((v, i) => {
    if (isUnknown(v)) return;
    const p = `${property}[${i}]`;
    if (typeof v !== "string") failures.push({ property: p, reason: `must be a cron expression (a string), got ${JSON.stringify(v)}` });
    else {
      const parsed = parseCron(v);
      if (parsed instanceof Error)
        failures.push({
          property: p,
          reason: `is not a Cloudflare cron expression: ${parsed.message}; allowed: 5 fields (minute 0-59, hour 0-23, day of month 1-31 or L/LW/nW, month 1-12 or JAN-DEC, day of week 1-7 or SUN-SAT with nL and n#k), each *, a value, a-b, a list or a /step`,
        });
      else if (seen.has(v.trim())) failures.push({ property: p, reason: "is listed twice: each cron expression once" });
      seen.add(v.trim());
    }
  });
  return failures;
}
