/**
 * Which secrets a Tenant manages on its script, as seen by one provider run (run.ts). The engine
 * checks every registered resource before it deletes the resources the program no longer
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

/** Which secrets the Tenants and ScriptSecrets of one run manage, on which script, as their checks claimed them. */
export class SecretClaims {
  /** Script → (secret name → the tenant id managing it). */
  private readonly tenantSecrets = new Map<string, Map<string, string>>();
  /** Script → secret names managed by ScriptSecret resources. */
  private readonly scriptSecrets = new Map<string, Set<string>>();

  /**
   * Records the secrets a Tenant manages on its script (replacing what it claimed before in this run) and returns
   * those a ScriptSecret of this run also manages.
   */
  claimTenantSecrets(key: ScriptKey, tenantId: string, names: readonly string[]): string[] {
    const k = keyOf(key);
    const claims = new Map(this.tenantSecrets.get(k) ?? []);
    for (const [name, owner] of claims) if (owner === tenantId) claims.delete(name);
    for (const name of names) claims.set(name, tenantId);
    this.tenantSecrets.set(k, claims);
    const apart = this.scriptSecrets.get(k);
    return names.filter((name) => apart?.has(name));
  }

  /** Records a ScriptSecret; returns the tenant id of a Tenant managing the same secret, if any. */
  claimScriptSecret(key: ScriptKey, name: string): string | undefined {
    const k = keyOf(key);
    const names = this.scriptSecrets.get(k) ?? new Set<string>();
    names.add(name);
    this.scriptSecrets.set(k, names);
    return this.tenantSecrets.get(k)?.get(name);
  }

  /** The tenant id of the Tenant managing this secret in this run, if any. */
  tenantManagingSecret(key: ScriptKey, name: string): string | undefined {
    return this.tenantSecrets.get(keyOf(key))?.get(name);
  }

  /** True when a ScriptSecret of this run manages this secret (one moved out of a Tenant's list, say). */
  scriptSecretManages(key: ScriptKey, name: string): boolean {
    return this.scriptSecrets.get(keyOf(key))?.has(name) ?? false;
  }
}
