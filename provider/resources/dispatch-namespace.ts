/**
 * DispatchNamespace: a Workers for Platforms dispatch namespace, the container of tenants' user scripts.
 *
 * Lifecycle, top to bottom: check (validate, normalize) → diff (pure) → create (POST) → read (GET) →
 * update (rename / trusted workers with PUT) → delete (guarded: a namespace that still holds scripts is
 * only deleted with `forceDestroy`).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CloudflareApi } from "../api/client";
import type { ProviderRun } from "../run";
import { CloudflareApiError, CODES, isGone, operation, type Operation } from "../api/errors";
import type { NamespaceObject } from "../../cloudflare/wire";
import { createNamespace, deleteNamespace, getNamespace, listNamespaces, updateNamespace } from "../api/namespaces";
import { deleteScript, listScriptEntries, listScripts } from "../api/scripts";
import { accountIdProblem } from "../credentials";
import { booleanProblem, fieldFailures, namespaceNameProblem, type CheckFailure } from "../validation";
import { declareTarget } from "./deploy-order";
import { declareNamespace } from "./namespace-preflight";
import { ownerInput, programOwner, splitOwner } from "./owner";
import { defineProvider, DynamicResource, resourceSpec, unknownPropertyFailures, type KeyedDiff } from "./resource-kit";

/** Arguments of a {@link DispatchNamespace}. */
export interface DispatchNamespaceArgs {
  /**
   * The namespace name: lowercase letters, digits and dashes, 1–63 characters.
   *
   * Changing it **renames the namespace in place** (`PUT /dispatch/namespaces/{old}` with the new name):
   * the namespace id and every script in it are kept. Resources that refer to the namespace by name
   * (UserScript, ScriptSecret) then see a new namespace input and are replaced onto it.
   */
  name: pulumi.Input<string>;
  /** Whether the namespace's scripts are trusted workers (`trusted_workers`). Default false. */
  trustedWorkers?: pulumi.Input<boolean>;
  /**
   * Allow `pulumi destroy` to delete the namespace while it still holds scripts, deleting those scripts
   * first. Default false: deleting a non-empty namespace fails and names the scripts it holds.
   */
  forceDestroy?: pulumi.Input<boolean>;
  /** The Cloudflare account id (32 hex characters); defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

/** Normalized inputs, as check() returns them. */
export interface DispatchNamespaceInputs {
  name: string;
  trustedWorkers: boolean;
  forceDestroy: boolean;
  accountId?: string;
  /** The owner tag of the declaring stack (set by the class): whose scripts a namespace found on create may hold. */
  owner?: string;
}

/** Outputs stored in state: only what read() can reproduce plus what delete needs (no counts, no timestamps). */
export interface DispatchNamespaceOutputs {
  name: string;
  /** The namespace's immutable id (a UUID); also the resource id. */
  namespaceId: string;
  trustedWorkers: boolean;
  forceDestroy: boolean;
  accountId?: string;
}

export const DISPATCH_NAMESPACE = resourceSpec<DispatchNamespaceArgs>()({
  kind: "DispatchNamespace",
  inputs: ["name", "trustedWorkers", "forceDestroy", "accountId"],
  // `owner` is set by the class, not the user, and never stored: tolerated by check like an output.
  outputs: ["namespaceId", "owner"],
});

const op = (name: string, verb: string): Operation => operation("DispatchNamespace", name, verb);

/** Validates and normalizes inputs. Pure. */
export function checkDispatchNamespace(news: Record<string, unknown>): {
  inputs: DispatchNamespaceInputs;
  failures: CheckFailure[];
} {
  const n = news ?? {};
  const failures = unknownPropertyFailures(DISPATCH_NAMESPACE, n);
  failures.push(...fieldFailures(n, "name", namespaceNameProblem, "the dispatch namespace name"));
  for (const key of ["trustedWorkers", "forceDestroy"]) failures.push(...fieldFailures(n, key, booleanProblem));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  const inputs: DispatchNamespaceInputs = {
    name: n.name as string,
    trustedWorkers: (n.trustedWorkers as boolean | undefined) ?? false,
    forceDestroy: (n.forceDestroy as boolean | undefined) ?? false,
  };
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs: { ...inputs, ...ownerInput(n) }, failures };
}

/**
 * The diff between stored outputs and new inputs. Pure; also used by refresh as
 * diff(refreshed outputs, stored inputs), so outputs use the input names.
 */
export function diffDispatchNamespace(olds: Partial<DispatchNamespaceOutputs>, news: DispatchNamespaceInputs): KeyedDiff {
  const changes: string[] = [];
  const replaces: string[] = [];
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) {
    // Only a change between two explicit accounts moves the namespace; unset ↔ set may be the same account,
    // but we cannot tell without config, so treat any change as a move.
    replaces.push("accountId");
  }
  if (olds.name !== news.name) changes.push("name");
  if ((olds.trustedWorkers ?? false) !== (news.trustedWorkers ?? false)) changes.push("trustedWorkers");
  if ((olds.forceDestroy ?? false) !== (news.forceDestroy ?? false)) changes.push("forceDestroy");
  if (replaces.length) changes.push(...replaces.filter((r) => !changes.includes(r)));
  return { changes: changes.length > 0, replaces, deleteBeforeReplace: replaces.length > 0, changedKeys: changes };
}

function toOutputs(ns: NamespaceObject, inputs: { forceDestroy: boolean; accountId?: string }): DispatchNamespaceOutputs {
  const out: DispatchNamespaceOutputs = {
    name: ns.namespace_name,
    namespaceId: ns.namespace_id,
    trustedWorkers: ns.trusted_workers === true,
    forceDestroy: inputs.forceDestroy,
  };
  if (inputs.accountId !== undefined) out.accountId = inputs.accountId;
  return out;
}

/** Finds the namespace by id, trying the expected name first (one GET in the common case). */
async function findNamespace(
  api: CloudflareApi,
  id: string,
  expectedName: string | undefined,
  o: Operation,
): Promise<NamespaceObject | undefined> {
  if (expectedName) {
    const byName = await getNamespace(api, expectedName, o);
    if (byName && byName.namespace_id === id) return byName;
  }
  // Renamed out of band, or no name known: look the id up in the list.
  return (await listNamespaces(api, o)).find((ns) => ns.namespace_id === id);
}

/**
 * The name is taken (100120): a retried POST, or a run that died before its state was saved. Adopted only when no
 * script in it belongs to another stack or to no stack (./owner): empty, or holding only this stack's.
 */
async function adoptNamespace(api: CloudflareApi, inputs: DispatchNamespaceInputs, o: Operation): Promise<NamespaceObject> {
  const existing = await getNamespace(api, inputs.name, o);
  const scripts = existing ? await listScriptEntries(api, inputs.name, o) : [];
  const foreign = scripts
    .map((s) => ({ name: s.name, owner: splitOwner(s.tags).owner }))
    .filter((s) => !inputs.owner || s.owner !== inputs.owner);
  if (existing && foreign.length === 0) return existing;
  const untagged = foreign.filter((s) => s.owner === "");
  const owners = [...new Set(foreign.map((s) => s.owner).filter((x) => x !== ""))];
  const shown = foreign
    .slice(0, 5)
    .map((s) => `"${s.name}" (${s.owner || "untagged"})`)
    .join(", ");
  const held = existing
    ? `it holds ${foreign.length} script(s) this stack does not own: ${shown}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ""}` +
      ` (${untagged.length} untagged${owners.length > 0 ? `; owners: ${owners.join(", ")}` : ""})`
    : "it could not be read back";
  throw new Error(
    `${o.resource}: create failed: a dispatch namespace named "${inputs.name}" already exists in this account and ${held}. ` +
      `Choose another name, or adopt the existing one with: pulumi import 'pulumi-nodejs:dynamic/wfp:DispatchNamespace' <resource name> ${inputs.name}`,
  );
}

export const dispatchNamespaceProvider = defineProvider<DispatchNamespaceInputs, DispatchNamespaceOutputs>({
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    declareNamespace(run, news.name);
    const { inputs, failures } = checkDispatchNamespace(news);
    return { inputs, failures };
  },

  async diff(_id: string, olds: DispatchNamespaceOutputs, news: DispatchNamespaceInputs) {
    return diffDispatchNamespace(olds, news);
  },

  async create(inputs: DispatchNamespaceInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs.name, "create");
    let ns: NamespaceObject;
    try {
      ns = await createNamespace(api, inputs.name, o);
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.hasCode(CODES.namespaceExists)) throw error;
      ns = await adoptNamespace(api, inputs, o);
    }
    // Create takes only the name: trusted mode is set by a PUT.
    if (inputs.trustedWorkers && ns.trusted_workers !== true) {
      ns = await updateNamespace(api, inputs.name, { name: inputs.name, trusted_workers: true }, o);
    }
    return { id: ns.namespace_id, outs: toOutputs(ns, inputs) };
  },

  /**
   * Refresh and import. Import id: the namespace **name** (the resource id becomes its UUID).
   * Returns `{}` when the namespace is gone.
   */
  async read(id: string, stored: Partial<DispatchNamespaceOutputs>, run: ProviderRun) {
    const importing = stored.namespaceId === undefined;
    const api = run.connect(stored.accountId);
    const o = op(stored.name ?? id, importing ? "import" : "read");
    const ns = importing ? await getNamespace(api, id, o) : await findNamespace(api, id, stored.name, o);
    if (!ns) return {};
    const outs = toOutputs(ns, { forceDestroy: stored.forceDestroy ?? false, accountId: stored.accountId });
    if (!importing) return { id: ns.namespace_id, props: outs };
    const inputs: DispatchNamespaceInputs = { name: outs.name, trustedWorkers: outs.trustedWorkers, forceDestroy: false };
    return { id: ns.namespace_id, props: outs, inputs };
  },

  async update(id: string, olds: DispatchNamespaceOutputs, news: DispatchNamespaceInputs, run: ProviderRun) {
    const api = run.connect(news.accountId);
    const o = op(olds.name, olds.name !== news.name ? `rename to "${news.name}"` : "update");
    if (olds.name === news.name && olds.trustedWorkers === news.trustedWorkers) {
      // Only forceDestroy changed: nothing to send.
      return { outs: { ...olds, forceDestroy: news.forceDestroy, ...(news.accountId ? { accountId: news.accountId } : {}) } };
    }
    const body = { name: news.name, trusted_workers: news.trustedWorkers };
    let ns: NamespaceObject;
    try {
      ns = await updateNamespace(api, olds.name, body, o);
    } catch (error) {
      if (!isGone(error, [CODES.namespaceNotFound])) throw error;
      // Renamed already (a retried update, or out of band): find it by id, then address it by its current name.
      const current = await findNamespace(api, id, undefined, o);
      if (!current) throw error;
      ns = await updateNamespace(api, current.namespace_name, body, o);
    }
    return { outs: toOutputs(ns, news) };
  },

  async delete(id: string, props: DispatchNamespaceOutputs, run: ProviderRun) {
    const api = run.connect(props.accountId);
    const name = props.name;
    const o = op(name, "delete");
    const ns = await findNamespace(api, id, name, o);
    if (!ns) return; // already gone
    const current = ns.namespace_name;
    const scripts = await listScripts(api, current, o);
    if (scripts.length > 0) {
      if (!props.forceDestroy) {
        const shown = scripts
          .slice(0, 5)
          .map((s) => `"${s}"`)
          .join(", ");
        const more = scripts.length > 5 ? ` and ${scripts.length - 5} more` : "";
        throw new Error(
          `${o.resource}: delete refused: the namespace still holds ${scripts.length} script(s) (${shown}${more}) ` +
            `that this stack does not delete. Delete them first, or set forceDestroy: true on the DispatchNamespace ` +
            `(then run pulumi up before pulumi destroy) to delete the namespace together with its scripts.`,
        );
      }
      for (const script of scripts) {
        await deleteScript(api, { namespace: current, script }, { ...o, operation: `delete script "${script}"` }, { force: true });
      }
    }
    await deleteNamespace(api, current, o);
  },
});

/**
 * A Workers for Platforms dispatch namespace.
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:DispatchNamespace <name> <namespace name>`.
 * The resource id is the namespace's UUID (`namespaceId`).
 */
export class DispatchNamespace extends DynamicResource {
  /** The namespace name (follows renames). */
  declare public readonly name: pulumi.Output<string>;
  /** The immutable namespace id (UUID). */
  declare public readonly namespaceId: pulumi.Output<string>;
  declare public readonly trustedWorkers: pulumi.Output<boolean>;
  declare public readonly forceDestroy: pulumi.Output<boolean>;
  declare public readonly accountId: pulumi.Output<string | undefined>;

  constructor(name: string, args: DispatchNamespaceArgs, opts?: pulumi.CustomResourceOptions) {
    super(DISPATCH_NAMESPACE, name, args, opts, { owner: programOwner() });
    declareTarget("DispatchNamespace", args.name, this);
  }
}
