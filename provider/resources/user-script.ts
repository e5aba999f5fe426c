/**
 * UserScript: a tenant's Worker script uploaded into a dispatch namespace.
 *
 * Lifecycle, top to bottom:
 * - check: validate every input; read `path` modules and record their sha256 (a file change is a diff);
 * - diff (pure): namespace / name / account replace; content, settings, tags, bindings and assets update in place;
 * - create / update: one multipart PUT of the whole script (`?bindings_inherit=strict`), always with
 *   `keep_bindings: ["secret_text","secret_key"]` so that ScriptSecrets survive code deploys;
 * - read: GET script details (existence, etag) and settings (compatibility, bindings without secrets,
 *   limits, logpush, observability, placement, tail consumers, tags);
 * - delete: DELETE, unless another stack's owner tag is on the script now (left, with a warning); gone (by
 *   Cloudflare's code) is success.
 *
 * The parts (modules, bindings, settings, metadata, diff, deploy and read) live in ./script, shared with
 * account-level Workers.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { UsageModel } from "../../cloudflare/scripts";
import type { ProviderRun } from "../run";
import { operation } from "../api/errors";
import type { ScriptRef } from "../api/scripts";
import type { AssetsAttachment } from "../assets/attach";
import { fieldFailures, namespaceNameProblem, type CheckFailure } from "../validation";
import type { Binding, DeepInput } from "./script/bindings";
import { checkScript, scriptCheckResult } from "./script/check";
import { droppedClassFailures, type DurableObjectsArgs } from "./script/durable-objects";
import { diffScript } from "./script/diff";
import { deployScript, keptAssetsDigest, readScript, syncCrons, withCrons } from "./script/lifecycle";
import type { ModuleArgs } from "./script/modules";
import { deleteOwnedScript } from "./owner";
import type { ObservabilityArgs, PlacementArgs, TailConsumer } from "./script/settings";
import { SCRIPT_INPUT_KEYS, SCRIPT_OUTPUT_KEYS, type ScriptInputs, type ScriptOutputs } from "./script/types";
import { withBindingTargets, withNamedNamespace } from "./deploy-order";
import { namespaceFailures } from "./namespace-preflight";
import { storageBindingFailures } from "./storage-preflight";
import { ScriptResource } from "./script/resource";
import { defineProvider, resourceSpec, unknownPropertyFailures, type KeyedDiff } from "./resource-kit";

export { bindingFromWire, bindingToWire, type Binding } from "./script/bindings";
export { buildMetadata } from "./script/metadata";
export type { ModuleType } from "../../cloudflare/scripts";
export { MAX_MODULE_BYTES, type ModuleArgs } from "./script/modules";
export { settingsFromWire, type ObservabilityArgs, type PlacementArgs, type TailConsumer } from "./script/settings";

/** Arguments of a {@link UserScript}. */
export interface UserScriptArgs {
  /** The dispatch namespace name. Changing it replaces the script (created in the new namespace first). */
  namespace: pulumi.Input<string>;
  /** The script name (lowercase letters, digits, `-`, `_`; 1–63). Changing it replaces the script. */
  name: pulumi.Input<string>;
  /** The modules; the first is the main module unless `mainModule` says otherwise. */
  modules: pulumi.Input<pulumi.Input<ModuleArgs>[]>;
  /** The module the runtime starts from (an ES module or Python module). Default: the first module. */
  mainModule?: pulumi.Input<string>;
  /** The Workers compatibility date, YYYY-MM-DD (a real date, not in the future). Required. */
  compatibilityDate: pulumi.Input<string>;
  /** Compatibility flags, e.g. `["nodejs_compat"]`. */
  compatibilityFlags?: pulumi.Input<pulumi.Input<string>[]>;
  /** Bindings (no secrets: use ScriptSecret). Names must be unique identifiers. */
  bindings?: DeepInput<Binding[]>;
  /** Script tags: at most 7 (the 8th names the owning stack), each ≤ 1024 characters without `,` or `&`. */
  tags?: pulumi.Input<pulumi.Input<string>[]>;
  /** `standard` (default), `bundled` or `unbound`. */
  usageModel?: pulumi.Input<UsageModel>;
  /** CPU time limit per invocation, in milliseconds (1–300000). */
  limits?: pulumi.Input<{ cpuMs?: pulumi.Input<number> }>;
  /** Whether Workers Logpush is on. Default false. */
  logpush?: pulumi.Input<boolean>;
  /** Workers observability. Default `{ enabled: false }`. */
  observability?: pulumi.Input<ObservabilityArgs>;
  /** Placement: `{ mode: "smart" }`, `{ region }`, `{ hostname }` or `{ host }`. */
  placement?: pulumi.Input<PlacementArgs>;
  /** Tail consumers. */
  tailConsumers?: pulumi.Input<pulumi.Input<TailConsumer>[]>;
  /** Static assets from a StaticAssets resource (`staticAssets.attachment`). Diffs on its digest only. */
  assets?: pulumi.Input<AssetsAttachment>;
  /**
   * The SQLite-backed Durable Object classes the main module exports. Each upload that changes them carries the
   * migrations from what the last deploy left: a new class is created; a rename happens only through
   * `renamedClasses`; a class left out is refused unless `deletedClasses` names it (which deletes its objects' data).
   */
  durableObjects?: DeepInput<DurableObjectsArgs>;
  /** Cron triggers, e.g. `["0,30 * * * *"]` (5 fields, UTC; weekdays 1-7 from Sunday): the Worker's scheduled() runs on them. */
  crons?: pulumi.Input<pulumi.Input<string>[]>;
  /** The Cloudflare account id; defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

/** Normalized inputs (check's result). */
export interface UserScriptInputs extends ScriptInputs {
  namespace: string;
}

/** Outputs: the inputs minus module content, plus etags and the deployed assets digest. */
export interface UserScriptOutputs extends ScriptOutputs {
  namespace: string;
}

export const USER_SCRIPT = resourceSpec<UserScriptArgs>()({
  kind: "UserScript",
  inputs: ["namespace", ...SCRIPT_INPUT_KEYS],
  outputs: SCRIPT_OUTPUT_KEYS,
});

const refOf = (i: { namespace: string; name: string }): ScriptRef => ({ namespace: i.namespace, script: i.name });
const opFor = (i: { namespace: string; name: string }, verb: string) => operation("UserScript", `${i.namespace}/${i.name}`, verb);

/** Validates and normalizes UserScript inputs. Reads `path` modules to hash them; no API calls. */
export function checkUserScript(
  news: Record<string, unknown>,
  now: Date = new Date(),
): { inputs: UserScriptInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(USER_SCRIPT, n);
  failures.push(...fieldFailures(n, "namespace", namespaceNameProblem, "the dispatch namespace name"));
  const inputs = { namespace: n.namespace as string, ...checkScript(n, failures, now) };
  return { inputs, failures };
}

/** diff(olds = stored outputs, news = normalized inputs). Pure. */
export function diffUserScript(olds: Partial<UserScriptOutputs>, news: UserScriptInputs): KeyedDiff {
  return diffScript(olds, news);
}

/** Splits a UserScript id `<namespace>/<script>`. */
export function parseUserScriptId(id: string): { namespace: string; name: string } {
  const parts = id.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new Error(`UserScript: invalid id ${JSON.stringify(id)}: expected <namespace>/<script name>`);
  }
  return { namespace: parts[0], name: parts[1] };
}

/** The upload (skipped when only the crons changed), then the schedules when they differ from `olds`'. */
async function deploy(run: ProviderRun, inputs: UserScriptInputs, olds: UserScriptOutputs | undefined): Promise<UserScriptOutputs> {
  const api = run.connect(inputs.accountId);
  const op = opFor(inputs, olds ? "update" : "create");
  const onlyCrons = olds !== undefined && diffScript(olds, inputs).changedKeys.every((k) => k === "crons");
  const outs = onlyCrons
    ? withCrons(olds, inputs.crons)
    : await deployScript(run, refOf(inputs), inputs, op, olds && keptAssetsDigest(olds), [], olds);
  await syncCrons(api, refOf(inputs), olds?.crons, inputs.crons, op);
  return outs as UserScriptOutputs;
}

export const userScriptProvider = defineProvider<UserScriptInputs, UserScriptOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    const { inputs, failures } = scriptCheckResult(olds, news, checkUserScript(news));
    failures.push(...droppedClassFailures(olds.durableObjects, inputs.durableObjects));
    failures.push(...(await namespaceFailures(run, olds, inputs, failures, opFor(inputs, "check"))));
    failures.push(...(await storageBindingFailures(run, olds, inputs, failures, opFor(inputs, "check"))));
    return { inputs, failures };
  },

  async diff(_id: string, olds: UserScriptOutputs, news: UserScriptInputs) {
    return diffUserScript(olds, news);
  },

  async create(inputs: UserScriptInputs, run: ProviderRun) {
    const outs = await deploy(run, inputs, undefined);
    return { id: `${inputs.namespace}/${inputs.name}`, outs };
  },

  /**
   * Refresh and import. Import id: `<namespace>/<script name>`. Returns `{}` when Cloudflare says the script or
   * its namespace is gone. On import (no stored outputs) it also returns inputs rebuilt from the API, with module
   * contents read back. On refresh it returns no inputs, so the program's stay the reference for drift.
   */
  async read(id: string, stored: Partial<UserScriptOutputs>, run: ProviderRun) {
    const key = stored.namespace && stored.name ? { namespace: stored.namespace, name: stored.name } : parseUserScriptId(id);
    const importing = stored.etag === undefined && stored.modules === undefined;
    const found = await readScript(run.connect(stored.accountId), refOf(key), stored, opFor(key, importing ? "import" : "read"));
    if (!found) return {};
    const result = { id: `${key.namespace}/${key.name}`, props: found.outs };
    return found.inputs ? { ...result, inputs: found.inputs } : result;
  },

  async update(_id: string, olds: UserScriptOutputs, news: UserScriptInputs, run: ProviderRun) {
    return { outs: await deploy(run, news, olds) };
  },

  async delete(id: string, props: UserScriptOutputs, run: ProviderRun) {
    const key = props.namespace && props.name ? props : parseUserScriptId(id);
    await deleteOwnedScript(run.connect(props.accountId), refOf(key), props.owner, opFor(key, "delete"), {
      durableObjectClasses: props.durableObjectClasses,
    });
  },
});

/**
 * A Worker script in a dispatch namespace.
 *
 * - Content, settings, tags, bindings and assets changes update the script in place (one PUT).
 * - A change of `namespace` or `name` replaces it; ScriptSecrets on it are replaced along with it
 *   because their `namespace` / `scriptName` inputs change too.
 * - Every upload keeps secret bindings (`keep_bindings`), so ScriptSecrets survive deploys.
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:UserScript <name> <namespace>/<script name>`.
 */
export class UserScript extends ScriptResource {
  declare public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: UserScriptArgs, opts?: pulumi.CustomResourceOptions) {
    super(USER_SCRIPT, name, args, withNamedNamespace(args.namespace, withBindingTargets(args, opts)));
  }
}
