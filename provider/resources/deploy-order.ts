/**
 * Bindings between the resources of one program. Cloudflare refuses an upload whose binding names a target that
 * does not exist (10144 for a service), so a script must deploy after the Workers and namespaces it binds to. A
 * binding given the target's Output gets that order from the engine; one that names a target of the same program
 * by a plain string gets it here, as an explicit dependency. So do a route or a custom domain naming their Worker,
 * and a tenant's resources naming their namespace: its check then comes first, and theirs knows it is the program's.
 */
import type * as pulumi from "@pulumi/pulumi";
import { isPlainObject } from "../validation";

type TargetKind = "Worker" | "DispatchNamespace";
const declared: Record<TargetKind, Map<string, pulumi.Resource>> = { Worker: new Map(), DispatchNamespace: new Map() };

/** Records a Worker or a namespace of this program under its name, when the name is a plain string. */
export function declareTarget(kind: TargetKind, name: unknown, resource: pulumi.Resource): void {
  if (typeof name === "string") declared[kind].set(name, resource);
}

/** The resources of this program that the bindings and tail consumers name by plain strings. */
function targetsOf(args: { bindings?: unknown; tailConsumers?: unknown }): pulumi.Resource[] {
  const found: pulumi.Resource[] = [];
  const add = (kind: TargetKind, name: unknown) => {
    const target = typeof name === "string" ? declared[kind].get(name) : undefined;
    if (target) found.push(target);
  };
  for (const b of Array.isArray(args.bindings) ? args.bindings : []) {
    if (!isPlainObject(b)) continue;
    if (b.type === "service") add("Worker", b.service);
    if (b.type === "dispatch_namespace") {
      add("DispatchNamespace", b.namespace);
      if (isPlainObject(b.outbound) && isPlainObject(b.outbound.worker)) add("Worker", b.outbound.worker.service);
    }
  }
  for (const t of Array.isArray(args.tailConsumers) ? args.tailConsumers : []) if (isPlainObject(t)) add("Worker", t.service);
  return found;
}

/** `opts` with the targets the bindings name added to `dependsOn`. */
export function withBindingTargets(
  args: { bindings?: unknown; tailConsumers?: unknown },
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions | undefined {
  return withDependencies(targetsOf(args), opts);
}

/** `opts` with the Worker of this program that `name` names, if any, added to `dependsOn`. */
export function withNamedWorker(name: unknown, opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions | undefined {
  return withNamed("Worker", name, opts);
}

/** `opts` with the DispatchNamespace of this program that `name` names, if any, added to `dependsOn`. */
export function withNamedNamespace(
  name: unknown,
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions | undefined {
  return withNamed("DispatchNamespace", name, opts);
}

function withNamed(
  kind: TargetKind,
  name: unknown,
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions | undefined {
  const target = typeof name === "string" ? declared[kind].get(name) : undefined;
  return withDependencies(target ? [target] : [], opts);
}

function withDependencies(
  targets: pulumi.Resource[],
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions | undefined {
  if (targets.length === 0) return opts;
  const existing = opts?.dependsOn;
  if (existing !== undefined && !Array.isArray(existing) && !("urn" in (existing as object))) return opts; // an Input: leave it alone
  const listed = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  return { ...opts, dependsOn: [...(listed as pulumi.Input<pulumi.Resource>[]), ...targets] };
}
