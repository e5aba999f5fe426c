/**
 * The example platform, all from tenants.yaml:
 * - a dispatch namespace, and one Tenant (user Worker, secrets, static assets) per entry;
 * - an outbound Worker that sees every fetch() of the user Workers: it blocks the file's `blockedHosts` and tells
 *   other hosts which tenant is calling;
 * - the dispatch Worker, on workers.dev, that routes a request to the tenant's Worker with the custom limits of its
 *   plan: by its hostname through a KV namespace the stack writes (`<hostname>` and `tenant:<id>` → tenant and
 *   plan), else by `<tenant>.<domain>` or `/<tenant>/`.
 * Adding or removing an entry adds or removes exactly that tenant's resources and its routing keys; the dispatch
 * and outbound Workers are not uploaded again.
 *
 * Config (root Pulumi.yaml): `platform:namespace`, `platform:tenantsFile` (relative to the project),
 * `platform:domain` (the routing domain, default `localhost`), `platform:zone` (the Cloudflare for SaaS zone of the
 * tenants' own hostnames, default `platform.test`; used when a tenant lists `hostnames`), `platform:shard` (see shards.ts: unset, `core`
 * or `i/N`), and the tenants' secret values (see secrets.ts: `platform:secretsFile`, or one secret config value per
 * key with `pulumi config set --secret platform:<key> <value>`).
 */
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
// Users import from "pulumi-cloudflare-wfp"; inside this repository the example uses the source.
import {
  CustomHostname,
  D1Database,
  DispatchNamespace,
  KvEntries,
  KvNamespace,
  R2Bucket,
  Tenant,
  Worker,
  WorkerRoute,
} from "../../provider";
import { resolveSecrets } from "./secrets";
import { parseShard, stackHolds } from "./shards";
import { loadPlatformFile, PLANS } from "./tenants";

const config = new pulumi.Config("platform");
const root = pulumi.getRootDirectory();
// The platform's own Workers are part of this program: found beside its source, wherever the project runs
// (the program runs compiled, from dist/examples/platform).
const here = (...parts: string[]) => path.resolve(__dirname, "../../../examples/platform", ...parts);
const platform = loadPlatformFile(path.resolve(root, config.get("tenantsFile") ?? "examples/platform/tenants.yaml"));
const domain = config.get("domain") ?? "localhost";
const zone = config.get("zone") ?? "platform.test";
const compatibilityDate = "2025-06-01";

const configuredNamespace = config.get("namespace") ?? "platform-tenants";
const holds = stackHolds(parseShard(config.get("shard")));

// The core: the namespace and the platform's own Workers. A tenant shard uses the namespace the core stack owns.
const namespace = holds.core ? new DispatchNamespace("platform", { name: configuredNamespace }) : undefined;
const namespaceRef: pulumi.Input<string> = namespace?.name ?? configuredNamespace;

const outbound =
  namespace &&
  new Worker("outbound", {
    name: pulumi.interpolate`${namespace.name}-outbound`,
    modules: [{ name: "worker.js", path: here("outbound/worker.js") }],
    compatibilityDate,
    bindings: [{ type: "json", name: "BLOCKED_HOSTS", json: platform.blockedHosts }],
  });

const ours = platform.tenants.filter((t) => holds.tenant(t.id));
const secretValues = resolveSecrets(
  ours.flatMap((t) => Object.entries(t.secrets).map(([name, key]) => ({ tenant: t.id, name, key }))),
  config,
  root,
);

// A tenant's own KV namespaces (seed 001's pattern): one KvNamespace each, bound by its id.
const tenantKv = (t: (typeof ours)[number]) =>
  t.kvNamespaces.map((binding) => {
    const kv = new KvNamespace(`${t.id}-${binding.toLowerCase()}`, { title: `${configuredNamespace}-${t.id}-${binding.toLowerCase()}` });
    return { type: "kv_namespace" as const, name: binding, namespaceId: kv.namespaceId };
  });

// A tenant's own D1 databases (with their migrations) and R2 buckets, named after the stack, tenant and binding: not
// after the namespace, which can be renamed in place, while a database or bucket cannot (a new name would replace it).
// Their data is never deleted by accident: removing a tenant whose database or bucket holds data, or whose Worker has
// Durable Objects, fails until `platform:destroyStorage` is true (set it, `pulumi up`, then remove the tenant or
// destroy the stack). That `up` records the databases' and buckets' forceDestroy, and deletes the Durable Object
// classes' objects at once: on Cloudflare a class's objects go by a migration of its Worker, not with a resource.
const destroyStorage = config.getBoolean("destroyStorage") ?? false;
const storageName = (t: (typeof ours)[number], binding: string) =>
  `${pulumi.getStack()}-${t.id}-${binding}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 63)
    .replace(/-+$/, "");
const tenantStorage = (t: (typeof ours)[number]) => [
  ...t.d1Databases.map(({ binding, migrationsDir }) => {
    const db = new D1Database(`${t.id}-${binding.toLowerCase()}`, {
      name: storageName(t, binding),
      migrationsDir,
      forceDestroy: destroyStorage,
    });
    return { type: "d1" as const, name: binding, databaseId: db.databaseId };
  }),
  ...t.r2Buckets.map((binding) => {
    const bucket = new R2Bucket(`${t.id}-${binding.toLowerCase()}`, { name: storageName(t, binding), forceDestroy: destroyStorage });
    return { type: "r2_bucket" as const, name: binding, bucketName: bucket.name };
  }),
  // Its Durable Object classes live in its own Worker: bound by class name, migrated by the Tenant (not bound once
  // they are to be deleted).
  ...(destroyStorage ? [] : t.durableObjects).map(({ binding, className }) => ({
    type: "durable_object_namespace" as const,
    name: binding,
    className,
  })),
];

/** The Tenant's Durable Objects: its classes, or with `destroyStorage` none, its classes deleted on purpose. */
const tenantObjects = (t: (typeof ours)[number]) => {
  const classes = t.durableObjects.map((d) => d.className);
  if (classes.length === 0) return undefined;
  return destroyStorage ? { classes: [], deletedClasses: classes } : { classes };
};

const tenants = ours.map(
  (t) =>
    new Tenant(t.id, {
      namespace: namespaceRef,
      tenantId: t.id,
      plan: t.plan,
      tags: t.tags,
      modules: t.worker.modules.map((name) => ({ name, path: path.join(t.worker.dir, name) })),
      mainModule: t.worker.mainModule,
      compatibilityDate: t.worker.compatibilityDate,
      compatibilityFlags: t.worker.compatibilityFlags,
      bindings: [...(t.worker.bindings ?? []), ...tenantKv(t), ...tenantStorage(t)] as never,
      durableObjects: tenantObjects(t),
      limits: { cpuMs: PLANS[t.plan].cpuMs },
      secrets: Object.fromEntries(Object.entries(t.secrets).map(([name, key]) => [name, secretValues.get(key) as pulumi.Output<string>])),
      assets: t.assets && {
        directory: t.assets.directory,
        config: {
          htmlHandling: t.assets.htmlHandling,
          notFoundHandling: t.assets.notFoundHandling,
          runWorkerFirst: t.assets.runWorkerFirst,
        } as never,
      },
    }),
);

// The routing table: a key per hostname and per tenant id. A tenant added or removed changes these keys only.
const routes = namespace && new KvNamespace("routes", { title: pulumi.interpolate`${namespace.name}-routes` });
const routeEntries: Record<string, string> = {};
for (const t of platform.tenants) {
  const value = JSON.stringify({ tenant: t.id, plan: t.plan });
  routeEntries[`tenant:${t.id}`] = value;
  for (const host of t.hostnames) routeEntries[host] = value;
}
if (routes) new KvEntries("routes", { namespaceId: routes.namespaceId, entries: routeEntries });

const dispatcher =
  namespace &&
  outbound &&
  routes &&
  new Worker("dispatcher", {
    name: pulumi.interpolate`${namespace.name}-dispatcher`,
    modules: [{ name: "worker.js", path: here("dispatcher/worker.js") }],
    compatibilityDate,
    workersDev: true,
    bindings: [
      {
        type: "dispatch_namespace",
        name: "DISPATCHER",
        namespace: namespace.name,
        outbound: { worker: { service: outbound.name }, params: [{ name: "tenant_id" }] },
      },
      { type: "json", name: "PLANS", json: PLANS },
      { type: "kv_namespace", name: "ROUTES", namespaceId: routes.namespaceId },
      { type: "plain_text", name: "ROUTING_DOMAIN", text: domain },
    ],
  });

// Tenants' own hostnames: every host of the zone, its custom hostnames included, goes to the dispatcher, which finds
// the tenant by hostname in ROUTES.
if (dispatcher && platform.tenants.some((t) => t.hostnames.length > 0))
  new WorkerRoute("saas", { zone, pattern: "*/*", script: dispatcher.name });
const hostnames = ours.flatMap((t) =>
  t.hostnames.map((hostname) => ({
    tenant: t.id,
    resource: new CustomHostname(`${t.id}-${hostname}`, { zone, hostname, customMetadata: { tenant: t.id } }),
  })),
);

export const namespaceName = namespaceRef;
export const dispatcherName = dispatcher?.name;
export const outboundName = outbound?.name;
export const routingDomain = domain;
export const customHostnames = pulumi.all(
  hostnames.map(({ tenant, resource: r }) =>
    pulumi.all([r.hostname, r.status, r.ownershipVerification]).apply(([hostname, status, ownership]) => ({
      tenant,
      hostname,
      status,
      ownership,
    })),
  ),
);
export const routesNamespaceId = routes?.namespaceId;
export const deployed = pulumi.all(
  tenants.map((t) =>
    pulumi.all([t.scriptName, t.etag, t.tags, t.secretNames, t.assetFiles]).apply(([script, etag, tags, secrets, assetFiles]) => ({
      script,
      etag,
      tags,
      secrets,
      assetFiles,
    })),
  ),
);
