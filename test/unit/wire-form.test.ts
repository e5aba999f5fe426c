/**
 * Structured fields stored as JSON text: what the class sends, what check stores, what the methods get back, and
 * what the engine is told changed.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { failuresForEngine } from "../../provider/check-failures";
import { engineDiff } from "../../provider/engine-diff";
import { defineProvider, programInputs, registeredProps } from "../../provider/resources/resource-kit";
import { TENANT } from "../../provider/resources/tenant/resource";
import { USER_SCRIPT } from "../../provider/resources/user-script";
import { fromWire, toWire } from "../../provider/resources/wire-form";
import { ProviderRun } from "../../provider/run";
import { UNKNOWN } from "../../provider/validation";

const FIELDS = ["modules", "limits"];
const modules = [{ name: "worker.js", path: "/srv/acme/worker.js" }];

describe("wire form", () => {
  it("stores a field as text with sorted keys, reads it back, and leaves the rest as it is", () => {
    const stored = toWire({ modules, limits: { memoryMb: 128, cpuMs: 50 }, tags: ["a"], compatibilityDate: "2025-06-01" }, FIELDS);
    expect(stored).toEqual({
      modules: JSON.stringify(modules),
      limits: '{"cpuMs":50,"memoryMb":128}',
      tags: ["a"],
      compatibilityDate: "2025-06-01",
    });
    expect(fromWire(stored, FIELDS)).toEqual({
      modules,
      limits: { cpuMs: 50, memoryMb: 128 },
      tags: ["a"],
      compatibilityDate: "2025-06-01",
    });
  });

  it("keeps a value with an unknown inside as a tree (a preview), and reads a state written before as it is", () => {
    const preview = { modules: [{ name: "worker.js", content: UNKNOWN }], limits: UNKNOWN };
    expect(toWire(preview, FIELDS)).toEqual(preview);
    expect(fromWire({ modules, limits: { cpuMs: 50 } }, FIELDS)).toEqual({ modules, limits: { cpuMs: 50 } });
  });

  it("leaves text that is not JSON of an object or a list for check to name", () => {
    expect(fromWire({ modules: "worker.js", limits: "{not json" }, FIELDS)).toEqual({ modules: "worker.js", limits: "{not json" });
  });

  it("the class sends the fields it has whole as text, and those with an output inside as they are", () => {
    const whole = programInputs(TENANT, { tenantId: "acme", modules, bindings: [{ type: "plain_text", name: "A", text: "a" }] });
    expect(whole).toEqual({
      tenantId: "acme",
      modules: JSON.stringify(modules),
      bindings: '[{"name":"A","text":"a","type":"plain_text"}]',
    });
    const kv = [{ type: "kv_namespace", name: "KV", namespaceId: pulumi.output("0f2ac74b498b48028cb68387c421e279") }];
    expect(programInputs(TENANT, { bindings: kv, limits: Promise.resolve({ cpuMs: 50 }) })).toEqual({
      bindings: kv,
      limits: expect.any(Promise),
    });
  });

  it("a Tenant registers the inputs given and the outputs it exposes; other kinds every input and output", () => {
    const given = { namespace: "platform", tenantId: "acme", scriptName: undefined, modules, compatibilityDate: "2025-06-01" };
    const tenant = registeredProps(TENANT, given, { owner: "wfp-owner=p/s" });
    expect(Object.keys(tenant).sort()).toEqual(
      [
        "namespace",
        "tenantId",
        "modules",
        "compatibilityDate",
        "scriptName",
        "etag",
        "tags",
        "secretNames",
        "assetFiles",
        "owner",
        "durableObjectClasses",
        "migrationTag",
        "__provider",
      ].sort(),
    );
    expect(tenant.owner).toBe("wfp-owner=p/s");
    const script = registeredProps(USER_SCRIPT, { namespace: "platform", name: "acme", modules, compatibilityFlags: undefined });
    expect(Object.keys(script)).toEqual(expect.arrayContaining(["compatibilityFlags", "deployedEtag", "etag"]));
  });

  it("the methods see trees whichever form arrives, and check and the outputs go back as text", async () => {
    const seen: unknown[] = [];
    const provider = defineProvider<{ modules: unknown; name: string }, { digests: unknown; etag: string }>(
      {
        async check(olds, news) {
          seen.push(olds, news);
          return { inputs: news };
        },
        async diff(_id, olds, news, _run, prior) {
          seen.push(olds, news, prior);
          return { changes: false };
        },
        async create(inputs) {
          seen.push(inputs);
          return { id: "x", outs: { digests: { modules: "d1" }, etag: "e" } };
        },
        async read(_id, props) {
          seen.push(props);
          return { id: "x", props };
        },
        async update(_id, olds, news) {
          seen.push(olds, news);
          return { outs: olds };
        },
        async delete(_id, props) {
          seen.push(props);
        },
      },
      { inputs: ["modules"], outputs: ["digests"] },
    )(new ProviderRun());
    const text = JSON.stringify(modules);
    const checked = await provider.check!({ modules: text, name: "a" }, { modules, name: "a" });
    expect(checked.inputs).toEqual({ modules: text, name: "a" });
    const created = await provider.create!(checked.inputs);
    expect(created.outs).toEqual({ digests: '{"modules":"d1"}', etag: "e" });
    const withPrior = provider as unknown as Record<"diff" | "update", (...args: unknown[]) => Promise<unknown>>;
    await withPrior.diff("x", created.outs, checked.inputs, checked.inputs);
    expect(await provider.read!("x", created.outs)).toEqual({ id: "x", props: created.outs });
    await provider.delete!("x", created.outs);
    const tree = { modules, name: "a" };
    const outs = { digests: { modules: "d1" }, etag: "e" };
    expect(seen).toEqual([tree, tree, tree, outs, tree, tree, outs, outs]);
  });

  it("tells the engine a change inside a field held as text as an update of that field, with the stored inputs' value", () => {
    const diff = engineDiff(
      {
        changes: true,
        changedKeys: ["modules", "compatibilityDate", "tags"],
        fields: [
          { path: "modules[0]", kind: "update" },
          { path: "modules[1]", kind: "add" },
          { path: "compatibilityDate", kind: "update" },
          { path: "tags[1]", kind: "add" },
        ],
      },
      { tags: ["a"], etag: "e" },
      { modules: JSON.stringify(modules), compatibilityDate: "2025-06-01", tags: ["a", "b"] },
    );
    expect(diff.detailedDiff).toEqual({
      modules: { kind: "update", inputDiff: true },
      compatibilityDate: { kind: "update", inputDiff: true },
      "tags[1]": { kind: "add", inputDiff: false },
    });
    expect(diff.diffs).toEqual(["modules", "compatibilityDate", "tags"]);
  });

  it("a nested check failure shows the value given inside the text", () => {
    const [failure] = failuresForEngine([{ property: "modules[0].name", reason: "must end in .js" }], {
      modules: JSON.stringify([{ name: "worker.ts" }]),
    });
    expect(failure!.reason).toContain('modules[0].name = "worker.ts"');
  });
});
