/**
 * Each resource's `__provider`: the source the dynamic-provider host loads (with require-from-string) to serve the
 * resource's check, diff, create, read, update and delete (Pulumi's own host stores it with the resource).
 *
 * Instead of a closure serialized from this package's code (what `pulumi.dynamic.Resource` stores, about
 * 2.4 KB per resource, twice), it is one line that `require()`s this package at run time in the provider
 * process. So no credential or module-level value can ever be captured, state stays
 * small (at scale the file backend rewrites the whole checkpoint after every step), and `read`/`delete`
 * run the installed provider rather than the code of the last update.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ProviderRun } from "../run";

import { type CheckFailure, withoutInternalKeys } from "../validation";
import { didYouMean } from "../did-you-mean";
import type { FieldChange } from "./field-changes";
import { fromWire, toWire, type WireForm } from "./wire-form";

export type ResourceKind =
  | "DispatchNamespace"
  | "UserScript"
  | "Worker"
  | "ScriptSecret"
  | "StaticAssets"
  | "Tenant"
  | "WorkerDomain"
  | "WorkerRoute"
  | "CustomHostname"
  | "KvNamespace"
  | "KvEntries"
  | "D1Database"
  | "R2Bucket";
const KINDS: readonly ResourceKind[] = [
  "DispatchNamespace",
  "UserScript",
  "Worker",
  "ScriptSecret",
  "StaticAssets",
  "Tenant",
  "WorkerDomain",
  "WorkerRoute",
  "CustomHostname",
  "KvNamespace",
  "KvEntries",
  "D1Database",
  "R2Bucket",
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
  /** The fields stored as JSON text (wire-form.ts); none by default. */
  wire?: WireForm;
  /**
   * The properties the class reads back as outputs, when not every input and output: the class then registers
   * these and the inputs the program gives, no more (the SDK makes an Output of each registered key, a dozen
   * promises apiece, whether or not anyone reads it).
   */
  exposed?: readonly string[];
}

/** Keys of `Args` missing from `K`: `never` when the list names every input. */
type MissingInputs<Args, K extends readonly PropertyKey[]> = Exclude<keyof Args, K[number]>;

/**
 * A ResourceSpec whose inputs the compiler checks against the resource's `Args`: each must be a key of it, and
 * every key of it must be listed (a missing one asks for an argument naming it).
 */
export function resourceSpec<Args>() {
  return <const K extends readonly (keyof Args & string)[]>(
    spec: { kind: ResourceKind; inputs: K; outputs: readonly string[]; wire?: WireForm; exposed?: readonly string[] },
    ..._everyInput: [MissingInputs<Args, K>] extends [never] ? [] : [missing: MissingInputs<Args, K>]
  ): ResourceSpec & { inputs: K } => spec;
}

/**
 * A resource's provider methods over clean, typed values: `check` gets the program's properties, the others
 * check's normalized inputs (`I`) and the stored outputs (`O`), all without the engine's internal keys. Each also
 * gets the run it serves (run.ts), last: the pure ones leave it out.
 */
export interface ResourceMethods<I, O> {
  check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun): Promise<pulumi.dynamic.CheckResult<Partial<I>>>;
  /** `priorInputs`: the stored inputs, where the host passes them (plugin-host.ts; Pulumi's own host does not). */
  diff(id: string, olds: O, news: I, run: ProviderRun, priorInputs?: Partial<I>): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: I, run: ProviderRun): Promise<pulumi.dynamic.CreateResult<O>>;
  read(id: string, props: Partial<O>, run: ProviderRun): Promise<pulumi.dynamic.ReadResult>;
  update(id: string, olds: O, news: I, run: ProviderRun, priorInputs?: Partial<I>): Promise<pulumi.dynamic.UpdateResult<O>>;
  delete(id: string, props: O, run: ProviderRun): Promise<void>;
}

/** A kind's provider as the engine calls it, serving one run. */
export type RunProvider = (run: ProviderRun) => pulumi.dynamic.ResourceProvider;

/** Internal keys (`__provider`, ...) removed; a missing value (a read without state) becomes `{}`. */
const clean = <T>(value: unknown): T => withoutInternalKeys((value ?? {}) as Record<string, unknown>) as T;

const NO_WIRE: WireForm = { inputs: [], outputs: [] };

/**
 * The one place a resource's methods meet the engine's values: internal keys are stripped here, once, and the
 * fields a kind stores as JSON text (`wire`, wire-form.ts) are parsed on the way in and written on the way out.
 */
export function defineProvider<I, O>(methods: ResourceMethods<I, O>, wire: WireForm = NO_WIRE): RunProvider {
  const inputs = <T>(value: unknown): T => fromWire(clean<T>(value), wire.inputs);
  const outputs = <T>(value: unknown): T => fromWire(clean<T>(value), wire.outputs);
  const priorInputs = <T>(value: unknown): T | undefined => (value === undefined ? undefined : inputs<T>(value));
  return (run) => ({
    check: async (olds, news) => {
      const result = await methods.check(inputs(olds), inputs(news), run);
      return { ...result, inputs: toWire(result.inputs, wire.inputs) };
    },
    diff: (id, olds, news, prior?: unknown) => methods.diff(id, outputs(olds), inputs(news), run, priorInputs(prior)),
    create: async (news) => {
      const result = await methods.create(inputs(news), run);
      return { ...result, outs: toWire(result.outs, wire.outputs) };
    },
    read: async (id, props) => {
      const result = await methods.read(id, outputs(props), run);
      return { ...result, props: toWire(result.props, wire.outputs) };
    },
    update: async (id, olds, news, prior?: unknown) => {
      const result = await methods.update(id, outputs(olds), inputs(news), run, priorInputs(prior));
      return { ...result, outs: toWire(result.outs, wire.outputs) };
    },
    delete: (id, props) => methods.delete(id, outputs(props), run),
  });
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

/** The program's arguments as the class registers them: the fields of `spec.wire` it has whole as their text, as check stores them. */
export function programInputs(spec: ResourceSpec, args: pulumi.Inputs): pulumi.Inputs {
  return toWire(
    { ...args },
    (spec.wire?.inputs ?? []).filter((key) => settled(args[key])),
  );
}

/** A value with no output or promise anywhere inside: the program has it whole. */
function settled(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || typeof (value as { then?: unknown } | null)?.then === "function") return false;
  if (typeof value !== "object" || value === null) return true;
  return Object.values(value).every(settled);
}

/** The Pulumi type token module: types are `pulumi-nodejs:dynamic/wfp:<Kind>`. */
export const TYPE_MODULE = "wfp";

/**
 * The dynamic-provider source of a kind; `dynamic.ts` `handler()` returns the provider object. Pulumi's own host
 * stores it twice per resource (inputs and outputs), so without a space to spare; ours supplies it by type and
 * stores none (plugin-host.ts). Earlier versions' longer line stays valid.
 */
export function providerSource(kind: ResourceKind): string {
  return `exports.handler=()=>require("pulumi-cloudflare-wfp/dynamic").handler(${JSON.stringify(kind)})`;
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
    super(`pulumi-nodejs:dynamic/${TYPE_MODULE}:${spec.kind}`, name, registeredProps(spec, args, provided), opts);
  }
}

/**
 * What a class registers: the program's inputs (programInputs) and the outputs seeded as undefined, so the SDK makes
 * them Outputs; with `spec.exposed`, only the inputs given and the exposed outputs.
 */
export function registeredProps(spec: ResourceSpec, args: pulumi.Inputs, provided: pulumi.Inputs = {}): pulumi.Inputs {
  const props = programInputs(spec, args);
  if (spec.exposed === undefined) for (const key of spec.outputs) props[key] = undefined;
  else {
    for (const key of Object.keys(props)) if (props[key] === undefined) delete props[key];
    for (const key of spec.exposed) if (!(key in props)) props[key] = undefined;
  }
  return { ...props, ...provided, __provider: providerSource(spec.kind) };
}

/**
 * A diff that also names the changed properties: the top-level keys, and where the diff can tell, each changed
 * entry or item (field-changes.ts), which the plugin host passes to the engine as the detailed diff.
 */
export interface KeyedDiff extends pulumi.dynamic.DiffResult {
  changedKeys: string[];
  /** Absent: each changed key is a whole-property update. */
  fields?: FieldChange[];
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
