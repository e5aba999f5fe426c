/** What check returns for a script and what state stores of it; shared by UserScript and account-level Workers. */
import type { AssetsAttachment } from "../../assets/attach";
import type { DurableObjectsArgs } from "./durable-objects";
import type { ModuleInput, ModuleOutput } from "./modules";
import type { ScriptSettingsShape } from "./settings";

/** Normalized inputs (check's result). `namespace` is absent for an account-level script. */
export interface ScriptInputs extends ScriptSettingsShape {
  namespace?: string;
  name: string;
  modules: ModuleInput[];
  mainModule: string;
  assets?: AssetsAttachment;
  accountId?: string;
  /** The owner tag of the stack that declares the script (set by the resource class, see ./owner). */
  owner?: string;
  /** Cron triggers (`.../schedules`); absent when none are declared. */
  crons?: string[];
  /** The Durable Object classes the Worker exports; absent when it has none. */
  durableObjects?: DurableObjectsArgs;
}

/** Outputs: the inputs minus module content, plus etags and the deployed assets digest. */
export interface ScriptOutputs extends ScriptSettingsShape {
  namespace?: string;
  name: string;
  modules: ModuleOutput[];
  mainModule: string;
  /** The digest of the assets our last PUT deployed (or, after a refresh, "" if the script has none). */
  assetsDigest?: string;
  accountId?: string;
  /** The script's etag as last observed. */
  etag: string;
  /** The etag our last PUT returned: a different observed etag means someone else deployed. */
  deployedEtag: string;
  /** The owner tag written by our last PUT, or as read back ("" when the script has none). */
  owner?: string;
  /** Cron triggers, present while the script has or is meant to have some (refresh reads them only then). */
  crons?: string[];
  /** The Durable Object classes our last deploy left (sorted); absent when none. */
  durableObjectClasses?: string[];
  /** The script's Durable Object migration tag as last observed; absent when it has none. */
  migrationTag?: string;
  /** Set by a read that found another tag than our last deploy left: that one ("" for none). The diff names it. */
  deployedMigrationTag?: string;
}

/** The script's own inputs (all but where it lives), in the order the docs list them. */
export const SCRIPT_INPUT_KEYS = [
  "name",
  "modules",
  "mainModule",
  "compatibilityDate",
  "compatibilityFlags",
  "bindings",
  "tags",
  "usageModel",
  "limits",
  "logpush",
  "observability",
  "placement",
  "tailConsumers",
  "assets",
  "crons",
  "durableObjects",
  "accountId",
] as const;

/** Outputs the provider sets, never the program. */
export const SCRIPT_OUTPUT_KEYS = [
  "etag",
  "deployedEtag",
  "assetsDigest",
  "owner",
  "durableObjectClasses",
  "migrationTag",
  "deployedMigrationTag",
] as const;
