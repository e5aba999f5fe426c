/** Cron expressions as Cron Triggers take them: what check refuses (and why), and when each fires (UTC). */
import { describe, expect, it, vi } from "vitest";
import { cronMatches, parseCron } from "../../cloudflare/cron";
import { cronsFailures } from "../../provider/cron";
import { isUnknown } from "../../provider/validation";
import { checkUserScript } from "../../provider/resources/user-script";
import { diffScript } from "../../provider/resources/script/diff";

const at = (iso: string) => new Date(iso);
const fires = (expr: string, iso: string) => {
  const c = parseCron(expr);
  if (c instanceof Error) throw c;
  return cronMatches(c, at(iso));
};

describe("parseCron", () => {
  it.each([
    "* * * * *",
    "*/30 * * * *",
    "0 17 * * sun",
    "10 7 * * MON-FRI",
    "0 15 1 * *",
    "0 18 * * 6L",
    "59 23 LW * *",
    "0 12 15W * *",
    "0 9 * * 2#1",
    "0,15,30,45 1-5/2 * jan-mar *",
  ])("takes %s", (expr) => {
    expect(parseCron(expr)).not.toBeInstanceOf(Error);
  });

  it.each([
    ["* * * *", /4 fields, not 5/],
    ["* * * * * *", /6 fields, not 5/],
    ["", /0 fields/],
    ["60 * * * *", /minute: 60 is out of range 0-59/],
    ["* 24 * * *", /hour: 24 is out of range 0-23/],
    ["* * 0 * *", /day of month: 0 is out of range 1-31/],
    ["* * * 13 *", /month: 13/],
    ["* * * * 0", /day of week: 0 is out of range 1-7 \(1 = Sunday\)/],
    ["* * * * funday", /day of week: "funday" is not a number or a 3-letter name/],
    ["*/0 * * * *", /step "0"/],
    ["5-1 * * * *", /runs backwards/],
    ["* * * * 2#6", /week number after # must be 1-5/],
    ["@daily * * * *", /minute/],
  ])("refuses %j", (expr, why) => {
    const r = parseCron(expr);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(why);
  });
});

describe("cronMatches (UTC)", () => {
  it("fires on minutes, hours, steps and names", () => {
    expect(fires("*/30 * * * *", "2026-03-02T10:30:00Z")).toBe(true);
    expect(fires("*/30 * * * *", "2026-03-02T10:31:00Z")).toBe(false);
    // 2026-03-01 is a Sunday: weekday 1.
    expect(fires("0 17 * * sun", "2026-03-01T17:00:00Z")).toBe(true);
    expect(fires("0 17 * * 1", "2026-03-01T17:00:00Z")).toBe(true);
    expect(fires("0 17 * * 2", "2026-03-01T17:00:00Z")).toBe(false);
    expect(fires("10 7 * * mon-fri", "2026-03-07T07:10:00Z")).toBe(false); // a Saturday
  });

  it("L, W, nL and n#k", () => {
    expect(fires("0 0 L * *", "2024-02-29T00:00:00Z")).toBe(true);
    expect(fires("0 0 L * *", "2024-02-28T00:00:00Z")).toBe(false);
    // 2026-05-31 is a Sunday: the last weekday is Friday the 29th.
    expect(fires("0 0 LW * *", "2026-05-29T00:00:00Z")).toBe(true);
    expect(fires("0 0 LW * *", "2026-05-31T00:00:00Z")).toBe(false);
    // 2026-03-15 is a Sunday: 15W is Monday the 16th.
    expect(fires("0 0 15W * *", "2026-03-16T00:00:00Z")).toBe(true);
    // The last Friday of March 2026 is the 27th; the first Monday is the 2nd.
    expect(fires("0 18 * * 6L", "2026-03-27T18:00:00Z")).toBe(true);
    expect(fires("0 18 * * 6L", "2026-03-20T18:00:00Z")).toBe(false);
    expect(fires("0 9 * * 2#1", "2026-03-02T09:00:00Z")).toBe(true);
    expect(fires("0 9 * * 2#1", "2026-03-09T09:00:00Z")).toBe(false);
  });

  it("with both days restricted, either one fires (as cron does)", () => {
    expect(fires("0 0 12 * 6", "2026-03-12T00:00:00Z")).toBe(true); // the 12th, a Thursday
    expect(fires("0 0 12 * 6", "2026-03-06T00:00:00Z")).toBe(true); // a Friday
    expect(fires("0 0 12 * 6", "2026-03-07T00:00:00Z")).toBe(false);
  });
});

describe("the crons input", () => {
  it("names the entry, the value and what is allowed", () => {
    const f = cronsFailures("crons", ["*/5 * * * *", "* * * *", "*/5 * * * *", 7], isUnknown);
    expect(f.map((x) => x.property)).toEqual(["crons[1]", "crons[2]", "crons[3]"]);
    expect(f[0]!.reason).toMatch(/^is not a Cloudflare cron expression: has 4 fields, not 5.*allowed: 5 fields/);
    expect(f[1]!.reason).toMatch(/listed twice/);
    expect(cronsFailures("crons", "* * * * *", isUnknown)[0]!.reason).toMatch(/must be a list of cron expressions/);
    expect(cronsFailures("crons", Array(251).fill("* * * * *"), isUnknown)[0]!.reason).toMatch(/at most 250/);
  });

  it("fails at check, and diffs as a set", () => {
    const base = { namespace: "ns", name: "s", modules: [{ name: "w.js", content: "export default {}" }], compatibilityDate: "2025-06-01" };
    expect(checkUserScript({ ...base, crons: ["61 * * * *"] }).failures).toEqual([
      { property: "crons[0]", reason: expect.stringMatching(/minute: 61 is out of range 0-59/) },
    ]);
    const { inputs } = checkUserScript({ ...base, crons: ["0 * * * *", "*/5 * * * *"] });
    expect(inputs.crons).toEqual(["0 * * * *", "*/5 * * * *"]);
    const outs = { ...inputs, modules: [], etag: "e", deployedEtag: "e" } as never;
    expect(diffScript({ ...(outs as object), crons: ["*/5 * * * *", "0 * * * *"] }, inputs).changedKeys).not.toContain("crons");
    expect(diffScript({ ...(outs as object), crons: ["*/5 * * * *"] }, inputs).changedKeys).toContain("crons");
    // None declared and none had: no key, no change.
    expect(checkUserScript(base).inputs.crons).toBeUndefined();
  });
});

describe("the runtime's scheduler", () => {
  it("fires each due trigger at the start of every UTC minute, with that minute as the scheduled time", async () => {
    const { CronScheduler } = await import("../../emulator/runtime/cron");
    const script = (name: string, crons: string[]) => ({ name, schedules: crons.map((cron) => ({ cron })) });
    const store = {
      state: {
        accounts: {
          a: {
            workers: { scripts: { dispatcher: script("dispatcher", ["*/2 * * * *"]) } },
            namespaces: { ns: { name: "customers", scripts: { acme: script("acme", ["* * * * *"]) } } },
          },
        },
      },
    };
    const fired: string[] = [];
    vi.useFakeTimers();
    try {
      vi.setSystemTime(Date.UTC(2026, 2, 2, 10, 0, 30));
      const s = new CronScheduler(
        store as never,
        async (t, cron, time) => {
          fired.push(`${t.namespace ?? ""}/${t.script} ${cron} ${new Date(time).toISOString()}`);
          return { outcome: "ok" };
        },
        () => {},
      );
      s.start();
      await vi.advanceTimersByTimeAsync(29_000);
      expect(fired).toEqual([]);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(fired).toEqual(["customers/acme * * * * * 2026-03-02T10:01:00.000Z"]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(fired.slice(1).sort()).toEqual([
        "/dispatcher */2 * * * * 2026-03-02T10:02:00.000Z",
        "customers/acme * * * * * 2026-03-02T10:02:00.000Z",
      ]);
      s.stop();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(fired).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
