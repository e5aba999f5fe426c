/**
 * Worker: an account-level Worker script, such as a platform's dispatch Worker or its outbound Worker.
 *
 * Built from the same parts as UserScript (./script): modules, bindings, settings, upload metadata, assets,
 * the pure diff, deploy and read. On top of those it owns one setting user Workers do not have: whether the
 * Worker is served on the account's workers.dev subdomain.
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:Worker <name> <script name>`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderRun } from "../run";
import { operation, type Operation } from "../api/errors";
import type { ScriptRef } from "../api/scripts";
import { getSubdomain, updateSubdomain } from "../api/subdomain";
import { booleanProblem, fieldFailures, isUnknown, type CheckFailure } from "../validation";
import { checkScript, scriptCheckResult } from "./script/check";
import { droppedClassFailures } from "./script/durable-objects";
import { diffScript } from "./script/diff";
import { deployScript, keptAssetsDigest, readScript, syncCrons, withCrons } from "./script/lifecycle";
import { deleteOwnedScript } from "./owner";
import { SCRIPT_INPUT_KEYS, SCRIPT_OUTPUT_KEYS, type ScriptInputs, type ScriptOutputs } from "./script/types";
import { declareTarget, withBindingTargets } from "./deploy-order";
import { declareWorker } from "./hostnames/preflight";
import { storageBindingFailures } from "./storage-preflight";
import { ScriptResource } from "./script/resource";
import { defineProvider, resourceSpec, unknownPropertyFailures, type KeyedDiff } from "./resource-kit";
import type { UserScriptArgs } from "./user-script";

/** Arguments of a {@link Worker}: those of a UserScript, without a namespace, plus `workersDev`. */
export interface WorkerArgs extends Omit<UserScriptArgs, "namespace"> {
  /** Serve the Worker on the account's workers.dev subdomain. Default false. */
  workersDev?: pulumi.Input<boolean>;
}

export interface WorkerInputs extends ScriptInputs {
  workersDev: boolean;
}

export interface WorkerOutputs extends ScriptOutputs {
  workersDev: boolean;
}

export const WORKER = resourceSpec<WorkerArgs>()({
  kind: "Worker",
  inputs: [...SCRIPT_INPUT_KEYS, "workersDev"],
  outputs: SCRIPT_OUTPUT_KEYS,
});

const refOf = (name: string): ScriptRef => ({ script: name });
const opFor = (name: string, verb: string): Operation => operation("Worker", name, verb);

/** Validates and normalizes Worker inputs. Reads `path` modules to hash them; no API calls. */
export function checkWorker(news: Record<string, unknown>, now: Date = new Date()): { inputs: WorkerInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(WORKER, n);
  const script = checkScript(n, failures, now);
  failures.push(...fieldFailures(n, "workersDev", booleanProblem));
  return { inputs: { ...script, workersDev: (n.workersDev as boolean | undefined) ?? false }, failures };
}

/** diff(olds = stored outputs, news = normalized inputs). Pure. */
export function diffWorker(olds: Partial<WorkerOutputs>, news: WorkerInputs): KeyedDiff {
  const diff = diffScript(olds, news);
  if (!isUnknown(news.workersDev) && (olds.workersDev ?? false) === news.workersDev) return diff;
  const changedKeys = [...diff.changedKeys, "workersDev"];
  return { ...diff, changes: true, changedKeys };
}

async function deploy(
  run: ProviderRun,
  inputs: WorkerInputs,
  verb: "create" | "update",
  deployedDigest: string | undefined,
  olds?: WorkerOutputs,
): Promise<WorkerOutputs> {
  const op = opFor(inputs.name, verb);
  const outs = await deployScript(run, refOf(inputs.name), inputs, op, deployedDigest, [], olds);
  return { ...outs, workersDev: inputs.workersDev };
}

export const workerProvider = defineProvider<WorkerInputs, WorkerOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    declareWorker(run, news.name);
    const { inputs, failures } = scriptCheckResult(olds, news, checkWorker(news));
    failures.push(...droppedClassFailures(olds.durableObjects, inputs.durableObjects));
    failures.push(...(await storageBindingFailures(run, olds, inputs, failures, operation("Worker", inputs.name, "check"))));
    return { inputs, failures };
  },

  async diff(_id: string, olds: WorkerOutputs, news: WorkerInputs) {
    return diffWorker(olds, news);
  },

  async create(inputs: WorkerInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const outs = await deploy(run, inputs, "create", undefined);
    await syncCrons(api, refOf(inputs.name), undefined, inputs.crons, opFor(inputs.name, "create"));
    // Stated on create whatever the API's default, so the state is what the program says.
    await updateSubdomain(api, refOf(inputs.name), inputs.workersDev, opFor(inputs.name, "create"));
    return { id: inputs.name, outs };
  },

  /** Refresh and import (id: the script name). `{}` when Cloudflare's script list no longer has it. */
  async read(id: string, stored: Partial<WorkerOutputs>, run: ProviderRun) {
    const name = stored.name ?? id;
    const importing = stored.etag === undefined && stored.modules === undefined;
    const api = run.connect(stored.accountId);
    const op = opFor(name, importing ? "import" : "read");
    const found = await readScript(api, refOf(name), stored, op);
    if (!found) return {};
    const subdomain = await getSubdomain(api, refOf(name), op);
    if (!subdomain) return {};
    const outs: WorkerOutputs = { ...found.outs, workersDev: subdomain.enabled };
    return found.inputs ? { id: name, props: outs, inputs: { ...found.inputs, workersDev: subdomain.enabled } } : { id: name, props: outs };
  },

  async update(_id: string, olds: WorkerOutputs, news: WorkerInputs, run: ProviderRun) {
    const api = run.connect(news.accountId);
    const { changedKeys } = diffWorker(olds, news);
    // workers.dev and the crons have endpoints of their own: a change of those alone uploads nothing.
    const noUpload = changedKeys.every((k) => k === "workersDev" || k === "crons");
    const outs = noUpload
      ? withCrons({ ...olds, workersDev: news.workersDev }, news.crons)
      : await deploy(run, news, "update", keptAssetsDigest(olds), olds);
    await syncCrons(api, refOf(news.name), olds.crons, news.crons, opFor(news.name, "update"));
    if (changedKeys.includes("workersDev")) await updateSubdomain(api, refOf(news.name), news.workersDev, opFor(news.name, "update"));
    return { outs };
  },

  async delete(id: string, props: WorkerOutputs, run: ProviderRun) {
    const name = props.name ?? id;
    await deleteOwnedScript(run.connect(props.accountId), refOf(name), props.owner, opFor(name, "delete"), {
      durableObjectClasses: props.durableObjectClasses,
    });
  },
});

/**
 * An account-level Worker: the platform's dispatch Worker, an outbound Worker, or any Worker of the account.
 *
 * Content, settings, tags, bindings, assets and `workersDev` update in place; a change of `name` or
 * `accountId` replaces it. Every upload keeps secret bindings, so ScriptSecrets (without `namespace`) survive.
 */
export class Worker extends ScriptResource {
  declare public readonly workersDev: pulumi.Output<boolean>;

  constructor(name: string, args: WorkerArgs, opts?: pulumi.CustomResourceOptions) {
    super(WORKER, name, args, withBindingTargets(args, opts));
    declareTarget("Worker", args.name, this);
  }
}
