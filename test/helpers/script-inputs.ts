/** A script's inputs as check normalizes them, with only the required fields set: the unit tests' starting point. */
import { scriptDefaults } from "../../provider/resources/script/settings";
import type { ScriptInputs } from "../../provider/resources/script/types";

export function scriptInputs(over: Partial<ScriptInputs> = {}): ScriptInputs {
  return {
    name: "s",
    modules: [],
    mainModule: "index.js",
    compatibilityDate: "2025-06-01",
    ...scriptDefaults(),
    ...over,
  } as ScriptInputs;
}
