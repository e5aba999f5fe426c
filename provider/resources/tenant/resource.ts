/**
 * Tenant: everything one customer of a platform gets in a dispatch namespace, from one description: a user
 * Worker, its secrets and its static assets, as ONE resource (one engine step per tenant; see
 * provider.ts). The script is tagged with the tenant id (so `offboardByTag` and the API's bulk
 * delete can find it) and its asset hashes are salted with it (so tenants sharing a namespace never share or learn
 * of each other's blobs).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AssetConfig } from "../../assets/serving-config";
import { DynamicResource, resourceSpec, TYPE_MODULE } from "../resource-kit";
import { withNamedNamespace } from "../deploy-order";
import { programOwner } from "../owner";
import type { UserScriptArgs } from "../user-script";

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
  /** Secret name → value. Values are made Pulumi secrets; state keeps only their hashes. */
  secrets?: Record<string, pulumi.Input<string>>;
  assets?: TenantAssetsArgs;
  /** Cron triggers: the tenant's scheduled() runs on them (see UserScript). */
  crons?: UserScriptArgs["crons"];
  /** The Durable Object classes the tenant's Worker exports, with renames and deliberate deletions (see UserScript). */
  durableObjects?: UserScriptArgs["durableObjects"];
  accountId?: pulumi.Input<string>;
}

export const TENANT = resourceSpec<TenantArgs>()({
  kind: "Tenant",
  inputs: [
    "namespace",
    "tenantId",
    "scriptName",
    "plan",
    "modules",
    "mainModule",
    "compatibilityDate",
    "compatibilityFlags",
    "bindings",
    "limits",
    "observability",
    "tags",
    "secrets",
    "assets",
    "crons",
    "durableObjects",
    "accountId",
  ],
  outputs: ["etag", "secretNames", "secretHashes", "assetFiles", "owner", "durableObjectClasses", "migrationTag", "deployedMigrationTag"],
  // The script's structured inputs but the tags (users read them in the outputs), and the outputs' digests. The
  // secrets stay a property of their own: the engine keeps them a Pulumi secret by their key.
  wire: {
    inputs: ["modules", "compatibilityFlags", "bindings", "limits", "observability", "crons", "durableObjects", "assets"],
    outputs: ["digests", "secretHashes"],
  },
  // What the class declares below (the rest of the outputs are the provider's own).
  exposed: ["scriptName", "etag", "tags", "secretNames", "assetFiles", "owner", "durableObjectClasses", "migrationTag"],
});

/** The type of the script resource the Tenant component of earlier versions registered as its child. */
const LEGACY_SCRIPT_TYPE = `pulumi-nodejs:dynamic/${TYPE_MODULE}:UserScript`;
/** The earlier component's type: the parent in that script's URN. */
const LEGACY_COMPONENT_TYPE = "wfp:index:Tenant";

/**
 * One customer: a user Worker with its secrets and static assets, as one resource.
 *
 * A stack deployed with the earlier Tenant component (a component with a UserScript, ScriptSecrets and a
 * StaticAssets) upgrades in place: the alias takes over the old UserScript's state, and the old ScriptSecrets'
 * deletes only remove them from the stack.
 */
export class Tenant extends DynamicResource {
  declare readonly scriptName: pulumi.Output<string>;
  /** The etag of the deployed script. */
  declare readonly etag: pulumi.Output<string>;
  /** Every tag of the script: `tenant-<id>`, `plan-<plan>` and the extra ones. */
  declare readonly tags: pulumi.Output<string[]>;
  declare readonly secretNames: pulumi.Output<string[]>;
  /** The number of static files, 0 without assets. */
  declare readonly assetFiles: pulumi.Output<number>;
  /** The owner tag the script carries (`wfp-owner=<project>/<stack>`), kept out of `tags`. */
  declare readonly owner: pulumi.Output<string | undefined>;
  /** The Durable Object classes the last deploy left, sorted; undefined when none. */
  declare readonly durableObjectClasses: pulumi.Output<string[] | undefined>;
  /** The script's Durable Object migration tag; undefined before its first class. */
  declare readonly migrationTag: pulumi.Output<string | undefined>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.CustomResourceOptions) {
    const props: Record<string, unknown> = {};
    for (const key of TENANT.inputs) props[key] = args?.[key];
    if (args?.secrets !== undefined) props.secrets = pulumi.secret(args.secrets);
    const legacy: pulumi.Alias = { type: LEGACY_SCRIPT_TYPE, parent: pulumi.createUrn(name, LEGACY_COMPONENT_TYPE, opts?.parent) };
    super(
      TENANT,
      name,
      props,
      withNamedNamespace(args?.namespace, {
        ...opts,
        aliases: [...(opts?.aliases ?? []), legacy],
        additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), "secretHashes"])],
      }),
      // The provider process may not know the stack: the program names the owner.
      { owner: programOwner() },
    );
  }
}
