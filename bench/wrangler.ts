/**
 * wrangler, the official Cloudflare CLI, installed on demand (pinned) outside the clone for the emulator's wrangler
 * test and the asset bench: it is not a dependency of this project. Installed once into
 * `$WFP_CACHE/wrangler-<version>` (default `~/.cache/pulumi-cloudflare-wfp`), through a temporary directory and a
 * rename, so concurrent first runs never see a half-installed copy.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

export const WRANGLER_VERSION = "4.164.0";

export function cacheDir(): string {
  return process.env.WFP_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-cloudflare-wfp");
}

/** The path of wrangler's CLI entry point, installing it first when needed; throws when it cannot. */
export async function ensureWrangler(log: (line: string) => void = (l) => console.error(l)): Promise<string> {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12))
    throw new Error(`wrangler ${WRANGLER_VERSION} needs Node >= 22.12, this is ${process.version}`);
  const prefix = path.join(cacheDir(), `wrangler-${WRANGLER_VERSION}`);
  const cli = (dir: string) => path.join(dir, "node_modules", "wrangler", "bin", "wrangler.js");
  if (existsSync(cli(prefix))) return cli(prefix);
  log(`installing wrangler@${WRANGLER_VERSION} into ${prefix} (once)`);
  const tmp = `${prefix}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const args = ["install", "--prefix", tmp, "--no-audit", "--no-fund", "--no-save", "--loglevel=error", `wrangler@${WRANGLER_VERSION}`];
    await promisify(execFile)(npm, args, { cwd: tmp, maxBuffer: 16 * 1024 * 1024 });
    if (!existsSync(cli(tmp))) throw new Error(`npm install finished but ${cli(tmp)} is missing`);
    try {
      renameSync(tmp, prefix);
    } catch (err) {
      // Another run installed it first.
      if (!existsSync(cli(prefix))) throw err;
    }
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`installing wrangler@${WRANGLER_VERSION} failed: ${(e.stderr || e.message).trim().split("\n").slice(-3).join(" ")}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return cli(prefix);
}
