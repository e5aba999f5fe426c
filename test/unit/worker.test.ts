import { describe, expect, it } from "vitest";
import { checkWorker, diffWorker, type WorkerOutputs } from "../../provider/resources/worker";

const base = {
  name: "dispatcher",
  modules: [{ name: "index.js", content: "export default { fetch() { return new Response('ok') } }" }],
  compatibilityDate: "2025-06-01",
};

function outputsOf(inputs: ReturnType<typeof checkWorker>["inputs"]): WorkerOutputs {
  return {
    ...inputs,
    modules: inputs.modules.map((m) => ({ name: m.name, type: m.type, sha256: m.sha256 })),
    etag: "e1",
    deployedEtag: "e1",
  };
}

describe("Worker check", () => {
  it("takes UserScript's inputs without a namespace, plus workersDev (default false)", () => {
    const { inputs, failures } = checkWorker(base);
    expect(failures).toEqual([]);
    expect(inputs.workersDev).toBe(false);
    expect(inputs).not.toHaveProperty("namespace");
  });

  it("refuses a namespace, a non-boolean workersDev and a bad name, naming each", () => {
    const { failures } = checkWorker({ ...base, namespace: "customers", workersDev: "yes", name: "Bad Name" });
    expect(failures.map((f) => f.property).sort()).toEqual(["name", "namespace", "workersDev"]);
    expect(failures.find((f) => f.property === "namespace")?.reason).toMatch(/is not an input of Worker; use name, modules/);
  });

  it("checks a dispatch_namespace binding's outbound Worker and params", () => {
    const bindings = [
      {
        name: "DISPATCHER",
        type: "dispatch_namespace",
        namespace: "customers",
        outbound: { worker: { service: "Outbound!", extra: "x" }, params: [{ name: "tenant" }, { name: "tenant" }, { label: "x" }] },
      },
    ];
    const { failures } = checkWorker({ ...base, bindings });
    expect(failures.map((f) => f.property)).toEqual([
      "bindings[0].outbound.worker.extra",
      "bindings[0].outbound.worker.service",
      "bindings[0].outbound.params[1].name",
      "bindings[0].outbound.params[2]",
    ]);
    const ok = checkWorker({
      ...base,
      bindings: [{ ...bindings[0], outbound: { worker: { service: "outbound" }, params: [{ name: "tenant_id" }] } }],
    });
    expect(ok.failures).toEqual([]);
  });
});

describe("Worker diff", () => {
  it("shows no change for the same inputs, and workersDev alone as an in-place update", () => {
    const { inputs } = checkWorker(base);
    expect(diffWorker(outputsOf(inputs), inputs).changes).toBe(false);
    const on = checkWorker({ ...base, workersDev: true }).inputs;
    expect(diffWorker(outputsOf(inputs), on)).toMatchObject({ changes: true, replaces: [], changedKeys: ["workersDev"] });
  });

  it("replaces on a new name", () => {
    const { inputs } = checkWorker(base);
    expect(diffWorker(outputsOf(inputs), { ...inputs, name: "other" }).replaces).toEqual(["name"]);
  });
});
