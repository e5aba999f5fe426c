/**
 * Which secrets a Tenant manages on its script, as seen by this provider process. One process serves one engine
 * run, and the engine checks every registered resource before it deletes the resources the program no longer
 * registers. So:
 * - a ScriptSecret whose name a Tenant also sets is refused at check, whichever of the two is checked first;
 * - deleting a ScriptSecret that a Tenant now manages (a stack moving from the Tenant component to the Tenant
 *   resource, or a secret moved into a Tenant's `secrets`) only forgets it: the Tenant's upload owns the value;
 * - a secret leaving a Tenant's list for a ScriptSecret is not deleted by the Tenant.
 */

/** Where a script lives: account (or "" for the default), namespace, script. */
export interface ScriptKey {
  accountId?: string;
  namespace?: string;
  script: string;
}

const keyOf = (k: ScriptKey) => `${k.accountId ?? ""}\0${k.namespace ?? ""}\0${k.script}`;

/** Script → (secret name → the tenant id managing it). */
const tenantSecrets = new Map<string, Map<string, string>>();
/** Script → secret names managed by ScriptSecret resources. */
const scriptSecrets = new Map<string, Set<string>>();

/**
 * Records the secrets a Tenant manages on its script (replacing what it claimed before in this process) and
 * returns those a ScriptSecret of this run also manages.
 */
export function claimTenantSecrets(key: ScriptKey, tenantId: string, names: readonly string[]): string[] {
  const k = keyOf(key);
  const claims = new Map(tenantSecrets.get(k) ?? []);
  for (const [name, owner] of claims) if (owner === tenantId) claims.delete(name);
  for (const name of names) claims.set(name, tenantId);
  tenantSecrets.set(k, claims);
  const apart = scriptSecrets.get(k);
  return names.filter((name) => apart?.has(name));
}

/** Records a ScriptSecret; returns the tenant id of a Tenant managing the same secret, if any. */
export function claimScriptSecret(key: ScriptKey, name: string): string | undefined {
  const k = keyOf(key);
  const names = scriptSecrets.get(k) ?? new Set<string>();
  names.add(name);
  scriptSecrets.set(k, names);
  return tenantSecrets.get(k)?.get(name);
}

/** The tenant id of the Tenant managing this secret in this run, if any. */
export function tenantManagingSecret(key: ScriptKey, name: string): string | undefined {
  return tenantSecrets.get(keyOf(key))?.get(name);
}

/** True when a ScriptSecret of this run manages this secret (one moved out of a Tenant's list, say). */
export function scriptSecretManages(key: ScriptKey, name: string): boolean {
  return scriptSecrets.get(keyOf(key))?.has(name) ?? false;
}

/** Forgets every claim (tests). */
export function resetClaims(): void {
  tenantSecrets.clear();
  scriptSecrets.clear();
}
