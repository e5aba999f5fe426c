/**
 * @module
 * The runtime's own Workers (workers/*.mts, typed, compiled by tsc to ES modules) as Miniflare and the Worker
 * Loader take them: read from the build's output, never spliced. What differs per load comes as bindings, except
 * the few lines of a Worker's entry, which import its main module by name.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Carries the runtime's token on a request that hands a namespace's host its changed Workers (workers/internal.mts). */
export const CONTROL_HEADER = "x-wfp-internal-control";
/** Module names the runtime adds to a Worker (`__wfp_entry.js`, `__wfp/…`): an upload may not use the prefix. */
export const RESERVED_MODULE_PREFIX = "__wfp";
export const ENTRY_MODULE = "__wfp_entry.js";
/** Where a Worker's internal modules sit among its own: their relative imports resolve there. */
const INTERNAL_DIR = "__wfp";

let dir: string | undefined;

/** The compiled Workers: beside this module in a build, else (run from the sources, as the tests do) in dist/. */
export function workersDir(): string {
  if (dir) return dir;
  const here = join(__dirname, "workers");
  const built = join(__dirname, "..", "..", "dist", "emulator", "runtime", "workers");
  const found = [here, built].find((d) => existsSync(join(d, "host.mjs")));
  if (!found) throw new Error(`wfp-emulator: the runtime's Workers are not built (no ${join(here, "host.mjs")}): run npm run build`);
  dir = found;
  return found;
}

/** The compiled Workers' sources, read once (a fixed set of files). */
const sources = new Map<string, string>();
function read(name: string): string {
  let s = sources.get(name);
  if (s === undefined) {
    s = readFileSync(join(workersDir(), name), "utf8");
    sources.set(name, s);
  }
  return s;
}

export type FileModule = { type: "ESModule"; path: string; contents?: string };

/** A runtime Worker for Miniflare's config (its modulesRoot is workersDir()): its main module and what it imports. */
export function runtimeWorker(
  main: `${"front" | "binding" | "host" | "validator" | "fallback" | "broken" | "kv" | "tail" | "storage" | "storage-link"}.mjs`,
): {
  modulesRoot: string;
  modules: FileModule[];
} {
  const root = workersDir();
  // The binding is a wrapped binding: a single module.
  const names = main === "binding.mjs" ? [main] : [main, "internal.mjs"];
  return { modulesRoot: root, modules: names.map((m) => ({ type: "ESModule" as const, path: join(root, m) })) };
}

/**
 * A modules-format Worker's entry (first) and the runtime's modules it imports, by module name. A user Worker's entry
 * imports the subrequest count first (before the deployed modules) and hands its budget to the wrapper; one of an
 * untrusted namespace imports, before that, what hides `request.cf` and `caches.default` (workers/untrusted.mts).
 */
export function entryModules(mainModule: string, kind: "account" | "user" | "untrusted-user"): Record<string, string> {
  const main = JSON.stringify(`./${mainModule}`);
  const own = kind === "untrusted-user" ? [`import "./${INTERNAL_DIR}/untrusted.mjs";`] : [];
  const lines =
    kind === "account"
      ? [`import * as user from ${main};`]
      : [...own, `import { take } from "./${INTERNAL_DIR}/patch.mjs";`, `import * as user from ${main};`];
  lines.push(`import { wrap } from "./${INTERNAL_DIR}/wrap.mjs";`, `export * from ${main};`);
  lines.push(kind === "account" ? "export default wrap(user.default);" : "export default wrap(user.default, take());");
  const modules: Record<string, string> = { [ENTRY_MODULE]: `${lines.join("\n")}\n` };
  const internal = kind === "account" ? [] : kind === "user" ? ["patch.mjs"] : ["patch.mjs", "untrusted.mjs"];
  for (const m of ["internal.mjs", "wrap.mjs", "storage-client.mjs", ...internal]) modules[`${INTERNAL_DIR}/${m}`] = read(m);
  return modules;
}
