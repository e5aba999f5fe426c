/**
 * Scripts in a stack's namespaces that its state does not hold: ones carrying the stack's owner tag (left by a run
 * that died before saving its state) and ones no stack owns (deployed by hand). Another stack's scripts (shards
 * sharing a namespace) are not listed. One list call per page of each namespace's scripts.
 */
import type { CloudflareApi } from "./api/client";
import { CODES, operation, unlessGone } from "./api/errors";
import { listScriptEntries, type ListedScript } from "./api/scripts";
import { splitOwner } from "./resources/owner";

export interface StrayScript {
  namespace: string;
  name: string;
  /** The script's owner tag, "" when it has none. */
  owner: string;
  kind: "own-not-in-state" | "unowned";
  /** The program declares it (the next `up` adopts this stack's own). */
  declared: boolean;
}

/** What the stray listing needs to know of a stack, read from its preview. */
export interface StackScope {
  /** The stack's owner tag, when its program declares scripts or namespaces. */
  owner?: string;
  namespaces: string[];
  /** `<namespace>/<script>` of every UserScript and Tenant in the state. */
  inState: Set<string>;
  /** `<namespace>/<script>` of every UserScript and Tenant the program declares. */
  declared: Set<string>;
}

interface ScopeStep {
  urn: string;
  oldState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown> };
}

const TYPE = "pulumi-nodejs:dynamic/wfp:";
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** The stack's owner, namespaces and namespace scripts, from `pulumi preview --json` steps. Pure. */
export function scopeFromPreview(steps: readonly ScopeStep[]): StackScope {
  const scope: StackScope = { namespaces: [], inState: new Set(), declared: new Set() };
  const namespaces = new Set<string>();
  for (const step of steps) {
    const type = step.newState?.type ?? step.oldState?.type ?? "";
    if (!type.startsWith(TYPE)) continue;
    const kind = type.slice(TYPE.length);
    const sides: Array<[Record<string, unknown> | undefined, Set<string>]> = [
      [step.oldState?.outputs, scope.inState],
      [step.newState?.inputs, scope.declared],
    ];
    for (const [props, into] of sides) {
      if (!props) continue;
      scope.owner ??= str(props.owner);
      if (kind === "DispatchNamespace" && str(props.name)) namespaces.add(props.name as string);
      // A Tenant's inputs name its script by scriptName or tenantId; its outputs, like a UserScript's, by name.
      const script =
        kind === "UserScript" ? props.name : kind === "Tenant" ? (props.name ?? props.scriptName ?? props.tenantId) : undefined;
      if (str(props.namespace) && str(script)) {
        namespaces.add(props.namespace as string);
        into.add(`${props.namespace}/${script}`);
      }
    }
  }
  scope.namespaces = [...namespaces].sort();
  return scope;
}

/** The strays among one namespace's listed scripts. Pure. */
export function classifyStrays(namespace: string, listed: readonly ListedScript[], scope: StackScope): StrayScript[] {
  const strays: StrayScript[] = [];
  for (const s of listed) {
    const key = `${namespace}/${s.name}`;
    if (scope.inState.has(key)) continue;
    const { owner } = splitOwner(s.tags);
    const declared = scope.declared.has(key);
    if (owner === "") strays.push({ namespace, name: s.name, owner, kind: "unowned", declared });
    else if (scope.owner !== undefined && owner === scope.owner)
      strays.push({ namespace, name: s.name, owner, kind: "own-not-in-state", declared });
  }
  return strays;
}

/** Lists each namespace of the stack once (unfiltered: the untagged cannot be selected by tag) and classifies. */
export async function findStrays(api: CloudflareApi, scope: StackScope): Promise<StrayScript[]> {
  const strays: StrayScript[] = [];
  for (const ns of scope.namespaces) {
    // A namespace deleted out of band holds nothing: its resource's drift says the rest.
    const listed = await unlessGone(listScriptEntries(api, ns, operation("DispatchNamespace", ns, "list scripts")), [
      CODES.namespaceNotFound,
    ]);
    if (!listed) continue;
    strays.push(...classifyStrays(ns, listed, scope));
  }
  return strays;
}

export function formatStrays(strays: readonly StrayScript[]): string[] {
  if (strays.length === 0) return [];
  const lines = [`${strays.length} script(s) in the stack's namespaces that its state does not hold:`];
  for (const s of strays) {
    const why =
      s.kind === "unowned"
        ? `no owner tag (deployed outside Pulumi)${s.declared ? "; the program declares it: import it to manage it" : ""}`
        : `this stack's owner tag (${s.owner}) but not in its state (left by a run that died), ` +
          (s.declared ? "declared: the next pulumi up adopts it" : "no longer declared: import it, or delete it");
    lines.push(`  "${s.namespace}/${s.name}": ${why}`);
  }
  return lines;
}
