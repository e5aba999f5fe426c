"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ENTRY_MODULE = exports.RESERVED_MODULE_PREFIX = exports.CONTROL_HEADER = void 0;
exports.workersDir = workersDir;
exports.runtimeWorker = runtimeWorker;
exports.entryModules = entryModules;
/**
 * @module
 * The runtime's own Workers (workers/*.mts, typed, compiled by tsc to ES modules) as Miniflare and the Worker
 * Loader take them: read from the build's output, never spliced. What differs per load comes as bindings, except
 * the few lines of a Worker's entry, which import its main module by name.
 */
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
/** Carries the runtime's token on a request that hands a namespace's host its changed Workers (workers/internal.mts). */
exports.CONTROL_HEADER = "x-wfp-internal-control";
/** Module names the runtime adds to a Worker (`__wfp_entry.js`, `__wfp/…`): an upload may not use the prefix. */
exports.RESERVED_MODULE_PREFIX = "__wfp";
exports.ENTRY_MODULE = "__wfp_entry.js";
/** Where a Worker's internal modules sit among its own: their relative imports resolve there. */
const INTERNAL_DIR = "__wfp";
let dir;
/** The compiled Workers: beside this module in a build, else (run from the sources, as the tests do) in dist/. */
function workersDir() {
    if (dir)
        return dir;
    const here = (0, node_path_1.join)(__dirname, "workers");
    const built = (0, node_path_1.join)(__dirname, "..", "..", "dist", "emulator", "runtime", "workers");
    const found = [here, built].find((d) => (0, node_fs_1.existsSync)((0, node_path_1.join)(d, "host.mjs")));
    if (!found)
        throw new Error(`wfp-emulator: the runtime's Workers are not built (no ${(0, node_path_1.join)(here, "host.mjs")}): run npm run build`);
    dir = found;
    return found;
}
/** The compiled Workers' sources, read once (a fixed set of files). */
const sources = new Map();
function read(name) {
    let s = sources.get(name);
    if (s === undefined) {
        s = (0, node_fs_1.readFileSync)((0, node_path_1.join)(workersDir(), name), "utf8");
        sources.set(name, s);
    }
    return s;
}
/** A runtime Worker for Miniflare's config (its modulesRoot is workersDir()): its main module and what it imports. */
function runtimeWorker(main) {
    const root = workersDir();
    // The binding is a wrapped binding: a single module.
    const names = main === "binding.mjs" ? [main] : [main, "internal.mjs"];
    return { modulesRoot: root, modules: names.map((m) => ({ type: "ESModule", path: (0, node_path_1.join)(root, m) })) };
}
/**
 * A modules-format Worker's entry (first) and the runtime's modules it imports, by module name. A user Worker's entry
 * imports the subrequest count first (before the deployed modules) and hands its budget to the wrapper.
 */
function entryModules(mainModule, kind) {
    const main = JSON.stringify(`./${mainModule}`);
    const lines = kind === "user"
        ? [`import { take } from "./${INTERNAL_DIR}/patch.mjs";`, `import * as user from ${main};`]
        : [`import * as user from ${main};`];
    lines.push(`import { wrap } from "./${INTERNAL_DIR}/wrap.mjs";`, `export * from ${main};`);
    lines.push(kind === "user" ? "export default wrap(user.default, take());" : "export default wrap(user.default);");
    const modules = { [exports.ENTRY_MODULE]: `${lines.join("\n")}\n` };
    for (const m of kind === "user" ? ["internal.mjs", "wrap.mjs", "patch.mjs"] : ["internal.mjs", "wrap.mjs"])
        modules[`${INTERNAL_DIR}/${m}`] = read(m);
    return modules;
}
