/**
 * Node's on-disk compile cache for the processes Pulumi starts anew for every command: the program (preload.ts)
 * and the provider host (plugin-host.ts), each loading @pulumi/pulumi and, in the host, this package and the
 * `cloudflare` SDK. Node leaves it off when NODE_DISABLE_COMPILE_CACHE is set.
 */
import * as nodeModule from "node:module";
import * as os from "node:os";
import path from "node:path";

/**
 * Turns the cache on in a directory of the role's own: @pulumi/pulumi sets a V8 flag at a different point of
 * loading in each process, and V8 rejects entries made under other flags, so a shared directory is rewritten by
 * each in turn. With NODE_COMPILE_CACHE set, Node has turned it on already (bin/pulumi-resource-pulumi-nodejs
 * gives the host a subdirectory).
 */
export function enableCompileCache(role: "program" | "provider"): void {
  const base = process.env.NODE_COMPILE_CACHE || path.join(os.tmpdir(), "node-compile-cache");
  try {
    nodeModule.enableCompileCache?.(path.join(base, `wfp-${role}`));
  } catch {
    // An unwritable cache directory only costs the speed-up.
  }
}

/** A flush is queued: coalesces the calls of one task (losing it costs only a second, empty flush). */
let flushQueued = false;

/**
 * Writes what Node compiled so far, after the current task. Pulumi ends the provider process with SIGKILL, so
 * Node's own write at exit never happens there; with a warm cache, or none enabled, this writes nothing.
 */
export function persistCompileCache(): void {
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(() => {
    flushQueued = false;
    try {
      nodeModule.flushCompileCache?.();
    } catch {
      // As above.
    }
  });
}
