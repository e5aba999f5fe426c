/**
 * Bad input through the real engine: `pulumi preview` fails at check time, the output names the resource,
 * the field and what is allowed, no secret value is printed, and the emulator sees zero API calls.
 * The full table of bad values is test/provider/bad-input.test.ts (docs/bad-input.md).
 *
 * One stack holds every bad value; each preview declares one resource (the engine stops at the first resource whose
 * check fails), which saves a stack and its configuration per case.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { PulumiProject } from "../helpers/pulumi-project";

const oversized = () => `sk_${randomBytes(8).toString("hex")}_`.padEnd(6000, "x");
const secretText = oversized();
const tenantSecret = oversized();

let emu: TestEmulator;
let project: PulumiProject;
beforeAll(async () => {
  emu = await startTestEmulator();
  project = await PulumiProject.create("bad-input", {
    program: "dist/test/e2e/stacks/bad-input",
    env: emu.env,
    config: { "bad:namespace": "Tenants_A", "bad:tenantId": "Acme Corp" },
    secretConfig: { "bad:secretText": secretText, "bad:tenantSecret": tenantSecret },
  });
});
afterAll(async () => {
  await emu?.close();
});

/** `pulumi preview` of the stack with only `resource` declared, and the API calls it made. */
async function previewOf(resource: "namespace" | "secret" | "tenant") {
  await emu.clearJournal();
  const result = await project.run(["preview"], { BAD_INPUT_RESOURCE: resource });
  return { ...result, calls: await emu.journal() };
}

describe("bad input at pulumi preview", () => {
  it("a bad namespace name fails preview with the field and the rule, and makes no API call", async () => {
    const result = await previewOf("namespace");
    expect(result.code, result.output).not.toBe(0);
    // The engine's wording: "<type> resource '<name>': property <field> value {<value>} has a problem: <reason>".
    expect(result.output).toMatch(
      /DispatchNamespace resource 'ns': property name value \{Tenants_A\} has a problem: must use only lowercase letters, digits and dashes/,
    );
    expect(result.calls).toEqual([]);
  });

  it("an oversized secret fails preview with the limit, never printing the value, and makes no API call", async () => {
    const result = await previewOf("secret");
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(/ScriptSecret resource 'secret': property text value .* has a problem: must be at most 5120 bytes/);
    expect(result.output).not.toContain(secretText.slice(0, 19));
    expect(result.calls).toEqual([]);
  });

  it("a Tenant's bad arguments are check failures naming the tenant and each field, with no stack trace", async () => {
    const result = await previewOf("tenant");
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(/Tenant resource 'tenant': property tenantId value \{Acme Corp\} has a problem: must be 1-63 lowercase/);
    expect(result.output).toMatch(
      /Tenant resource 'tenant' has a problem: secrets\.API_KEY = \(6000 characters, not shown\): must be at most 5120 bytes/,
    );
    expect(result.output).not.toMatch(/\n\s+at .*\.(js|ts):\d+/);
    expect(result.output).not.toContain(tenantSecret.slice(0, 19));
    expect(result.calls).toEqual([]);
  });
});
