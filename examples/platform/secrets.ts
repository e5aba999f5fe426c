/**
 * Where the tenants' secret values come from. tenants.yaml names a key for each secret; its value is read from the
 * platform's secrets file when one is configured, else from the stack's secret config. Either way the value becomes
 * a Pulumi secret: the state holds only its hash, as a secret.
 *
 * The secrets file (`platform:secretsFile`, or the environment's PLATFORM_SECRETS_FILE) is a JSON or YAML map of key
 * to value kept outside git: CI writes it from its secret store, a developer keeps it beside the clone. A platform of
 * thousands of tenants needs it: the engine hands the program the whole stack config in one environment variable,
 * which Linux caps at 128 KiB (2,000 tenants with two secrets each do not fit), and each value set in stack config
 * is one more CLI call. For the demo stack, `npm run secret -- <tenant> <NAME> [value]` (scripts/secret.sh) sets a
 * value in its stack config, on the demo's backend and passphrase.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseYaml } from "./yaml";
import type { TenantEntry } from "./tenants";

export class SecretsFileError extends pulumi.RunError {
  override name = "SecretsFileError";
}

/** Reads a secrets file: a map of key → string value. Never puts a value in an error. */
export function readSecretsFile(file: string): Map<string, string> {
  if (!existsSync(file)) throw new SecretsFileError(`secrets file ${file} does not exist`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch {
    throw new SecretsFileError(`secrets file ${file} is not valid JSON or YAML`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new SecretsFileError(`secrets file ${file} must be a map of key to value`);
  const values = new Map<string, string>();
  const bad: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (typeof value === "string") values.set(key, value);
    else bad.push(key);
  }
  if (bad.length > 0) throw new SecretsFileError(`secrets file ${file}: the value of ${bad.join(", ")} must be a string`);
  return values;
}

/** A tenant secret to resolve: which tenant, which secret, which key holds its value. */
export interface SecretRef {
  tenant: string;
  name: string;
  key: string;
}

/**
 * Resolves every tenant's secrets at once: key → Pulumi secret. Keys missing from both sources fail together, before
 * any resource is registered, naming the tenant, the secret and where the value may go.
 */
export function resolveSecrets(refs: SecretRef[], config: pulumi.Config, root: string): Map<string, pulumi.Output<string>> {
  const configured = config.get("secretsFile") ?? process.env.PLATFORM_SECRETS_FILE;
  const file = configured ? path.resolve(root, configured) : undefined;
  const fromFile = file ? readSecretsFile(file) : new Map<string, string>();
  const resolved = new Map<string, pulumi.Output<string>>();
  const missing: string[] = [];
  for (const ref of refs) {
    if (resolved.has(ref.key)) continue;
    const value = fromFile.get(ref.key);
    const fromConfig = value === undefined ? config.getSecret(ref.key) : undefined;
    if (value !== undefined) resolved.set(ref.key, pulumi.secret(value));
    else if (fromConfig !== undefined) resolved.set(ref.key, fromConfig);
    else missing.push(`tenant ${ref.tenant}, secret ${ref.name}: key "${ref.key}" (npm run secret -- ${ref.tenant} ${ref.name} <value>)`);
  }
  if (missing.length > 0) {
    const where = file ? `neither in ${file} nor in the stack's config` : "not in the stack's config";
    throw new SecretsFileError(
      `${missing.length} secret value(s) missing, ${where}:\n${missing.map((m) => `  - ${m}`).join("\n")}\n` +
        "Add each key to the secrets file (platform:secretsFile), or set it in the stack's config: for the demo stack " +
        "with the npm run secret line shown, elsewhere with `pulumi config set --secret platform:<key>`.",
    );
  }
  return resolved;
}

/** For `npm run secret`: the config key (without `platform:`) of a tenant's secret, or a sentence saying what is missing. */
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
