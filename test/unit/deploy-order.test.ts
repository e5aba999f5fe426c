import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { declareTarget, withBindingTargets, withNamedNamespace, withNamedWorker } from "../../provider/resources/deploy-order";

const fake = (name: string) => ({ urn: `urn:${name}` }) as unknown as pulumi.Resource;

describe("bindings to resources of the same program", () => {
  const outbound = fake("outbound");
  const ns = fake("ns");
  const auth = fake("auth");
  declareTarget("Worker", "refs-outbound", outbound);
  declareTarget("Worker", "refs-auth", auth);
  declareTarget("DispatchNamespace", "refs-customers", ns);

  it("depend on the Workers and namespaces they name by plain strings", () => {
    const opts = withBindingTargets(
      {
        bindings: [
          { type: "dispatch_namespace", name: "D", namespace: "refs-customers", outbound: { worker: { service: "refs-outbound" } } },
          { type: "service", name: "AUTH", service: "refs-auth" },
        ],
      },
      { dependsOn: [fake("other")] },
    );
    expect(opts?.dependsOn as unknown[]).toHaveLength(4);
    expect(opts?.dependsOn).toEqual(expect.arrayContaining([outbound, ns, auth]));
  });

  it("leave options alone when nothing names a target of the program", () => {
    const opts = { protect: true };
    expect(withBindingTargets({ bindings: [{ type: "service", name: "X", service: "elsewhere" }] }, opts)).toBe(opts);
    expect(withBindingTargets({ tailConsumers: [{ service: "refs-auth" }] }, undefined)?.dependsOn).toEqual([auth]);
  });
});

describe("a route or custom domain naming a Worker of the same program", () => {
  const edge = fake("edge");
  declareTarget("Worker", "refs-edge", edge);

  it("depends on it, so the Worker's check (which the route's relies on) comes first", () => {
    expect(withNamedWorker("refs-edge", { dependsOn: fake("other") })?.dependsOn).toEqual([fake("other"), edge]);
    const opts = { protect: true };
    expect(withNamedWorker("elsewhere", opts)).toBe(opts);
  });
});

describe("a tenant's resource naming a DispatchNamespace of the same program", () => {
  const tenants = fake("tenants");
  declareTarget("DispatchNamespace", "refs-tenants", tenants);
  declareTarget("Worker", "refs-a-worker", fake("a-worker"));

  it("depends on it, so the namespace's check (which declares it to theirs) comes first", () => {
    expect(withNamedNamespace("refs-tenants", { dependsOn: [fake("other")] })?.dependsOn).toEqual([fake("other"), tenants]);
    const opts = { protect: true };
    expect(withNamedNamespace("elsewhere", opts)).toBe(opts);
    expect(withNamedNamespace("refs-a-worker", opts)).toBe(opts); // a Worker's name is not a namespace's
  });
});
