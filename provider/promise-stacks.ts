/**
 * @pulumi/pulumi records a stack trace on every promise it creates (runtime/debuggable.js `debuggablePromise`), a few
 * dozen per resource, for one purpose: naming where a promise was made should the program exit with it still
 * pending. With source-map-support installed (Pulumi's run.js does), each of those stacks is source-mapped frame by
 * frame: at a thousand resources, seconds of every command. This records them without frames unless
 * PULUMI_DEBUG_PROMISE_LEAKS is set, which is Pulumi's own switch for debugging such leaks; leaks are still detected
 * and reported. Errors keep their stacks. Matched by the module's path, so another Pulumi layout is left as it is.
 */
import * as nodeModule from "node:module";
import path from "node:path";

const DEBUGGABLE = path.join("@pulumi", "pulumi", "runtime", "debuggable.js");

type Debuggable = { debuggablePromise?: (p: Promise<unknown>, ctx: unknown) => Promise<unknown>; __wfpCheapStacks?: true };
type Load = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;

/** Wraps `debuggablePromise` so the stack it records has no frames. Exported for its test. */
export function withoutPromiseStacks(mod: Debuggable): Debuggable {
  const original = mod.debuggablePromise;
  if (typeof original !== "function" || mod.__wfpCheapStacks) return mod;
  mod.debuggablePromise = (p, ctx) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(p, ctx);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  mod.__wfpCheapStacks = true;
  return mod;
}

if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
  const loader = nodeModule.Module as unknown as { _load: Load; _resolveFilename: (r: string, p: unknown) => string };
  const load = loader._load;
  loader._load = function (this: unknown, request, parent, isMain) {
    const loaded = load.call(this, request, parent, isMain);
    if (request.endsWith("debuggable") || request.endsWith("debuggable.js")) {
      let file = "";
      try {
        file = loader._resolveFilename(request, parent);
      } catch {}
      if (file.endsWith(DEBUGGABLE)) withoutPromiseStacks(loaded as Debuggable);
    }
    return loaded;
  };
}
