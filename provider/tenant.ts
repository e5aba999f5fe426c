/**
 * Tenant: everything one customer of a platform gets in a dispatch namespace, from one description:
 * a user Worker, its secrets and its static assets. The script is tagged with the tenant id (so
 * `offboardByTag` and the API's bulk delete can find it) and its asset hashes are salted with it
 * (so tenants sharing a namespace never share or learn of each other's blobs).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AssetConfig } from "./assets/config";
import { ScriptSecret } from "./resources/script-secret";
import { StaticAssets } from "./resources/static-assets";
import { UserScript, type UserScriptArgs } from "./resources/user-script";
import {
  bindingNameProblem,
  isPlainObject,
  MAX_USER_TAGS,
  namespaceNameProblem,
  scriptNameProblem,
  tagsFailures,
  type CheckFailure,
} from "./validation";

export interface TenantAssetsArgs {
  /** The directory of static files (see StaticAssets for the manifest rules). */
  directory: string;
  include?: string[];
  exclude?: string[];
  config?: AssetConfig;
}

export interface TenantArgs {
  /** The dispatch namespace name, usually `namespace.name` of a DispatchNamespace. */
  namespace: pulumi.Input<string>;
  /** The tenant id: lowercase letters, digits and dashes. The script's default name, tag and asset salt. */
  tenantId: string;
  /** The script name; default: the tenant id. */
  scriptName?: string;
  /** The plan, recorded as the tag `plan-<plan>`. */
  plan?: string;
  modules: UserScriptArgs["modules"];
  mainModule?: UserScriptArgs["mainModule"];
  compatibilityDate: UserScriptArgs["compatibilityDate"];
  compatibilityFlags?: UserScriptArgs["compatibilityFlags"];
  bindings?: UserScriptArgs["bindings"];
  limits?: UserScriptArgs["limits"];
  observability?: UserScriptArgs["observability"];
  /** Extra tags, beside `tenant-<id>` and `plan-<plan>` (7 in all at most: the 8th is the owner tag). */
  tags?: string[];
  /** Secret name → value. Values are made Pulumi secrets. */
  secrets?: Record<string, pulumi.Input<string>>;
  assets?: TenantAssetsArgs;
  accountId?: pulumi.Input<string>;
}

/** A tenant id is a DNS label, since the dispatch Worker routes `<id>.<domain>` to it; it is also the script name. */
const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TENANT_ID_RULE = "1-63 lowercase letters, digits or dashes, starting and ending with a letter or digit";

/** The one rule for tenant ids, used by the Tenant component and by tenants.yaml. */
export function tenantIdProblem(value: unknown): string | undefined {
  return typeof value === "string" && TENANT_ID.test(value) ? undefined : `must be ${TENANT_ID_RULE}`;
}

/** The tag every tenant's script carries: the handle for offboarding. */
export const tenantTag = (tenantId: string) => `tenant-${tenantId}`;

/**
 * Validates the arguments the component itself turns into resource inputs (ids, tags, secret names), so a bad
 * value is reported under its own name rather than as a derived script name or tag. Pure; no API call.
 * Inputs that pass straight through to a resource are left to that resource's check.
 */
export function tenantArgsFailures(args: TenantArgs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const a = (args ?? {}) as unknown as Record<string, unknown>;
  const id = a.tenantId;
  if (id === undefined)
    failures.push({ property: "tenantId", reason: `is required: ${TENANT_ID_RULE} (the script name, tag and asset salt)` });
  else {
    const problem = tenantIdProblem(id);
    if (problem) failures.push({ property: "tenantId", reason: problem });
  }
  if (a.scriptName !== undefined) {
    const problem = scriptNameProblem(a.scriptName);
    if (problem) failures.push({ property: "scriptName", reason: problem });
  }
  if (a.plan !== undefined) {
    const problem = namespaceNameProblem(a.plan); // becomes the tag plan-<plan>
    if (problem) failures.push({ property: "plan", reason: problem });
  }
  const reserved = [typeof id === "string" ? tenantTag(id) : undefined, typeof a.plan === "string" ? `plan-${a.plan}` : undefined].filter(
    (t): t is string => t !== undefined,
  );
  if (a.tags !== undefined) {
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
  if (a.secrets !== undefined) {
    if (!isPlainObject(a.secrets)) failures.push({ property: "secrets", reason: "must map secret names to values" });
    else {
      for (const name of Object.keys(a.secrets)) {
        const problem = bindingNameProblem(name);
        if (problem) failures.push({ property: `secrets.${name}`, reason: problem });
      }
    }
  }
  if (a.assets !== undefined) {
    const dir = isPlainObject(a.assets) ? a.assets.directory : undefined;
    if (dir === undefined) failures.push({ property: "assets.directory", reason: "is required: the directory of static files" });
    else if (typeof dir !== "string" || dir === "") failures.push({ property: "assets.directory", reason: "must be a non-empty path" });
  }
  return failures;
}

export class Tenant extends pulumi.ComponentResource {
  declare readonly scriptName: pulumi.Output<string>;
  /** The etag of the deployed script. */
  declare readonly etag: pulumi.Output<string>;
  declare readonly tags: pulumi.Output<string[]>;
  declare readonly secretNames: pulumi.Output<string[]>;
  /** The number of static files, 0 without assets. */
  declare readonly assetFiles: pulumi.Output<number>;

  readonly script: UserScript;
  readonly assets?: StaticAssets;
  readonly secrets: ScriptSecret[];

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before super(): a bad tenant registers nothing, so preview fails with no resource and no API call.
    const failures = tenantArgsFailures(args);
    if (failures.length > 0) {
      throw new Error(`Tenant "${name}": ${failures.map((f) => `${f.property} ${f.reason}`).join("; ")}`);
    }
    super("wfp:index:Tenant", name, {}, opts);
    const child = { parent: this };
    const scriptName = args.scriptName ?? args.tenantId;
    const tags = [tenantTag(args.tenantId), ...(args.plan ? [`plan-${args.plan}`] : []), ...(args.tags ?? [])];

    this.assets = args.assets
      ? new StaticAssets(
          `${name}-assets`,
          {
            namespace: args.namespace,
            scriptName,
            directory: args.assets.directory,
            include: args.assets.include,
            exclude: args.assets.exclude,
            config: args.assets.config,
            isolationSalt: args.tenantId,
            accountId: args.accountId,
          },
          child,
        )
      : undefined;

    this.script = new UserScript(
      name,
      {
        namespace: args.namespace,
        name: scriptName,
        modules: args.modules,
        mainModule: args.mainModule,
        compatibilityDate: args.compatibilityDate,
        compatibilityFlags: args.compatibilityFlags,
        bindings: args.bindings,
        limits: args.limits,
        observability: args.observability,
        tags,
        assets: this.assets?.attachment,
        accountId: args.accountId,
      },
      child,
    );

    this.secrets = Object.entries(args.secrets ?? {}).map(
      ([secretName, text]) =>
        new ScriptSecret(
          `${name}-${secretName}`,
          { namespace: this.script.namespace, scriptName: this.script.name, name: secretName, text, accountId: args.accountId },
          child,
        ),
    );

    const outputs = {
      scriptName: this.script.name,
      etag: this.script.etag,
      tags: this.script.tags,
      secretNames: pulumi.all(this.secrets.map((s) => s.name)),
      assetFiles: this.assets ? this.assets.fileCount : pulumi.output(0),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
