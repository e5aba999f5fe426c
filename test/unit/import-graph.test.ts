/**
 * The import graph of provider/ and emulator/, read from the sources' import statements (type-only imports
 * included): no circle, and the emulator's layers import only downward: model/ (state, store, validators), then
 * the server's support modules beside server.ts (context, options, faults, ...), then routes/ and runtime/ side by
 * side, then the server, its entry points and the CLI.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";

const ROOT = resolve(__dirname, "../..");

/** The relative module specifiers a source imports or re-exports, statically, dynamically or by require(). */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const patterns = [
    /^\s*(?:import|export)\s+(?:type\s+)?[\w*{}\s,$]+?\s+from\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  const found = patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1]!));
  return [...new Set(found.filter((s) => s.startsWith(".")))];
}

/** The source file a specifier names (`.js` → `.ts`, `.mjs` → `.mts`, a folder → its index), or undefined. */
function resolveSource(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier)
    .replace(/\.js$/, "")
    .replace(/\.mjs$/, ".mts");
  return [base, `${base}.ts`, `${base}.mts`, join(base, "index.ts")].find((f) => /\.m?ts$/.test(f) && existsSync(f));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.m?ts$/.test(e.name) && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** File → the files it imports, as paths relative to the repository root. */
function importGraph(...dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap((d) => sources(join(ROOT, d)))) {
    const targets = importSpecifiers(readFileSync(file, "utf8")).flatMap((s) => resolveSource(file, s) ?? []);
    graph.set(
      relative(ROOT, file),
      targets.map((t) => relative(ROOT, t)),
    );
  }
  return graph;
}

/** The strongly connected components with more than one file (or a file importing itself): each is a circle. */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The emulator's entry points: the server that assembles routes and runtime, and what starts it. */
const EMULATOR_TOP = ["emulator/server.ts", "emulator/index.ts", "emulator/cli.ts", "emulator/tail-cli.ts"];

/** Imports that run up (or across) a layer, as `from -> to`. */
function upwardImports(graph: Map<string, string[]>): string[] {
  const forbidden = (from: string, to: string): boolean => {
    if (from.startsWith("emulator/model/")) return to.startsWith("emulator/") && !to.startsWith("emulator/model/");
    if (from.startsWith("emulator/routes/")) return to.startsWith("emulator/runtime/") || EMULATOR_TOP.includes(to);
    if (from.startsWith("emulator/runtime/")) return to.startsWith("emulator/routes/") || EMULATOR_TOP.includes(to);
    if (from.startsWith("emulator/") && !EMULATOR_TOP.includes(from))
      return to.startsWith("emulator/routes/") || to.startsWith("emulator/runtime/") || EMULATOR_TOP.includes(to);
    return false;
  };
  return [...graph].flatMap(([from, targets]) => targets.filter((to) => forbidden(from, to)).map((to) => `${from} -> ${to}`));
}

describe("reading the graph", () => {
  test("static, type-only, multi-line, re-exported, side-effect, dynamic and required imports; comments and packages are not", () => {
    const source = [
      `import { a } from "./a";`,
      `import type { B } from "../b";`,
      `import {\n  c,\n  type D,\n} from "./c.js";`,
      `export * from "./e";`,
      `export type { F } from "./f";`,
      `import "./g";`,
      `const h = await import("./h.mjs");`,
      `const i = require("./i") as typeof import("./i");`,
      `import { j } from "hono";`,
      `/** import { k } from "./k"; */`,
      `// import { l } from "./l";`,
      `export const m = "from './m'";`,
    ].join("\n");
    expect(importSpecifiers(source).sort()).toEqual(["../b", "./a", "./c.js", "./e", "./f", "./g", "./h.mjs", "./i"]);
  });

  test("a circle is found however long, and only files on it are named", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    expect(circles(graph)).toEqual([["a", "b", "c"], ["e"]]);
    expect(circles(new Map([...graph].filter(([k]) => k !== "e")).set("c", ["d"]))).toEqual([]);
  });
});

describe("the emulator's imports", () => {
  const graph = importGraph("emulator");

  test("are read: the upload route imports the model's upload pipeline", () => {
    expect(graph.get("emulator/routes/scripts.ts")).toContain("emulator/model/upload.ts");
  });

  test("have no circle", () => {
    expect(circles(graph)).toEqual([]);
  });

  test("run only downward: model/ imports nothing above it, the support modules neither routes/ nor runtime/, and these neither each other nor the server", () => {
    expect(upwardImports(graph)).toEqual([]);
  });
});

describe("the provider's imports", () => {
  test("have no circle", () => {
    const graph = importGraph("provider");
    expect(graph.get("provider/index.ts")?.length).toBeGreaterThan(0);
    expect(circles(graph)).toEqual([]);
  });
});
