/**
 * The object Pulumi serializes into each resource's state as `__provider`.
 *
 * It holds no code but a `require()` of this package, resolved at run time in the provider process:
 * so no credential or module-level constant is ever captured (pulumi/pulumi#8265), state stays small
 * (the serialized string is stored per resource), and `read`/`delete` run the installed version of
 * the provider rather than the code of the last update.
 */
import type * as pulumi from "@pulumi/pulumi";

export type ResourceKind = "DispatchNamespace" | "UserScript" | "ScriptSecret" | "StaticAssets";
const KINDS: readonly ResourceKind[] = ["DispatchNamespace", "UserScript", "ScriptSecret", "StaticAssets"];

/** The Pulumi type token module: types are `pulumi-nodejs:dynamic/wfp:<Kind>`. */
export const TYPE_MODULE = "wfp";

/** A diff that also names the changed properties: Pulumi's host ignores the list; drift reports use it. */
export interface KeyedDiff extends pulumi.dynamic.DiffResult {
  changedKeys: string[];
}

/** The resource kind of a URN of ours: `urn:pulumi:stack::project::[parent$]pulumi-nodejs:dynamic/wfp:UserScript::name`. */
export function kindOfUrn(urn: string): ResourceKind | undefined {
  const parts = urn.split("::");
  if (parts.length < 4) return undefined;
  const type = parts[2].split("$").pop() ?? "";
  const prefix = `pulumi-nodejs:dynamic/${TYPE_MODULE}:`;
  if (!type.startsWith(prefix)) return undefined;
  const kind = type.slice(prefix.length) as ResourceKind;
  return KINDS.includes(kind) ? kind : undefined;
}

const providerCache = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

export function thinProvider(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  const cached = providerCache.get(kind);
  if (cached) return cached;
  // Everything below is serialized: keep it free of imports and module-level values.
  const load = (): Required<pulumi.dynamic.ResourceProvider> =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("pulumi-cloudflare-wfp/dynamic").providers[kind];
  const provider: pulumi.dynamic.ResourceProvider = {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    configure: async (req) => require("pulumi-cloudflare-wfp/dynamic").configure(req),
    check: async (olds, news) => load().check(olds, news),
    diff: async (id, olds, news) => load().diff(id, olds, news),
    create: async (inputs) => load().create(inputs),
    read: async (id, props) => load().read(id, props),
    update: async (id, olds, news) => load().update(id, olds, news),
    delete: async (id, props) => load().delete(id, props),
  };
  providerCache.set(kind, provider);
  return provider;
}
