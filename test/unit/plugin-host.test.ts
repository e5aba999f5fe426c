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
        "D1Database",
        "DispatchNamespace",
        "KvNamespace",
        "R2Bucket",
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

describe("the diff the plugin host hands to the engine", () => {
  it("carries each changed field as the detailed diff and the changed keys as the diff's reasons", async () => {
    const proto = await import("@pulumi/pulumi/proto/provider_pb");
    const { diffResponse, engineDiff } = await import("../../provider/engine-diff");
    const diff = engineDiff(
      {
        changes: true,
        replaces: ["name"],
        deleteBeforeReplace: false,
        changedKeys: ["etag", "secrets", "name"],
        fields: [
          { path: "etag", kind: "update" },
          { path: "secrets.STRIPE_KEY", kind: "add" },
          { path: "name", kind: "update" },
        ],
      },
      { etag: "theirs", name: "old", __provider: "x" },
    );
    const response = (diffResponse(proto as never, diff) as InstanceType<typeof proto.DiffResponse>).toObject();
    expect(response).toMatchObject({
      changes: proto.DiffResponse.DiffChanges.DIFF_SOME,
      replacesList: ["name"],
      diffsList: ["etag", "secrets", "name"],
      hasdetaileddiff: true,
    });
    const { Kind } = proto.PropertyDiff;
    expect(Object.fromEntries(response.detaileddiffMap)).toEqual({
      etag: { kind: Kind.UPDATE, inputdiff: false },
      // The outputs hold no `secrets` (hashes only): the engine shows the old value from the stored inputs.
      "secrets.STRIPE_KEY": { kind: Kind.ADD, inputdiff: true },
      name: { kind: Kind.UPDATE_REPLACE, inputdiff: false },
    });
  });

  it("says nothing changed, with no field, for a clean diff; a diff without fields names its keys", async () => {
    const proto = await import("@pulumi/pulumi/proto/provider_pb");
    const { diffResponse, engineDiff } = await import("../../provider/engine-diff");
    const clean = diffResponse(proto as never, engineDiff({ changes: false, replaces: [], changedKeys: [] }, {}));
    expect((clean as InstanceType<typeof proto.DiffResponse>).toObject()).toMatchObject({
      changes: proto.DiffResponse.DiffChanges.DIFF_NONE,
      diffsList: [],
      detaileddiffMap: [],
      hasdetaileddiff: true,
    });
    expect(engineDiff({ changes: true, changedKeys: ["service"] }, { service: "a" }).detailedDiff).toEqual({
      service: { kind: "update", inputDiff: false },
    });
    // A change is never passed on with nothing named.
    expect(engineDiff({ changes: true, changedKeys: ["secretNames"], fields: [] }, { secretNames: [] }).diffs).toEqual(["secretNames"]);
  });
});
