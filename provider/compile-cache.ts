/**
 * Node's on-disk compile cache, for the provider process: Pulumi starts it anew for every command, and it loads
 * @pulumi/pulumi, this package and the `cloudflare` SDK (about 1,100 modules) each time. Imported first by
 * plugin-host.ts and dynamic.ts, so what loads after it is cached; Node leaves it off when
 * NODE_DISABLE_COMPILE_CACHE is set.
 */
import * as nodeModule from "node:module";

try {
  nodeModule.enableCompileCache?.();
} catch {
  // An unwritable cache directory only costs the speed-up.
}

/**
 * Writes what was compiled so far, after the current task. Pulumi ends the provider process with SIGKILL, so
 * Node's own write at exit never happens there; with a warm cache this writes nothing.
 */
export function persistCompileCache(): void {
  setImmediate(() => {
    try {
      nodeModule.flushCompileCache?.();
    } catch {
      // As above.
    }
  });
}
