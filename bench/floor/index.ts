/**
 * The engine's floor for the platform-scale bench: `floor:count` trivial dynamic resources (check returns the
 * inputs, diff finds nothing, read returns what it was given), as many as the platform has tenants, so a run of the
 * platform can be compared with what the same number of resources costs the engine and Pulumi's own provider host.
 * With `floor:shape` = `tenant` each resource carries the properties a Tenant stores (a script's description, a
 * secret, a site's digest), so what a Tenant's size costs can be told from what its provider does.
 */
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config("floor");
const count = Number(config.require("count"));
const shape = config.get("shape") ?? "trivial";

const trivial: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: async () => ({ changes: false }),
  create: async (inputs) => ({ id: String(inputs.name), outs: inputs }),
  read: async (id, props) => ({ id, props }),
};

/** What a Tenant of the bench stores in its inputs (its outputs hold about as much). */
function tenantShaped(name: string): Record<string, unknown> {
  const digest = (salt: string) => `${salt}${name}`.padEnd(64, "0");
  return {
    name,
    etag: `etag-${name}`,
    namespace: "bench-platform",
    tenantId: name,
    assetFiles: 3,
    assets: {
      config: {},
      digest: digest("a"),
      source: { directory: `/srv/tenants/${name}/public`, isolationSalt: name, maxFiles: 100000 },
    },
    bindings: [
      { name: "ASSETS", type: "assets" },
      { name: "TENANT", text: name, type: "plain_text" },
    ],
    compatibilityDate: "2025-06-01",
    compatibilityFlags: [],
    limits: { cpuMs: 5000 },
    logpush: false,
    mainModule: "worker.js",
    modules: [{ name: "worker.js", path: `/srv/tenants/${name}/worker.js`, sha256: digest("m"), type: "application/javascript+module" }],
    observability: { enabled: false },
    owner: "wfp-owner=platform-floor/bench",
    placement: {},
    secretNames: ["API_KEY", "WEBHOOK_SECRET"],
    secrets: pulumi.secret({ API_KEY: `key-${name}`, WEBHOOK_SECRET: `hook-${name}` }),
    tags: [`tenant-${name}`, "plan-enterprise"],
    tailConsumers: [],
    usageModel: "standard",
  };
}

class Trivial extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(trivial, name, shape === "tenant" ? tenantShaped(name) : { name, etag: `etag-${name}` });
  }
}

for (let i = 0; i < count; i++) new Trivial(`t${String(i).padStart(5, "0")}`);
