/**
 * Tenant secrets of the demo stack: which stack config key holds a tenant's secret (for `npm run secret`,
 * scripts/secret.sh) and the message listing the secrets whose value is not set, with that command.
 */
import type { TenantEntry } from "./tenants";

/** The config key (without `platform:`) of a tenant's secret, or a sentence saying what is missing. */
export function secretConfigKey(tenants: TenantEntry[], tenant: string, name: string): { key: string } | { problem: string } {
  const t = tenants.find((entry) => entry.id === tenant);
  if (!t) return { problem: `no tenant "${tenant}" in tenants.yaml (tenants: ${tenants.map((e) => e.id).join(", ")})` };
  const key = t.secrets[name];
  if (!key) {
    const known = Object.keys(t.secrets);
    return {
      problem: `tenant "${tenant}" has no secret ${name} in tenants.yaml${known.length > 0 ? ` (it has ${known.join(", ")})` : ""}: add it under its secrets as ${name}: <config key> first`,
    };
  }
  return { key };
}

/** The error for secrets without a value, naming the command that sets each; undefined when all are set. */
export function unsetSecretsMessage(tenants: TenantEntry[], isSet: (key: string) => boolean): string | undefined {
  const lines = tenants.flatMap((t) =>
    Object.entries(t.secrets)
      .filter(([, key]) => !isSet(key))
      .map(([name, key]) => `  npm run secret -- ${t.id} ${name} <value>   (sets platform:${key})`),
  );
  if (lines.length === 0) return undefined;
  return `tenants.yaml names secrets without a value; set each (the value is read from stdin when omitted):\n${lines.join("\n")}`;
}
