/**
 * What Pulumi stores as each resource's `__provider`: the source its dynamic-provider host loads (with
 * require-from-string) to serve the resource's check, diff, create, read, update and delete.
 *
 * Instead of a closure serialized from this package's code (what `pulumi.dynamic.Resource` stores, about
 * 2.4 KB per resource, twice), it is one line that `require()`s this package at run time in the provider
 * process. So no credential or module-level value can ever be captured (pulumi/pulumi#8265), state stays
 * small (at scale the file backend rewrites the whole checkpoint after every step), and `read`/`delete`
 * run the installed provider rather than the code of the last update.
 */
import * as pulumi from "@pulumi/pulumi";

import { type CheckFailure, didYouMean } from "../validation";

export type ResourceKind =
  | "DispatchNamespace"
  | "UserScript"
  | "Worker"
  | "ScriptSecret"
  | "StaticAssets"
  | "Tenant"
  | "KvNamespace"
  | "KvEntries";
const KINDS: readonly ResourceKind[] = [
  "DispatchNamespace",
  "UserScript",
  "Worker",
  "ScriptSecret",
  "StaticAssets",
  "Tenant",
  "KvNamespace",
  "KvEntries",
];

/**
 * A resource's property names, once: the inputs a program may give and the outputs only the provider sets.
 * The class seeds the outputs as undefined (so they are declared to the engine); check tolerates them and
 * names the inputs when it meets anything else.
 */
export interface ResourceSpec {
  kind: ResourceKind;
  inputs: readonly string[];
  outputs: readonly string[];
}

/** Failures for properties that are neither inputs nor outputs of the resource (typos, misplaced fields). */
export function unknownPropertyFailures(spec: ResourceSpec, n: Record<string, unknown>): CheckFailure[] {
  const known = new Set([...spec.inputs, ...spec.outputs]);
  return Object.keys(n)
    .filter((key) => !known.has(key))
    .map((key) => ({
      property: key,
      reason: `is not an input of ${spec.kind}; use ${spec.inputs.join(", ")}${didYouMean(key, spec.inputs)}`,
    }));
}

/** The Pulumi type token module: types are `pulumi-nodejs:dynamic/wfp:<Kind>`. */
export const TYPE_MODULE = "wfp";

/** The dynamic-provider source of a kind; `dynamic.ts` `handler()` returns the provider object. */
export function providerSource(kind: ResourceKind): string {
  return `exports.handler = () => require("pulumi-cloudflare-wfp/dynamic").handler(${JSON.stringify(kind)});\n`;
}

/**
 * The base of our resources: a custom resource of Pulumi's dynamic-provider package (`pulumi-nodejs`), as
 * `pulumi.dynamic.Resource` makes, with {@link providerSource} as its provider.
 */
export abstract class DynamicResource extends pulumi.CustomResource {
  /** `provided`: properties the class itself sets (the script owner), kept over the outputs' seeding. */
  protected constructor(
    spec: ResourceSpec,
    name: string,
    args: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
    provided: pulumi.Inputs = {},
  ) {
    const props: pulumi.Inputs = { ...args };
    for (const key of spec.outputs) props[key] = undefined;
    super(
      `pulumi-nodejs:dynamic/${TYPE_MODULE}:${spec.kind}`,
      name,
      { ...props, ...provided, __provider: providerSource(spec.kind) },
      opts,
    );
  }
}

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
