/**
 * Ownership: every script the provider uploads carries one tag naming the Pulumi project and stack that manage it.
 * Create adopts a script this stack owns (a run that died before its state was saved) and refuses any other; delete
 * leaves a script another stack has tagged since. The tag is added at upload and kept out of the `tags` output.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudflareApi } from "../api/client";
import type { Operation } from "../api/errors";
import { deleteScript, getScript, listNamespaceScriptObjects, type ScriptRef } from "../api/scripts";
import { getScriptTags } from "../api/settings";
import { MAX_TAG_LENGTH_CHARS } from "../../cloudflare/limits";
import { RESERVED_TAG_PREFIX } from "../validation";
import { sha256Hex } from "../sha256";
import { refuseDeletingObjects } from "./script/durable-objects";

/** The prefix of the owner tag: `wfp-owner=<project>/<stack>`. No `:` (the list filter's separator), `,` or `&`. */
export const OWNER_TAG_PREFIX = RESERVED_TAG_PREFIX;
const READABLE = /^[A-Za-z0-9._-]+$/;

/** The owner tag of a project's stack; hashed when the names would not make a valid, filterable tag. */
export function ownerTag(project: string, stack: string): string {
  const readable = `${OWNER_TAG_PREFIX}${project}/${stack}`;
  if (READABLE.test(project) && READABLE.test(stack) && readable.length <= MAX_TAG_LENGTH_CHARS) return readable;
  return `${OWNER_TAG_PREFIX}sha256-${sha256Hex(`${project}/${stack}`).slice(0, 32)}`;
}

/** The owner tag of the program's project and stack; none outside a Pulumi program. */
export function programOwner(): string | undefined {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  return project && stack ? ownerTag(project, stack) : undefined;
}

/** The `owner` a resource class passes (its stack's owner tag), as check's inputs carry it: absent when none. */
export function ownerInput(n: Record<string, unknown>): { owner?: string } {
  return typeof n.owner === "string" && n.owner !== "" ? { owner: n.owner } : {};
}

export function isOwnerTag(tag: unknown): boolean {
  return typeof tag === "string" && tag.startsWith(OWNER_TAG_PREFIX);
}

/** Splits a script's tags into its owner tag ("" when none) and the user's tags. */
export function splitOwner(tags: readonly string[] | null | undefined): { owner: string; tags: string[] } {
  const all = tags ?? [];
  return { owner: all.find(isOwnerTag) ?? "", tags: all.filter((t) => !isOwnerTag(t)) };
}

/** The tags an upload sends: the user's, then the owner's. */
export function withOwnerTag(tags: readonly string[], owner: string | undefined): string[] {
  const user = tags.filter((t) => !isOwnerTag(t));
  return owner ? [...user, owner] : user;
}

/**
 * How to take the script over. A UserScript or Worker: the `pulumi import` line. A Tenant cannot be imported (secret
 * values cannot be read back), so: give the script this stack's owner tag, and the next create adopts it.
 */
export function takeOverHint(ref: ScriptRef, op: Operation, owner: string | undefined, found = ""): string {
  const kind = op.resource.split(" ")[0];
  const id = ref.namespace === undefined ? ref.script : `${ref.namespace}/${ref.script}`;
  if (kind === "Tenant" && ref.namespace !== undefined) {
    const tags = `/accounts/<account>/workers/dispatch/namespaces/${ref.namespace}/scripts/${ref.script}/tags`;
    const replace = found ? `DELETE ${tags}/${found}, then PUT ${tags}/${owner}` : `PUT ${tags}/${owner}`;
    return (
      "To manage it from this stack, release it in the other stack if any (`pulumi state delete` of its resource there " +
      `leaves the script), give it this stack's owner tag (${replace}), and run pulumi up again: it adopts the script.`
    );
  }
  return (
    "To manage it from this stack, remove it from the other stack's state (if any) and import it: " +
    `pulumi import 'pulumi-nodejs:dynamic/wfp:${kind}' <resource name> ${id}`
  );
}

const where = (ref: ScriptRef) => (ref.namespace === undefined ? `in the account` : `in namespace "${ref.namespace}"`);
const ownerText = (owner: string) => (owner ? `owned by another stack (tag ${owner})` : "not tagged with any stack as its owner");

/** The owner tag of a live script, "" when it has none; undefined when Cloudflare says it does not exist. */
export async function liveOwner(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<string | undefined> {
  const script = await getScript(api, ref, op);
  if (!script) return undefined;
  const tags = Array.isArray(script.tags) ? script.tags : await getScriptTags(api, ref, op);
  return tags === undefined ? undefined : splitOwner(tags).owner;
}

/**
 * The owner of a script as it was before this engine run began (undefined: there was none). In an engine run (its
 * client shares reads), a namespace's scripts come from one list taken at the run's first create or read, so the
 * creates of a thousand tenants cost one list, not a GET each: a script this run created since is its own.
 * Otherwise, and for account-level scripts, one GET.
 */
async function ownerBeforeRun(api: CloudflareApi, ref: ScriptRef, op: Operation): Promise<string | undefined> {
  if (ref.namespace === undefined || !api.sharesReads) return liveOwner(api, ref, op);
  const listed = (await listNamespaceScriptObjects(api, ref.namespace, op, "run start"))?.get(ref.script);
  if (listed === undefined) return undefined;
  return Array.isArray(listed.tags) ? splitOwner(listed.tags).owner : liveOwner(api, ref, op);
}

/**
 * Before a create: a script already there is adopted only when this stack owns it (the upload is an upsert);
 * another stack's, or an untagged one, fails naming it, its owner and how to import it. A script another stack
 * creates under the same name while this run goes on is not seen: Cloudflare's upload has no condition to refuse it.
 * Returns whether a script was there (and is adopted).
 */
export async function claimScript(api: CloudflareApi, ref: ScriptRef, owner: string | undefined, op: Operation): Promise<boolean> {
  const found = await ownerBeforeRun(api, ref, op);
  if (found === undefined) return false;
  if (owner && found === owner) return true;
  throw new Error(
    `${op.resource}: ${op.operation} failed: a script named "${ref.script}" already exists ${where(ref)}, ${ownerText(found)}. ` +
      `It was left as it is. ${takeOverHint(ref, op, owner, found)}`,
  );
}

/**
 * Deletes the script unless another stack has tagged it as its own since: that one is left, with a warning, and
 * is no longer this stack's. `owner` is the tag this stack last wrote (none for a script deployed before owner
 * tags), and while its Worker has Durable Objects (`durableObjectClasses`, from the state) it is refused. Returns
 * whether a script was deleted.
 */
export async function deleteOwnedScript(
  api: CloudflareApi,
  ref: ScriptRef,
  owner: string | undefined,
  op: Operation,
  options: { force?: boolean; durableObjectClasses?: readonly string[] } = {},
): Promise<boolean> {
  const found = await liveOwner(api, ref, op);
  if (found === undefined) return false;
  if (found !== "" && found !== owner) {
    api.log.warn(
      `${op.resource}: not deleted: the script is now owned by another stack (tag ${found}); it is left as it is and ` +
        `removed from this stack's state only.`,
    );
    return false;
  }
  refuseDeletingObjects(options.durableObjectClasses, op.resource);
  return deleteScript(api, ref, op, { force: options.force });
}
