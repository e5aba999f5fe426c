import { describe, expect, it } from "vitest";
import { kindOfUrn } from "../../provider/resources/resource-kit";

describe("import support in the plugin host", () => {
  it("recognizes this package's resource types, also under a parent component", () => {
    expect(kindOfUrn("urn:pulumi:dev::proj::pulumi-nodejs:dynamic/wfp:UserScript::acme")).toBe("UserScript");
    expect(kindOfUrn("urn:pulumi:dev::proj::wfp:index:Tenant$pulumi-nodejs:dynamic/wfp:ScriptSecret::acme-KEY")).toBe("ScriptSecret");
  });
  it("leaves other dynamic resources to the stock host", () => {
    expect(kindOfUrn("urn:pulumi:dev::proj::pulumi-nodejs:dynamic:Resource::x")).toBeUndefined();
    expect(kindOfUrn("urn:pulumi:dev::proj::pulumi-nodejs:dynamic/wfp:Unknown::x")).toBeUndefined();
    expect(kindOfUrn("garbage")).toBeUndefined();
  });
});

describe("the schema pulumi import's code generation gets", () => {
  it("declares each of our types with its inputs, never a secret's value or an assets attachment", async () => {
    const { importSchema } = await import("../../provider/import-schema");
    const schema = importSchema("3.259.0") as { name: string; resources: Record<string, { inputProperties: Record<string, unknown> }> };
    expect(schema.name).toBe("pulumi-nodejs");
    expect(Object.keys(schema.resources).sort()).toEqual(
      [
        "CustomHostname",
        "DispatchNamespace",
        "KvNamespace",
        "ScriptSecret",
        "StaticAssets",
        "UserScript",
        "Worker",
        "WorkerDomain",
        "WorkerRoute",
      ].map((k) => `pulumi-nodejs:dynamic/wfp:${k}`),
    );
    const script = Object.keys(schema.resources["pulumi-nodejs:dynamic/wfp:UserScript"].inputProperties);
    expect(script).toEqual(expect.arrayContaining(["namespace", "name", "modules", "compatibilityDate", "bindings"]));
    expect(script).not.toContain("assets");
    expect(Object.keys(schema.resources["pulumi-nodejs:dynamic/wfp:ScriptSecret"].inputProperties)).not.toContain("text");
  });
});
