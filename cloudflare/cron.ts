/**
 * Cron expressions as Cloudflare's Cron Triggers take them (Cloudflare docs: Workers, Configuration, Cron Triggers,
 * "Supported cron expressions"): five fields (minute, hour, day of month, month, day of week) with `*`, lists, ranges
 * and steps; months and weekdays also by 3-letter name, in any case; `L` and `W` in the day of month (`L`, `LW`,
 * `15W`), `L` and `#` in the day of week (`6L`: the month's last Friday, `2#1`: its first Monday). Weekdays run 1-7
 * from Sunday. Times are UTC. Pure: the provider's check refuses what {@link parseCron} refuses, the emulator's
 * schedules route answers it with an error, and its scheduler fires what {@link cronMatches} matches.
 */
interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day of week", min: 1, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  /** Day of month: `*` (any), listed days, `L`, `LW`, `nW`. */
  dom: { any: boolean; days: Set<number>; last: boolean; lastWeekday: boolean; nearestWeekday: number[] };
  /** Day of week (1 = Sunday): `*` (any), listed days, `nL`, `n#k`. */
  dow: { any: boolean; days: Set<number>; last: number[]; nth: Array<[number, number]> };
}

class CronError extends Error {}

function value(f: Field, text: string): number {
  const byName = f.names?.indexOf(text.toUpperCase()) ?? -1;
  if (byName >= 0) return byName + 1;
  if (!/^\d+$/.test(text)) throw new CronError(`${f.name}: "${text}" is not a number${f.names ? " or a 3-letter name" : ""}`);
  const n = Number(text);
  if (n < f.min || n > f.max)
    throw new CronError(`${f.name}: ${n} is out of range ${f.min}-${f.max}${f.name === "day of week" ? " (1 = Sunday)" : ""}`);
  return n;
}

/** `*`, `a`, `a-b`, each optionally `/step`, into `out`. */
function range(f: Field, item: string, out: Set<number>): void {
  const [base, stepText, extra] = item.split("/");
  if (extra !== undefined || base === undefined || base === "") throw new CronError(`${f.name}: "${item}" is not a value, range or step`);
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1 || Number(stepText) > f.max)
      throw new CronError(`${f.name}: step "${stepText}" must be a number from 1 to ${f.max}`);
    step = Number(stepText);
  }
  let lo = f.min;
  let hi = f.max;
  if (base !== "*") {
    const [a, b, more] = base.split("-");
    if (more !== undefined) throw new CronError(`${f.name}: "${base}" is not a range`);
    lo = value(f, a ?? "");
    hi = b === undefined ? (stepText === undefined ? lo : f.max) : value(f, b);
    if (lo > hi) throw new CronError(`${f.name}: range "${base}" runs backwards`);
  }
  for (let n = lo; n <= hi; n += step) out.add(n);
}

function parseField(f: Field, text: string, special: (item: string) => boolean): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(",")) if (!special(item)) range(f, item, out);
  return out;
}

/** The parsed expression, or an Error saying which field is wrong and why. */
export function parseCron(expression: string): Cron | Error {
  try {
    const parts = expression.trim().split(/\s+/);
    if (parts.length !== 5 || parts[0] === "")
      throw new CronError(`has ${parts[0] === "" ? 0 : parts.length} fields, not 5 (minute hour day-of-month month day-of-week)`);
    const [minute, hour, dom, month, dow] = parts as [string, string, string, string, string];
    const cron: Cron = {
      minutes: parseField(FIELDS[0]!, minute, () => false),
      hours: parseField(FIELDS[1]!, hour, () => false),
      months: parseField(FIELDS[3]!, month, () => false),
      dom: { any: dom.startsWith("*"), days: new Set(), last: false, lastWeekday: false, nearestWeekday: [] },
      dow: { any: dow.startsWith("*"), days: new Set(), last: [], nth: [] },
    };
    cron.dom.days = parseField(FIELDS[2]!, dom, (item) => {
      const u = item.toUpperCase();
      if (u === "L") cron.dom.last = true;
      else if (u === "LW") cron.dom.lastWeekday = true;
      else if (/^\d+W$/.test(u)) cron.dom.nearestWeekday.push(value(FIELDS[2]!, u.slice(0, -1)));
      else return false;
      return true;
    });
    cron.dow.days = parseField(FIELDS[4]!, dow, (item) => {
      const u = item.toUpperCase();
      const nth = /^(\w+)#(\d+)$/.exec(u);
      if (/^\w+L$/.test(u)) cron.dow.last.push(value(FIELDS[4]!, u.slice(0, -1)));
      else if (nth) {
        const k = Number(nth[2]);
        if (k < 1 || k > 5) throw new CronError(`day of week: "${item}": the week number after # must be 1-5`);
        cron.dow.nth.push([value(FIELDS[4]!, nth[1]!), k]);
      } else return false;
      return true;
    });
    return cron;
  } catch (err) {
    if (err instanceof CronError) return err;
    throw err;
  }
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekday = (year: number, month: number, day: number): number => new Date(Date.UTC(year, month - 1, day)).getUTCDay();

/** The weekday (Mon-Fri) nearest to `day` within its month, or undefined when the month is shorter. */
function nearestWeekday(year: number, month: number, day: number): number | undefined {
  const last = daysIn(year, month);
  if (day > last) return undefined;
  const w = weekday(year, month, day);
  if (w === 6) return day === 1 ? 3 : day - 1;
  if (w === 0) return day === last ? day - 2 : day + 1;
  return day;
}

/** Whether the cron fires in the UTC minute of `at`. */
export function cronMatches(cron: Cron, at: Date): boolean {
  if (!cron.minutes.has(at.getUTCMinutes()) || !cron.hours.has(at.getUTCHours())) return false;
  const [y, m, d] = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate()];
  if (!cron.months.has(m)) return false;
  const last = daysIn(y, m);
  const w = at.getUTCDay() + 1;
  const domMatch =
    cron.dom.days.has(d) ||
    (cron.dom.last && d === last) ||
    (cron.dom.lastWeekday && d === nearestWeekday(y, m, last)) ||
    cron.dom.nearestWeekday.some((n) => nearestWeekday(y, m, n) === d);
  const dowMatch =
    cron.dow.days.has(w) ||
    cron.dow.last.some((x) => x === w && d + 7 > last) ||
    cron.dow.nth.some(([x, k]) => x === w && Math.ceil(d / 7) === k);
  // As in cron: with both days restricted, either matches.
  if (cron.dom.any && cron.dow.any) return true;
  if (cron.dom.any) return dowMatch;
  if (cron.dow.any) return domMatch;
  return domMatch || dowMatch;
}
