/**
 * check for a Tenant: the program's description of one customer becomes a script's inputs (name, tags), its
 * secrets and its assets (described here: manifest and digest, salted with the tenant id). Pure but for reading
 * module and asset files; no API call. Every problem is a check failure naming the field.
 */
import type { AssetsAttachment } from "../../assets/attach";
import { SHORT_ASSETS_DIGEST } from "../../assets/describe";
import { assetConfigFailures, toWireConfig, type AssetConfig } from "../../assets/serving-config";
import { DEFAULT_MAX_FILES, ManifestError } from "../../assets/manifest";
import {
  bindingNameProblem,
  containsUnknown,
  fieldFailures,
  isPlainObject,
  isUnknown,
  MAX_USER_TAGS,
  namespaceNameProblem,
  scriptNameProblem,
  tagsFailures,
  type CheckFailure,
} from "../../validation";
import { ASSETS_BINDING_NEEDS_ASSETS } from "../script/bindings";
import { checkScript } from "../script/check";
import type { ScriptInputs } from "../script/types";
import { secretTextProblem } from "../script-secret";
import { normalizeDirectory, patternsFailures } from "../static-assets";
import type { ProviderRun } from "../../run";
import { unknownPropertyFailures } from "../resource-kit";
import { TENANT } from "./resource";

/** Normalized inputs: the script's, plus the secrets (name → value) and the number of static files. */
export interface TenantInputs extends ScriptInputs {
  namespace: string;
  tenantId: string;
  secrets: Record<string, string>;
  /** The secrets' names, sorted: not secret, unlike the values. */
  secretNames?: string[];
  assetFiles: number;
}

/** A tenant id is a DNS label, since the dispatch Worker routes `<id>.<domain>` to it; it is also the script name. */
const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TENANT_ID_RULE = "1-63 lowercase letters, digits or dashes, starting and ending with a letter or digit";

/** The one rule for tenant ids, used by Tenant and by tenants.yaml. */
export function tenantIdProblem(value: unknown): string | undefined {
  return typeof value === "string" && TENANT_ID.test(value) ? undefined : `must be ${TENANT_ID_RULE}`;
}

/** The tag every tenant's script carries: the handle for offboarding. */
export const tenantTag = (tenantId: string) => `tenant-${tenantId}`;

/**
 * Validates the arguments Tenant itself turns into script inputs (ids, tags, secret names), so a bad value is
 * reported under its own name rather than as a derived script name or tag. Pure.
 */
export function tenantArgsFailures(args: Record<string, unknown>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const a = args ?? {};
  const id = a.tenantId;
  if (id === undefined)
    failures.push({ property: "tenantId", reason: `is required: ${TENANT_ID_RULE} (the script name, tag and asset salt)` });
  else if (!isUnknown(id)) {
    const problem = tenantIdProblem(id);
    if (problem) failures.push({ property: "tenantId", reason: problem });
  }
  failures.push(...fieldFailures(a, "scriptName", scriptNameProblem));
  failures.push(...fieldFailures(a, "plan", namespaceNameProblem)); // becomes the tag plan-<plan>
  const reserved = [typeof id === "string" ? tenantTag(id) : undefined, typeof a.plan === "string" ? `plan-${a.plan}` : undefined].filter(
    (t): t is string => t !== undefined,
  );
  if (a.tags !== undefined && !isUnknown(a.tags)) {
    if (!Array.isArray(a.tags)) failures.push({ property: "tags", reason: "must be a list of strings" });
    else {
      const extra = MAX_USER_TAGS - reserved.length;
      if (a.tags.length > extra) {
        failures.push({
          property: "tags",
          reason: `must hold at most ${extra} extra tags (${MAX_USER_TAGS} in all with ${reserved.join(" and ")}; the 8th is the stack's owner tag; got ${a.tags.length})`,
        });
      }
      const perTag = tagsFailures("tags", [...reserved, ...a.tags]).filter((f) => f.property !== "tags");
      for (const f of perTag) {
        const i = Number(/\[(\d+)\]$/.exec(f.property)?.[1]) - reserved.length;
        if (i >= 0) failures.push({ property: `tags[${i}]`, reason: f.reason });
      }
    }
  }
  if (a.secrets !== undefined && !isUnknown(a.secrets)) {
    if (!isPlainObject(a.secrets)) failures.push({ property: "secrets", reason: "must map secret names to values" });
    else {
      for (const [name, text] of Object.entries(a.secrets)) {
        const problem = bindingNameProblem(name) ?? (isUnknown(text) ? undefined : secretTextProblem(text));
        if (problem) failures.push({ property: `secrets.${name}`, reason: problem });
      }
    }
  }
  if (a.assets !== undefined && !isUnknown(a.assets)) {
    const dir = isPlainObject(a.assets) ? a.assets.directory : undefined;
    if (dir === undefined) failures.push({ property: "assets.directory", reason: "is required: the directory of static files" });
    else if (!isUnknown(dir) && (typeof dir !== "string" || dir === ""))
      failures.push({ property: "assets.directory", reason: "must be a non-empty path" });
    else if (isPlainObject(a.assets)) {
      failures.push(
        ...patternsFailures("assets.include", a.assets.include),
        ...patternsFailures("assets.exclude", a.assets.exclude),
        ...assetConfigFailures(a.assets.config, "assets.config"),
      );
      const unknownKeys = Object.keys(a.assets).filter((k) => !["directory", "include", "exclude", "config"].includes(k));
      for (const k of unknownKeys)
        failures.push({ property: `assets.${k}`, reason: "is not an assets field; use directory, include, exclude, config" });
    }
  }
  return failures;
}

/** The site's attachment (manifest digest, short, and wire config, salted with the tenant id) and its file count. */
async function describeTenantAssets(
  run: ProviderRun,
  a: Record<string, unknown>,
  tenantId: string,
  failures: CheckFailure[],
): Promise<{ attachment?: AssetsAttachment; fileCount: number }> {
  const source: AssetsAttachment["source"] = {
    directory: normalizeDirectory(a.directory as string),
    isolationSalt: tenantId,
    maxFiles: DEFAULT_MAX_FILES,
  };
  if (Array.isArray(a.include) && a.include.length > 0) source.include = a.include as string[];
  if (Array.isArray(a.exclude) && a.exclude.length > 0) source.exclude = a.exclude as string[];
  try {
    const { manifest, config, digest } = await run.assets.describe(source, toWireConfig(a.config as AssetConfig | undefined, {}));
    // The state keeps the digest short (64 bits); the deploy takes this description by it.
    return { attachment: { digest: digest.slice(0, SHORT_ASSETS_DIGEST), config, source }, fileCount: manifest.files.length };
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    failures.push({ property: `assets.${error.property}`, reason: error.message });
    return { fileCount: 0 };
  }
}

/** Validates and normalizes a Tenant's inputs; its assets' description and its secrets' claims go to `run`. */
export async function checkTenant(
  news: Record<string, unknown>,
  run: ProviderRun,
  now: Date = new Date(),
): Promise<{ inputs: TenantInputs; failures: CheckFailure[] }> {
  const n = news ?? {};
  const failures = [...unknownPropertyFailures(TENANT, n), ...tenantArgsFailures(n)];
  failures.push(...fieldFailures(n, "namespace", namespaceNameProblem, "the dispatch namespace name"));
  const argsOk = failures.length === 0;
  const id = n.tenantId as string;

  const known = !containsUnknown([n.tenantId, n.plan, n.tags]);
  const tags = known ? [tenantTag(id), ...(n.plan ? [`plan-${n.plan}`] : []), ...((n.tags as string[] | undefined) ?? [])] : n.tags;
  let assets: unknown;
  let fileCount = 0;
  if (n.assets !== undefined) {
    if (!argsOk || containsUnknown(n.assets) || isUnknown(n.tenantId)) assets = argsOk ? n.assets : undefined;
    else ({ attachment: assets, fileCount } = await describeTenantAssets(run, n.assets as Record<string, unknown>, id, failures));
  }

  // The script's own checks; name and tags are derived here and already checked under their own names.
  const scriptFailures: CheckFailure[] = [];
  const script = checkScript(
    {
      ...n,
      name: n.scriptName ?? n.tenantId,
      tags,
      assets,
      secrets: undefined,
      tenantId: undefined,
      plan: undefined,
      scriptName: undefined,
    },
    scriptFailures,
    now,
  );
  for (const f of scriptFailures) {
    if (f.property === "name" || f.property === "tags" || f.property.startsWith("tags[") || f.property === "assets") continue;
    if (f.reason === ASSETS_BINDING_NEEDS_ASSETS && n.assets !== undefined) continue; // the assets problem is reported
    failures.push(
      f.reason === ASSETS_BINDING_NEEDS_ASSETS ? { ...f, reason: "an assets binding needs the assets input ({ directory })" } : f,
    );
  }
  if (n.assets !== undefined && assets === undefined) delete script.assets;

  const secrets = isPlainObject(n.secrets) ? (n.secrets as Record<string, string>) : {};
  const bindingNames = new Set(Array.isArray(script.bindings) ? script.bindings.map((b) => b?.name) : []);
  for (const name of Object.keys(secrets))
    if (bindingNames.has(name))
      failures.push({ property: `secrets.${name}`, reason: "is also the name of a binding; names must be unique" });

  if (typeof n.namespace === "string" && typeof script.name === "string" && !isUnknown(script.name) && typeof id === "string") {
    const key = { accountId: n.accountId as string | undefined, namespace: n.namespace, script: script.name };
    for (const name of run.secretClaims.claimTenantSecrets(key, id, Object.keys(secrets))) {
      failures.push({
        property: `secrets.${name}`,
        reason: `is also managed by a ScriptSecret on script ${n.namespace}/${script.name}: manage it in one place (remove the ScriptSecret or this entry)`,
      });
    }
  }

  const inputs = { ...script, namespace: n.namespace as string, tenantId: id, secrets, assetFiles: fileCount } as TenantInputs;
  if (isUnknown(n.secrets)) inputs.secrets = n.secrets as unknown as Record<string, string>;
  else inputs.secretNames = Object.keys(secrets).sort();
  for (const key of Object.keys(inputs) as Array<keyof TenantInputs>) if (inputs[key] === undefined) delete inputs[key];
  return { inputs, failures };
}
