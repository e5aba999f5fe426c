/**
 * globalSetup of the projects that load compiled code (the Pulumi CLI runs dist/, and the provider tests load
 * the package by name): dist/ must hold the current sources. Each compiled source is compared with its output;
 * when one is newer or missing, dist/ is rebuilt first, so a test never runs stale code.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
/** What tsconfig.json compiles (its include), as directories and single files. */
const SOURCES = [
  "cli",
  "cloudflare",
  "provider",
  "emulator",
  "examples",
  "bench",
  "test/e2e/stacks",
  "test/helpers/pulumi-project.ts",
  "test/types",
  "test/helpers/emulator.ts",
];

function tsFiles(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const child = path.join(rel, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(child);
    return /\.m?ts$/.test(e.name) && !/\.d\.m?ts$/.test(e.name) ? [child] : [];
  });
}

/** The first source whose compiled output is missing or older than it, if any. */
export function staleSource(): string | undefined {
  for (const src of SOURCES.flatMap(tsFiles)) {
    const out = path.join(ROOT, "dist", src.replace(/\.ts$/, ".js").replace(/\.mts$/, ".mjs"));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(path.join(ROOT, src)).mtimeMs) return src;
  }
  return undefined;
}

export default function setup(): void {
  const stale = staleSource();
  if (stale === undefined) return;
  console.error(`[dist] ${stale} is newer than its build: running tsc -p tsconfig.json`);
  execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: ROOT, stdio: "inherit" });
  const still = staleSource();
  if (still !== undefined) throw new Error(`dist/ is still older than ${still} after tsc`);
}
