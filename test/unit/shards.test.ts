import { describe, expect, it } from "vitest";
import { parseShard, shardOf, stackHolds } from "../../examples/platform/shards";

const ids = (n: number, prefix = "tenant") => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
/** The tenants each of N shard stacks would deploy. */
const partition = (tenants: string[], count: number) =>
  Array.from({ length: count }, (_, i) => tenants.filter((t) => stackHolds(parseShard(`${i + 1}/${count}`)).tenant(t)));

describe("sharding the example platform", () => {
  it("deploys every tenant exactly once across the shards, in shards of similar size", () => {
    const tenants = ids(1000);
    const shards = partition(tenants, 8);
    expect(shards.flat().sort()).toEqual([...tenants].sort());
    for (const s of shards) expect(s.length).toBeGreaterThan(1000 / 8 / 1.5);
  });

  it("adding a tenant changes one shard's set only", () => {
    const before = partition(ids(200), 5);
    const after = partition([...ids(200), "newcomer"], 5);
    const changed = after.map((s, i) => s.length !== before[i]!.length || s.some((t, j) => t !== before[i]![j]));
    expect(changed.filter(Boolean)).toHaveLength(1);
    expect(after[shardOf("newcomer", 5) - 1]).toContain("newcomer");
  });

  it("the core stack holds the platform's own resources and no tenant; an unsharded stack holds everything", () => {
    expect(stackHolds(parseShard("core"))).toMatchObject({ core: true });
    expect(stackHolds(parseShard("core")).tenant("acme")).toBe(false);
    expect(stackHolds(parseShard(undefined)).tenant("acme")).toBe(true);
    expect(stackHolds(parseShard("2/3")).core).toBe(false);
  });

  it.each(["0/3", "4/3", "3", "a/b", "1/0"])("refuses %s, saying what is allowed", (bad) => {
    expect(() => parseShard(bad)).toThrow(/"core" or "i\/N" with 1 ≤ i ≤ N/);
  });
});
