import { describe, expect, it } from "vitest";
import { tagFilter } from "../../provider/offboard";

describe("offboard tag filter", () => {
  it("formats yes/no pairs as the API expects", () => {
    expect(tagFilter({ "tenant-acme": true, "plan-free": false })).toBe("tenant-acme:yes,plan-free:no");
  });
  it("refuses an empty filter, which would match every script", () => {
    expect(() => tagFilter({})).toThrow(/every script/);
  });
  it.each(["a,b", "a&b", "a:b", ""])("refuses the tag %j", (tag) => {
    expect(() => tagFilter({ [tag]: true })).toThrow(/invalid tag/);
  });
});
