import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withoutPromiseStacks } from "../../provider/promise-stacks";

const ROOT = path.resolve(__dirname, "../..");

describe("promise stacks without frames (the preload)", () => {
  it("records a frameless stack inside debuggablePromise and restores the limit after", async () => {
    let recorded = "";
    const mod = withoutPromiseStacks({
      debuggablePromise: (p) => {
        recorded = new Error().stack ?? "";
        return p;
      },
    });
    const before = Error.stackTraceLimit;
    expect(await mod.debuggablePromise?.(Promise.resolve(7), "ctx")).toBe(7);
    expect(recorded).toMatch(/^Error/);
    expect(recorded).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error().stack?.split("\n").length).toBeGreaterThan(1);
    expect(withoutPromiseStacks(mod)).toBe(mod); // once only
  });

  it("applies to @pulumi/pulumi's module under the preload, unless PULUMI_DEBUG_PROMISE_LEAKS is set", () => {
    const probe = [
      "require('@pulumi/pulumi');",
      "const d = require('@pulumi/pulumi/runtime/debuggable');",

      "process.stdout.write(String(d.__wfpCheapStacks === true));",
      "process.exit(0);",
    ].join("");
    const run = (env: NodeJS.ProcessEnv) =>
      execFileSync(process.execPath, ["--require", path.join(ROOT, "dist/provider/preload.js"), "-e", probe], {
        cwd: ROOT,
        env: { ...process.env, NODE_COMPILE_CACHE: "", ...env },
        encoding: "utf8",
      });
    expect(run({ PULUMI_DEBUG_PROMISE_LEAKS: "" })).toBe("true");
    expect(run({ PULUMI_DEBUG_PROMISE_LEAKS: "1" })).toBe("false");
  });
});
