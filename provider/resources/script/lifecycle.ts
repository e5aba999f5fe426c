/**
 * The side effects of a script resource, for any {@link ScriptRef}: deploy (one multipart PUT) and read back
 * (details, settings, tags; modules on import). UserScript and account-level Workers call these.
 */
import type { CloudflareApi } from "../../api/client";
import type { Operation } from "../../api/errors";
import type { ProviderRun } from "../../run";
import { buildScriptUploadForm } from "../../api/multipart";
import { getSchedules, putSchedules } from "../../api/schedules";
import { getScript, uploadScript, type ScriptRef } from "../../api/scripts";
import { getScriptSettings, getScriptTags } from "../../api/settings";
import { deepEqual } from "../../deep-equal";
import { SECRET_BINDING_TYPES } from "../../../cloudflare/bindings";
import { bindingFromWire, type Binding } from "./bindings";
import { type DeployedDurableObjects, planMigrations } from "./durable-objects";
import { assetsMetadata, buildMetadata } from "./metadata";
import { loadModules, readModules, type ModuleInput } from "./modules";
import { claimScript, splitOwner } from "../owner";
import { settingsFromWire } from "./settings";
import type { ScriptInputs, ScriptOutputs } from "./types";

/**
 * Uploads the whole script and returns its outputs. `deployedDigest`: the assets digest the script has now, if ours.
 * A create first claims the name: it adopts a script this stack owns and refuses any other (./owner).
 * `secrets`: `secret_text` bindings sent with the upload (other secrets are kept); never in the outputs.
 * `before`: the stored outputs, whose Durable Object classes and migration tag the upload's migrations start from.
 */
export async function deployScript(
  run: ProviderRun,
  ref: ScriptRef,
  inputs: ScriptInputs,
  op: Operation,
  deployedDigest: string | undefined,
  secrets: ReadonlyArray<{ name: string; text: string }> = [],
  before: Partial<ScriptOutputs> = {},
): Promise<ScriptOutputs> {
  const api = run.connect(inputs.accountId);
  // Before any call: a class dropped without its explicit deletion stops here.
  let plan = planMigrations({ classes: before.durableObjectClasses ?? [], tag: before.migrationTag }, inputs.durableObjects);
  const adopted = op.operation === "create" && (await claimScript(api, ref, inputs.owner, op));
  // A script of ours found at create (a run that died after the upload) has its migrations applied: start from them.
  if (adopted && inputs.durableObjects !== undefined)
    plan = planMigrations(await deployedDurableObjects(api, ref, op), inputs.durableObjects);
  const { upload, outputs: modules } = loadModules(inputs.modules);
  const metadata = {
    ...buildMetadata(inputs, plan.migrations),
    ...(await assetsMetadata(api, run.assets, ref, inputs, deployedDigest, op.resource)),
  };
  if (secrets.length > 0)
    metadata.bindings = [...(metadata.bindings as unknown[]), ...secrets.map((s) => ({ type: "secret_text", name: s.name, text: s.text }))];
  const result = await uploadScript(api, ref, buildScriptUploadForm(metadata, upload), op);
  const etag = result?.etag ?? "";
  const outs: ScriptOutputs = {
    name: inputs.name,
    modules,
    mainModule: inputs.mainModule,
    compatibilityDate: inputs.compatibilityDate,
    compatibilityFlags: inputs.compatibilityFlags,
    bindings: inputs.bindings,
    tags: inputs.tags,
    usageModel: inputs.usageModel,
    limits: inputs.limits,
    logpush: inputs.logpush,
    observability: inputs.observability,
    placement: inputs.placement,
    tailConsumers: inputs.tailConsumers,
    etag,
    deployedEtag: etag,
  };
  if (ref.namespace !== undefined) outs.namespace = ref.namespace;
  if (inputs.assets) outs.assetsDigest = inputs.assets.digest;
  if (inputs.accountId !== undefined) outs.accountId = inputs.accountId;
  outs.owner = inputs.owner ?? "";
  if (plan.classes.length > 0) outs.durableObjectClasses = plan.classes;
  const tag = typeof result?.migration_tag === "string" ? result.migration_tag : (plan.migrations?.new_tag ?? before.migrationTag);
  if (typeof tag === "string" && tag !== "") outs.migrationTag = tag;
  return withCrons(outs, inputs.crons);
}

/** The outputs with these crons: the key is present only when there are some. */
export function withCrons<T extends Partial<ScriptOutputs>>(outs: T, crons: readonly string[] | undefined): T {
  const { crons: _old, ...rest } = outs;
  return (crons && crons.length > 0 ? { ...rest, crons: [...crons] } : rest) as T;
}

const cronSet = (xs: readonly string[] | undefined): string[] => (xs ?? []).map((c) => c.trim()).sort();

/** Replaces the script's cron triggers when `after` differs from `before`: no call when they are the same. */
export async function syncCrons(
  api: CloudflareApi,
  ref: ScriptRef,
  before: readonly string[] | undefined,
  after: readonly string[] | undefined,
  op: Operation,
): Promise<void> {
  if (!deepEqual(cronSet(before), cronSet(after))) await putSchedules(api, ref, after ?? [], op);
}

/**
 * The script as the API has it, in output form; undefined when Cloudflare says it is gone. With no stored
 * outputs (import) it also returns inputs rebuilt from the API, modules read back from its content.
 */
export async function readScript(
  api: CloudflareApi,
  ref: ScriptRef,
  stored: Partial<ScriptOutputs>,
  op: Operation,
): Promise<{ outs: ScriptOutputs; inputs?: ScriptInputs; secretNames: string[] } | undefined> {
  const importing = stored.etag === undefined && stored.modules === undefined;
  const script = await getScript(api, ref, op);
  if (!script) return undefined;
  const settings = await getScriptSettings(api, ref, op);
  if (!settings) return undefined;
  const tags = settings.tags ?? (await getScriptTags(api, ref, op));
  if (tags === undefined) return undefined;
  const { owner, tags: userTags } = splitOwner(tags);
  const shape = settingsFromWire(settings, userTags);
  // Schedules are read only for a script that has or had crons (and on import): no extra call per tenant otherwise.
  const crons = importing || (stored.crons?.length ?? 0) > 0 ? await getSchedules(api, ref, op) : [];
  if (crons === undefined) return undefined;
  const etag = script.etag ?? "";
  let modules = stored.modules ?? [];
  let mainModule = stored.mainModule ?? "";
  let imported: ModuleInput[] = [];
  if (importing) {
    const read = await readModules(api, ref, op);
    imported = read.modules;
    modules = imported.map((m) => ({ name: m.name, type: m.type, sha256: m.sha256 }));
    mainModule = read.mainModule;
  }
  const outs: ScriptOutputs = {
    name: ref.script,
    modules,
    mainModule,
    ...shape,
    etag,
    deployedEtag: importing ? etag : (stored.deployedEtag ?? etag),
    owner,
  };
  if (ref.namespace !== undefined) outs.namespace = ref.namespace;
  // Assets cannot be listed back: keep our digest while the script still has assets; "" when they are gone.
  if (stored.assetsDigest !== undefined) outs.assetsDigest = script.has_assets === false ? "" : stored.assetsDigest;
  if (stored.accountId !== undefined) outs.accountId = stored.accountId;
  // The migration tag is in the settings (and the details); the classes are the ones our deploys left.
  const tag = [settings.migration_tag, script.migration_tag].find((t): t is string => typeof t === "string" && t !== "");
  if (tag !== undefined) outs.migrationTag = tag;
  if (stored.durableObjectClasses !== undefined) outs.durableObjectClasses = stored.durableObjectClasses;
  // Import: the classes the script's bindings to its own classes name (the account's namespace list would be a call more).
  const bound = importing && tag !== undefined ? ownBoundClasses(shape.bindings) : [];
  if (bound.length > 0) outs.durableObjectClasses = bound;
  const deployedTag = stored.deployedMigrationTag ?? stored.migrationTag ?? "";
  if (!importing && (tag ?? "") !== deployedTag) outs.deployedMigrationTag = deployedTag;
  // Crons we had and that are gone read back as [], so the diff puts them back.
  if (crons.length > 0 || (stored.crons?.length ?? 0) > 0) outs.crons = crons;
  // The settings list secret bindings by name (never their values).
  const secretNames = (settings.bindings ?? []).filter((b) => SECRET_BINDING_TYPES.includes(b.type)).map((b) => b.name);
  if (!importing) return { outs, secretNames };
  const inputs: ScriptInputs = withCrons({ name: ref.script, modules: imported, mainModule, ...shape }, crons);
  if (bound.length > 0) inputs.durableObjects = { classes: bound };
  if (ref.namespace !== undefined) inputs.namespace = ref.namespace;
  return { outs, inputs, secretNames };
}

/** A live script's migration tag, and its classes as its bindings to them name them (settings: one call). */
async function deployedDurableObjects(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<DeployedDurableObjects> {
  const settings = await getScriptSettings(api, ref, op);
  const bindings = (settings?.bindings ?? []).map(bindingFromWire).filter((b): b is Binding => b !== undefined);
  const tag = typeof settings?.migration_tag === "string" && settings.migration_tag !== "" ? settings.migration_tag : undefined;
  return { classes: ownBoundClasses(bindings), tag };
}

/** The classes a script's Durable Object bindings name in the script itself (no `scriptName`), sorted. */
function ownBoundClasses(bindings: readonly Binding[]): string[] {
  const names = bindings.flatMap((b) => (b.type === "durable_object_namespace" && b.scriptName === undefined ? [b.className] : []));
  return [...new Set(names)].sort();
}

/** The assets digest an update may keep: none after another deploy (etag drift), whose assets may differ. */
export function keptAssetsDigest(olds: Partial<ScriptOutputs>): string | undefined {
  const foreignDeploy = olds.etag !== undefined && olds.deployedEtag !== undefined && olds.etag !== olds.deployedEtag;
  return olds.assetsDigest === "" || foreignDeploy ? undefined : olds.assetsDigest;
}
