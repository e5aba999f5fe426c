/**
 * KvNamespace: a Workers KV namespace, bound to Workers by its id (`kv_namespace` bindings).
 *
 * check (title) → diff (a title change renames in place) → create (POST; a title already taken is adopted only
 * when every key the namespace holds is this stack's, see owner.ts) → read (GET by id; import by id) → update
 * (PUT title) → delete (gone only by Cloudflare's 10013).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { KvNamespaceObject } from "../../../cloudflare/wire";
import type { ProviderRun } from "../../run";
import type { CloudflareApi } from "../../api/client";
import { CloudflareApiError, CODES, operation, type Operation } from "../../api/errors";
import { createKvNamespace, deleteKvNamespace, getKvNamespace, listKvKeys, listKvNamespaces, renameKvNamespace } from "../../api/kv";
import { accountIdProblem } from "../../credentials";
import { fieldFailures, type CheckFailure } from "../../validation";
import { keyOwner } from "./owner";
import { defineProvider, DynamicResource, type KeyedDiff, resourceSpec, unknownPropertyFailures } from "../resource-kit";
import { ownerInput, programOwner } from "../owner";

/** Cloudflare's bound on a KV namespace title. */
export const MAX_KV_TITLE_LENGTH = 512;
export const KV_NAMESPACE_ID_RE = /^[0-9a-f]{32}$/;

/** Arguments of a {@link KvNamespace}. */
export interface KvNamespaceArgs {
  /** The title, unique in the account (1–512 characters). A change renames the namespace in place; its id and keys stay. */
  title: pulumi.Input<string>;
  /** The Cloudflare account id (32 hex characters); defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

export interface KvNamespaceInputs {
  title: string;
  accountId?: string;
  /** The owner tag of the stack that declares it (set by the resource class): whose keys a taken title may hold. */
  owner?: string;
}

export interface KvNamespaceOutputs {
  title: string;
  /** The namespace id (32 hex); also the resource id. */
  namespaceId: string;
  accountId?: string;
}

export const KV_NAMESPACE = resourceSpec<KvNamespaceArgs>()({
  kind: "KvNamespace",
  inputs: ["title", "accountId"],
  outputs: ["namespaceId", "owner"],
});

const op = (title: string, verb: string): Operation => operation("KvNamespace", title, verb);

export function kvTitleProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a string of 1–${MAX_KV_TITLE_LENGTH} characters, unique in the account`;
  if (value.trim() === "") return `must not be empty or blank: use 1–${MAX_KV_TITLE_LENGTH} characters`;
  if (value.length > MAX_KV_TITLE_LENGTH) return `must be at most ${MAX_KV_TITLE_LENGTH} characters (got ${value.length})`;
  return undefined;
}

export function kvNamespaceIdProblem(value: unknown): string | undefined {
  if (typeof value === "string" && KV_NAMESPACE_ID_RE.test(value)) return undefined;
  return `must be a KV namespace id: 32 lowercase hex characters (a KvNamespace's namespaceId), got ${JSON.stringify(value)}`;
}

/** Validates and normalizes inputs. Pure. */
export function checkKvNamespace(news: Record<string, unknown>): { inputs: KvNamespaceInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(KV_NAMESPACE, n);
  failures.push(...fieldFailures(n, "title", kvTitleProblem, "the namespace's title"));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  const inputs: KvNamespaceInputs = { title: n.title as string };
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs: { ...inputs, ...ownerInput(n) }, failures };
}

/** diff(stored outputs, new inputs). Pure. */
export function diffKvNamespace(olds: Partial<KvNamespaceOutputs>, news: KvNamespaceInputs): KeyedDiff {
  const changes: string[] = [];
  const replaces: string[] = [];
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");
  if (olds.title !== news.title) changes.push("title");
  changes.push(...replaces);
  return { changes: changes.length > 0, replaces, deleteBeforeReplace: false, changedKeys: changes };
}

function toOutputs(ns: KvNamespaceObject, accountId: string | undefined): KvNamespaceOutputs {
  const out: KvNamespaceOutputs = { title: ns.title, namespaceId: ns.id };
  if (accountId !== undefined) out.accountId = accountId;
  return out;
}

/**
 * The title is taken (10014): a retried POST, or a run that died before its state was saved. KV namespaces carry
 * no owner, but the keys a KvEntries writes do: a namespace is adopted when every key it holds carries this stack's
 * owner (none at all included); any other key may be another program's data.
 */
async function adopt(api: CloudflareApi, inputs: KvNamespaceInputs, o: Operation): Promise<KvNamespaceObject> {
  const existing = (await listKvNamespaces(api, o)).find((ns) => ns.title === inputs.title);
  const keys = existing ? await listKvKeys(api, existing.id, o) : undefined;
  const foreign = keys?.filter((k) => inputs.owner === undefined || keyOwner(k) !== inputs.owner).length;
  if (existing && keys && foreign === 0) return existing;
  const why = existing
    ? `holds ${keys?.length ?? "unknown"} key(s), ${foreign ?? "some"} of them not written by this stack`
    : "could not be found";
  throw new Error(
    `${o.resource}: create failed: a KV namespace titled "${inputs.title}" already exists in this account and ${why}. ` +
      `Choose another title, or adopt it with: pulumi import 'pulumi-nodejs:dynamic/wfp:KvNamespace' <resource name> ${existing?.id ?? "<namespace id>"}`,
  );
}

export const kvNamespaceProvider = defineProvider<KvNamespaceInputs, KvNamespaceOutputs>({
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkKvNamespace(news);
  },

  async diff(_id: string, olds: KvNamespaceOutputs, news: KvNamespaceInputs) {
    return diffKvNamespace(olds, news);
  },

  async create(inputs: KvNamespaceInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs.title, "create");
    let ns: KvNamespaceObject;
    try {
      ns = await createKvNamespace(api, inputs.title, o);
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.hasCode(CODES.kvTitleExists)) throw error;
      ns = await adopt(api, inputs, o);
    }
    return { id: ns.id, outs: toOutputs(ns, inputs.accountId) };
  },

  /** Refresh and import (id: the namespace id). `{}` when Cloudflare says it is gone. */
  async read(id: string, stored: Partial<KvNamespaceOutputs>, run: ProviderRun) {
    const importing = stored.namespaceId === undefined;
    const problem = kvNamespaceIdProblem(id);
    if (problem) throw new Error(`KvNamespace: invalid id: ${problem}`);
    const ns = await getKvNamespace(run.connect(stored.accountId), id, op(stored.title ?? id, importing ? "import" : "read"));
    if (!ns) return {};
    const outs = toOutputs(ns, stored.accountId);
    return importing ? { id: ns.id, props: outs, inputs: { title: ns.title } } : { id: ns.id, props: outs };
  },

  async update(id: string, olds: KvNamespaceOutputs, news: KvNamespaceInputs, run: ProviderRun) {
    if (olds.title === news.title) return { outs: { ...olds } };
    const ns = await renameKvNamespace(run.connect(news.accountId), id, news.title, op(olds.title, `rename to "${news.title}"`));
    return { outs: toOutputs(ns, news.accountId) };
  },

  async delete(id: string, props: KvNamespaceOutputs, run: ProviderRun) {
    await deleteKvNamespace(run.connect(props.accountId), id, op(props.title ?? id, "delete"));
  },
});

/**
 * A Workers KV namespace. Bind it to a Worker with `{ type: "kv_namespace", name: "SESSIONS", namespaceId: ns.namespaceId }`
 * (or {@link kvBinding}).
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:KvNamespace <name> <namespace id>`.
 */
export class KvNamespace extends DynamicResource {
  declare public readonly title: pulumi.Output<string>;
  /** The namespace id (32 hex); what `kv_namespace` bindings and KvEntries take. */
  declare public readonly namespaceId: pulumi.Output<string>;
  declare public readonly accountId: pulumi.Output<string | undefined>;

  constructor(name: string, args: KvNamespaceArgs, opts?: pulumi.CustomResourceOptions) {
    // The provider process may not know the stack: the program names the owner.
    super(KV_NAMESPACE, name, args, opts, { owner: programOwner() });
  }
}

/** A `kv_namespace` binding of a UserScript, Worker or Tenant to a namespace the program manages. */
export function kvBinding(
  name: string,
  namespace: KvNamespace,
): { type: "kv_namespace"; name: string; namespaceId: pulumi.Output<string> } {
  return { type: "kv_namespace", name, namespaceId: namespace.namespaceId };
}
