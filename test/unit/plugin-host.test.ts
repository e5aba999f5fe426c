import { describe, expect, it } from "vitest";
import { kindOfUrn } from "../../provider/resources/thin-provider";

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
