/**
 * Node's on-disk compile cache, for the provider process: Pulumi starts it anew for every command, and it loads
 * this package and the `cloudflare` SDK (about 1,100 modules) each time. Imported first by dynamic.ts, so what
 * loads after it is cached; Node leaves it off when NODE_DISABLE_COMPILE_CACHE is set.
 */
import * as nodeModule from "node:module";

try {
  nodeModule.enableCompileCache?.();
} catch {
  // An unwritable cache directory only costs the speed-up.
}
