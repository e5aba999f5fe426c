/**
 * The engine's floor for the platform-scale bench: `floor:count` trivial dynamic resources (check returns the
 * inputs, diff finds nothing, read returns what it was given), as many as the platform has tenants, so a run of the
 * platform can be compared with what the same number of resources costs the engine and Pulumi's own provider host.
 * With `floor:shape` = `tenant` each resource is given, stores and outputs the properties a Tenant of the platform
 * bench does (a script's description, two secrets, a site's digest), so what a Tenant's shape costs the engine
 * can be told from what its provider does.
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

const hex = (salt: string, name: string, length: number) => `${salt}${name}`.padEnd(length, "0");

/**
 * A Tenant of the platform bench as the engine sees it: what the program gives (the structured fields as JSON
 * text, as the Tenant class sends them), what check stores, and the outputs a Tenant keeps; the provider does no
 * more than reshape them.
 */
function tenantShaped(name: string): Record<string, unknown> {
  const dir = `/srv/tenants/${name}`;
  return {
    namespace: "bench-platform",
    tenantId: name,
    plan: "enterprise",
    modules: JSON.stringify([{ name: "worker.js", path: `${dir}/worker.js`, sha256: hex("m", name, 64) }]),
    mainModule: "worker.js",
    compatibilityDate: "2025-06-01",
    bindings: JSON.stringify([
      { name: "ASSETS", type: "assets" },
      { name: "TENANT", text: name, type: "plain_text" },
    ]),
    limits: JSON.stringify({ cpuMs: 5000 }),
    assets: JSON.stringify({ directory: `${dir}/public` }),
    secrets: pulumi.secret({ API_KEY: `key-${name}`, WEBHOOK_SECRET: `hook-${name}` }),
    tags: [`tenant-${name}`, "plan-enterprise"],
    owner: "wfp-owner=platform-floor/bench",
    // The outputs a Tenant's class declares beside its inputs.
    scriptName: undefined,
    etag: undefined,
    secretNames: undefined,
    assetFiles: undefined,
    durableObjectClasses: undefined,
    migrationTag: undefined,
  };
}

const tenantLike: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => {
    const { plan: _plan, assets, ...rest } = news;
    const directory = (JSON.parse(assets) as { directory: string }).directory;
    const secretNames = ["API_KEY", "WEBHOOK_SECRET"];
    const stored = { digest: hex("a", news.tenantId, 16), source: { directory } };
    return { inputs: { ...rest, name: news.tenantId, assetFiles: 3, secretNames, assets: JSON.stringify(stored) } };
  },
  diff: async () => ({ changes: false }),
  create: async (inputs) => ({
    id: `${inputs.namespace}/${inputs.name}`,
    outs: {
      assetFiles: inputs.assetFiles,
      assetsDigest: hex("a", inputs.name, 16),
      digests: JSON.stringify({
        bindings: ["ASSETS=j89JiBNRGlkc", "TENANT=6YMRO5QqJX11"],
        compatibilityDate: "7ylzfRqXX0gc",
        limits: "36LVucKbgjYN",
        mainModule: "B-ud5e278pCD",
        modules: "nxfPeHB-86b8",
      }),
      etag: hex("e", inputs.name, 64),
      namespace: inputs.namespace,
      owner: inputs.owner,
      scriptName: inputs.name,
      secretNames: inputs.secretNames,
      tags: inputs.tags,
    },
  }),
  read: async (id, props) => ({ id, props }),
};

class Trivial extends pulumi.dynamic.Resource {
  constructor(name: string) {
    if (shape === "tenant") super(tenantLike, name, tenantShaped(name));
    else super(trivial, name, { name, etag: `etag-${name}` });
  }
}

for (let i = 0; i < count; i++) new Trivial(`t${String(i).padStart(5, "0")}`);
