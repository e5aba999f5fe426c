import { describe, expect, it } from "vitest";
import { describeGiven, failuresForEngine, parsePropertyPath } from "../../provider/check-failures";
import { handler } from "../../provider/dynamic";
import { didYouMean, editDistance, nearestAllowed } from "../../provider/did-you-mean";

describe("did you mean", () => {
  it("measures edits", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
    expect(editDistance("nmae", "name")).toBe(1);
  });
  it("suggests a prefix, a case or separator slip, or a close spelling", () => {
    expect(nearestAllowed("kv", ["plain_text", "kv_namespace", "d1"])).toBe("kv_namespace");
    expect(nearestAllowed("404", ["none", "404-page", "single-page-application"])).toBe("404-page");
    expect(nearestAllowed("Plain-Text", ["plain_text", "json"])).toBe("plain_text");
    expect(nearestAllowed("nmae", ["name", "trustedWorkers"])).toBe("name");
    expect(nearestAllowed("r2", ["r2_bucket", "d1"])).toBe("r2_bucket");
  });
  it("stays quiet when nothing is near or the prefix is ambiguous", () => {
    expect(nearestAllowed("zebra", ["plain_text", "json"])).toBeUndefined();
    expect(nearestAllowed("s", ["service", "send_email"])).toBeUndefined();
    expect(nearestAllowed(42, ["a"])).toBeUndefined();
    expect(didYouMean("kv", ["kv_namespace"])).toBe("; did you mean kv_namespace?");
    expect(didYouMean("zzz", ["kv_namespace"])).toBe("");
  });
});

describe("check failures as the engine prints them", () => {
  it("parses property paths", () => {
    expect(parsePropertyPath("bindings[0].outbound.params[1]")).toEqual(["bindings", 0, "outbound", "params", 1]);
    expect(parsePropertyPath("config.notFoundHandling")).toEqual(["config", "notFoundHandling"]);
    expect(parsePropertyPath("name")).toEqual(["name"]);
  });

  it("leaves a top-level value to the engine, and names a nested one's path and value in the reason", () => {
    const inputs = { name: "Bad", bindings: [{ type: "kv", name: "KV" }], config: { notFoundHandling: "404" } };
    expect(
      failuresForEngine(
        [
          { property: "name", reason: "must use only lowercase letters" },
          { property: "bindings[0].type", reason: "must be one of kv_namespace" },
          { property: "config.notFoundHandling", reason: 'must be one of "404-page"' },
        ],
        inputs,
      ),
    ).toEqual([
      { property: "name", reason: "must use only lowercase letters" },
      { property: "", reason: 'bindings[0].type = "kv": must be one of kv_namespace' },
      { property: "", reason: 'config.notFoundHandling = "404": must be one of "404-page"' },
    ]);
  });

  it("names a missing input without a value (the engine would print {<nil>})", () => {
    expect(failuresForEngine([{ property: "compatibilityDate", reason: "is required: a date" }], {})).toEqual([
      { property: "", reason: "compatibilityDate: is required: a date" },
    ]);
  });

  it("never shows what may be a secret or code, and shortens long values", () => {
    const inputs = { bindings: [{ type: "plain_text", name: "K", text: 5 }], modules: [{ name: "a.js", content: "x".repeat(500) }] };
    const out = failuresForEngine(
      [
        { property: "bindings[0].text", reason: "must be a string" },
        { property: "modules[0].content", reason: "must be shorter" },
      ],
      inputs,
    );
    expect(out[0].reason).toBe("bindings[0].text = (not shown): must be a string");
    expect(out[1].reason).toBe("modules[0].content = (500 characters, not shown): must be shorter");
    expect(describeGiven("y".repeat(200), false).length).toBe(80);
    expect(describeGiven("y".repeat(200), false, true).length).toBe(202);
    expect(describeGiven({ name: "a.js", content: "secret code", path: "/p", n: 1, o: {} }, false)).toBe(
      '{name: "a.js", content, path, n: 1, o}',
    );
    expect(describeGiven([{ text: "s" }], false)).toBe("(a list of 1)");
    expect(describeGiven(["/api/*"], false)).toBe('["/api/*"]');
  });

  it("is what the provider hands the host: a near miss of a binding type, value and suggestion included", async () => {
    const inputs = {
      namespace: "ns",
      name: "app",
      modules: [{ name: "index.js", content: "export default {}" }],
      compatibilityDate: "2025-06-01",
      bindings: [{ type: "kv", name: "KV" }],
    };
    const result = await handler("UserScript").check!({}, inputs);
    expect(result.failures).toEqual([
      {
        property: "",
        reason: expect.stringMatching(/^bindings\[0\]\.type = "kv": must be one of plain_text, .*; did you mean kv_namespace\?$/),
      },
    ]);
  });
});
