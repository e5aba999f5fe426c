/**
 * The dispatch namespace a tenant's resource names, looked up at check (so at preview), read-only: a typo fails the
 * preview, on `namespace`, before an `up` writes anything.
 *
 * Only a changed namespace is looked up: a no-op run makes no call. A namespace checked in the same run (the program
 * declares it, maybe to create it now) is taken as there. The lookup is the namespace's script list as the run first
 * saw it, the very GET a create's ownership check makes: an `up` reads each namespace once, whatever the number of
 * tenants it creates, and a preview too.
 */
import type { Operation } from "../api/errors";
import { listNamespaces } from "../api/namespaces";
import { listNamespaceScriptObjects } from "../api/scripts";
import type { ProviderRun } from "../run";
import { type CheckFailure, isUnknown } from "../validation";
import { namesOfAccount } from "./hostnames/preflight";

const namespaceKey = (name: string) => `DispatchNamespace:${name}`;

/** Records that the program declares the dispatch namespace `name` in this run. */
export function declareNamespace(run: ProviderRun, name: unknown): void {
  if (typeof name === "string") run.declared.add(namespaceKey(name));
}

/**
 * The failure of the lookup of `inputs.namespace`, if any. None when the static checks already failed, when the
 * resource names no namespace (an account-level Worker's), when a value is not known yet (preview), when it is what
 * the stack last deployed (`olds`), or when the program declares that namespace.
 */
export async function namespaceFailures(
  run: ProviderRun,
  olds: Record<string, unknown>,
  inputs: object,
  checked: CheckFailure[],
  o: Operation,
): Promise<CheckFailure[]> {
  const { namespace, accountId } = inputs as Record<string, unknown>;
  if (checked.length > 0 || typeof namespace !== "string" || isUnknown(namespace) || isUnknown(accountId)) return [];
  if ((namespace === olds.namespace && accountId === olds.accountId) || run.declared.has(namespaceKey(namespace))) return [];
  const api = run.connect(accountId as string | undefined);
  if ((await listNamespaceScriptObjects(api, namespace, o, "run start")) !== undefined) return [];
  const names = (await listNamespaces(api, o)).map((ns) => ns.namespace_name).sort();
  return [
    {
      property: "namespace",
      reason:
        `names no dispatch namespace of the account ("${namespace}")${namesOfAccount(namespace, names, "dispatch namespaces")}. ` +
        "Create it first, or, when this program creates it, pass that DispatchNamespace's name output (namespace.name)",
    },
  ];
}
