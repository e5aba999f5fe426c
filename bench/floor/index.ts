/**
 * The engine's floor for the platform-scale bench: `floor:count` trivial dynamic resources (check returns the
 * inputs, diff finds nothing, read returns what it was given), as many as the platform has tenants, so a run of the
 * platform can be compared with what the same number of resources costs the engine and Pulumi's own provider host.
 */
import * as pulumi from "@pulumi/pulumi";

const count = Number(new pulumi.Config("floor").require("count"));

const trivial: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: async () => ({ changes: false }),
  create: async (inputs) => ({ id: String(inputs.name), outs: inputs }),
  read: async (id, props) => ({ id, props }),
};

class Trivial extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(trivial, name, { name, etag: `etag-${name}` });
  }
}

for (let i = 0; i < count; i++) new Trivial(`t${String(i).padStart(5, "0")}`);
