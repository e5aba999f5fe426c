/** check for a script's own inputs (everything but where it lives): pure but for hashing `path` modules. */
import { accountIdProblem } from "../../credentials";
import { cronsFailures } from "../../cron";
import type { AssetsAttachment } from "../../assets/attach";
import {
  compatibilityDateProblem,
  compatibilityFlagsFailures,
  fieldFailures,
  isImportCheck,
  isPlainObject,
  isUnknown,
  scriptNameProblem,
  tagsFailures,
  type CheckFailure,
} from "../../validation";
import { ASSETS_BINDING_NEEDS_ASSETS, checkBindings, type Binding } from "./bindings";
import { checkDurableObjects } from "./durable-objects";
import { stripUndefined } from "./keys";
import { checkMainModule, checkModules } from "./modules";
import { ownerInput } from "../owner";
import { checkSettings, scriptDefaults } from "./settings";
import type { ScriptInputs } from "./types";

/** Validates and normalizes a script's inputs from `n` (internal keys already removed). */
export function checkScript(n: Record<string, unknown>, failures: CheckFailure[], now: Date): Omit<ScriptInputs, "namespace"> {
  failures.push(...fieldFailures(n, "name", scriptNameProblem, "the script name"));
  const modules = checkModules(n.modules, failures);
  const mainModule = checkMainModule(n.mainModule, modules, failures);
  failures.push(
    ...fieldFailures(
      n,
      "compatibilityDate",
      (v) => compatibilityDateProblem(v, now),
      "a date in the form YYYY-MM-DD, e.g. the day you tested the script",
    ),
  );
  failures.push(...compatibilityFlagsFailures("compatibilityFlags", n.compatibilityFlags));
  failures.push(...tagsFailures("tags", n.tags));
  const hasAssets = n.assets !== undefined && n.assets !== null;
  const bindings = checkBindings(n.bindings, failures, hasAssets);
  const durableObjects = checkDurableObjects(n.durableObjects, n.bindings, failures);
  if (hasAssets && !isUnknown(n.assets)) {
    const a = n.assets;
    if (!isPlainObject(a) || (!isUnknown(a.digest) && (typeof a.digest !== "string" || a.digest === ""))) {
      failures.push({ property: "assets", reason: "must be a StaticAssets attachment (staticAssets.attachment) with a digest" });
    }
  }
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  failures.push(...cronsFailures("crons", n.crons, isUnknown));
  const settings = checkSettings(n, failures);

  const defaults = scriptDefaults();
  const inputs: Omit<ScriptInputs, "namespace"> = {
    name: n.name as string,
    modules,
    mainModule,
    compatibilityDate: n.compatibilityDate as string,
    compatibilityFlags: (n.compatibilityFlags as string[] | undefined) ?? defaults.compatibilityFlags,
    bindings: (stripUndefined(bindings) as Binding[]) ?? defaults.bindings,
    tags: (n.tags as string[] | undefined) ?? defaults.tags,
    ...settings,
  };
  if (durableObjects !== undefined) inputs.durableObjects = stripUndefined(durableObjects) as typeof durableObjects;
  if (hasAssets) inputs.assets = n.assets as AssetsAttachment;
  if (Array.isArray(n.crons) && n.crons.length > 0) inputs.crons = n.crons as string[];
  else if (isUnknown(n.crons)) inputs.crons = n.crons as string[];
  // Set by the resource class from the program's project and stack, never by the user.
  Object.assign(inputs, ownerInput(n));
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return inputs;
}

/**
 * check()'s answer for a script resource. `pulumi import` checks the inputs read back against themselves: they
 * keep the script's assets binding but not the StaticAssets attachment, which cannot be read back.
 */
export function scriptCheckResult<T>(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  checked: { inputs: T; failures: CheckFailure[] },
): { inputs: T; failures: CheckFailure[] } {
  if (!isImportCheck(olds, news, "assets")) return checked;
  return { inputs: checked.inputs, failures: checked.failures.filter((f) => f.reason !== ASSETS_BINDING_NEEDS_ASSETS) };
}
