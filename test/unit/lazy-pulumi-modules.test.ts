import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

/** Runs `script` in a Node process with the preload, as a program's process runs; returns its stdout. */
const underPreload = (script: string) =>
  execFileSync(process.execPath, ["--require", path.join(ROOT, "dist/provider/preload.js"), "-e", script], {
    cwd: ROOT,
    env: { ...process.env, NODE_COMPILE_CACHE: "" },
    encoding: "utf8",
  });

/** The modules of `pattern` in the require cache. */
const LOADED = (pattern: string) => `Object.keys(require.cache).some((f) => ${pattern}.test(f))`;

describe("@pulumi/pulumi's modules for features our programs do not use load on first use (the preload)", () => {
  it("the automation API and OpenTelemetry's SDK: not loaded with @pulumi/pulumi, loaded when used", () => {
    const out = underPreload(
      [
        "const pulumi = require('@pulumi/pulumi');",
        "require('@pulumi/pulumi/cmd/run/tracing');",
        `const before = [${LOADED("/automation\\/localWorkspace/")}, ${LOADED("/@opentelemetry\\/sdk-trace-node/")}];`,
        "const used = typeof pulumi.automation.LocalWorkspace.create;",
        `process.stdout.write(JSON.stringify({ before, used, after: ${LOADED("/automation\\/localWorkspace/")} }));`,
      ].join("\n"),
    );
    expect(JSON.parse(out)).toEqual({ before: [false, false], used: "function", after: true });
  });

  it("closure serialization still works once cmd/run has skipped opening its inspector session", () => {
    const out = underPreload(
      [
        "const { Module } = require('module');",
        "const runIndex = require.resolve('@pulumi/pulumi/cmd/run/index.js');",
        // The request as cmd/run makes it, from its own file.
        "const path = require('path');",
        "const parent = new Module(runIndex); parent.filename = runIndex; parent.paths = Module._nodeModulePaths(path.dirname(runIndex));",
        "const hooks = parent.require('../../runtime/closure/v8Hooks');",
        "const pulumi = require('@pulumi/pulumi');",
        "const answer = 42;",
        "hooks.isInitializedAsync()",
        "  .then(() => pulumi.runtime.serializeFunction(() => answer))",
        "  .then((s) => process.stdout.write(s.text));",
      ].join("\n"),
    );
    expect(out).toContain("with({ answer: 42");
    expect(out).toContain("return () => answer;");
  });
});
