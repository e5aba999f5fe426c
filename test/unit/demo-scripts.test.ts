/**
 * The shell functions behind `npm start`: which target the demo uses when the shell carries another project's
 * variables (scripts/demo-stack.sh), and when the set-up runs `npm ci` (scripts/toolchain.sh), run in bash.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir, writeFile } from "../helpers/files";

const SCRIPTS = path.resolve(__dirname, "../../scripts");
const FOREIGN = {
  CLOUDFLARE_BASE_URL: "http://127.0.0.1:9/client/v4",
  CLOUDFLARE_API_TOKEN: "x",
  CLOUDFLARE_ACCOUNT_ID: "ffffffffffffffffffffffffffffffff",
  PULUMI_CONFIG_PASSPHRASE: "other",
  PULUMI_BACKEND_URL: "file:///elsewhere",
};
const NAMES = [...Object.keys(FOREIGN), "PULUMI_CONFIG_PASSPHRASE_FILE"];

function bash(script: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !NAMES.includes(k) && k !== "WFP_DEMO_TARGET"));
  const r = spawnSync("bash", ["-c", script], { env: { ...clean, ...env }, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** choose_target with `env`, then the inherited variables still set, one `NAME=value` a line. */
function chooseTarget(env: Record<string, string>) {
  const show = NAMES.map((n) => `[ -z "\${${n}+set}" ] || echo "${n}=$${n}"`).join("; ");
  return bash(`source ${SCRIPTS}/toolchain.sh && source ${SCRIPTS}/demo-stack.sh && choose_target && echo --- && ${show}`, env);
}

describe("npm start's target", () => {
  it("drops another project's CLOUDFLARE_* and PULUMI_* variables, saying so in one line", () => {
    const r = chooseTarget(FOREIGN);
    expect(r.status).toBe(0);
    const [said, left] = r.stdout.split("---\n");
    expect(said?.trim().split("\n")).toEqual([
      "[platform] ignoring CLOUDFLARE_BASE_URL CLOUDFLARE_API_TOKEN CLOUDFLARE_ACCOUNT_ID PULUMI_CONFIG_PASSPHRASE PULUMI_BACKEND_URL from the shell: the demo uses its own emulator, backend and passphrase (WFP_DEMO_TARGET=inherit uses them)",
    ]);
    expect(left).toBe("");
  });

  it("says nothing when the shell carries none", () => {
    expect(chooseTarget({}).stdout).toBe("---\n");
  });

  it("keeps them with WFP_DEMO_TARGET=inherit", () => {
    const r = chooseTarget({ ...FOREIGN, WFP_DEMO_TARGET: "inherit" });
    expect(r.stdout).toBe(
      `---\n${Object.entries(FOREIGN)
        .map(([k, v]) => `${k}=${v}\n`)
        .join("")}`,
    );
  });

  it("refuses any other WFP_DEMO_TARGET, naming what is allowed", () => {
    const r = chooseTarget({ ...FOREIGN, WFP_DEMO_TARGET: "cloudflare" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/WFP_DEMO_TARGET=cloudflare: allowed is inherit .*, or unset/);
  });
});

describe("npm run drift beside a serving npm start", () => {
  const root = tempDir("serving");

  /** The emulator URL serving_emulator_url finds, with .wfp/emulator.url and the data directory's lock as given. */
  function serving(urlFile: string, lock: string): string {
    writeFile(path.join(root, ".wfp/emulator.url"), urlFile);
    writeFile(path.join(root, ".wfp/emulator/wfp-emulator.lock"), lock);
    const script = `source ${SCRIPTS}/toolchain.sh && source ${SCRIPTS}/demo-stack.sh && WFP_ROOT=${root} EMULATOR_URL_FILE=${root}/.wfp/emulator.url serving_emulator_url`;
    return bash(script, {}).stdout;
  }

  it("finds the emulator whose process holds the data directory, and no other", () => {
    const live = process.pid;
    expect(serving(`${live} http://127.0.0.1:4242\n`, `${live}\n`)).toBe("http://127.0.0.1:4242\n");
    // The lock is another emulator's (the URL file is stale), or its process is gone (killed).
    expect(serving(`${live} http://127.0.0.1:4242\n`, `${live + 1}\n`)).toBe("");
    const gone = spawnSync("true").pid!;
    expect(serving(`${gone} http://127.0.0.1:4242\n`, `${gone}\n`)).toBe("");
  });
});

describe("when the set-up runs npm ci", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const pkg = (version: string, extra: Record<string, unknown> = {}) => ({
    version,
    resolved: `https://registry.npmjs.org/a/-/a-${version}.tgz`,
    integrity: `sha512-${version}`,
    ...extra,
  });
  const lockfile = (packages: Record<string, unknown>) => JSON.stringify({ name: "p", lockfileVersion: 3, packages });

  /** A project whose package-lock.json holds `locked`, and whose last install (npm's own record) `installed`. */
  function project(locked: Record<string, unknown>, installed?: Record<string, unknown>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "wfp-npm-"));
    dirs.push(dir);
    writeFileSync(path.join(dir, "package-lock.json"), lockfile({ "": { name: "p" }, ...locked }));
    if (installed) writeFile(path.join(dir, "node_modules/.package-lock.json"), lockfile(installed));
    return dir;
  }
  const reason = (dir: string, node: string) =>
    bash(`source ${SCRIPTS}/toolchain.sh && npm_install_reason ${dir} ${node}`, {}).stdout.trim();
  const stamp = (dir: string, node: string) =>
    bash(`source ${SCRIPTS}/toolchain.sh && printf '%s %s\\n' ${node} "$(install_record ${dir})" >${dir}/node_modules/.wfp-install`, {});

  const locked = { "node_modules/a": pkg("1.0.0"), "node_modules/b": pkg("2.0.0", { dev: true }) };

  it("not after an install of this lockfile that someone else ran (a user's own npm ci)", () => {
    expect(reason(project(locked, locked), "24.21.0")).toBe("");
  });

  it("not for optional packages of other platforms that npm left out", () => {
    const dir = project({ ...locked, "node_modules/@x/darwin-arm64": pkg("1.0.0", { optional: true }) }, locked);
    expect(reason(dir, "24.21.0")).toBe("");
  });

  it("when the lockfile changed since the last install: a version, a package added or removed, or no install", () => {
    const changed = "package-lock.json changed since the last install";
    expect(reason(project({ ...locked, "node_modules/a": pkg("1.0.1") }, locked), "24.21.0")).toBe(changed);
    expect(reason(project({ ...locked, "node_modules/c": pkg("3.0.0") }, locked), "24.21.0")).toBe(changed);
    expect(reason(project({ "node_modules/a": pkg("1.0.0") }, locked), "24.21.0")).toBe(changed);
    expect(reason(project(locked), "24.21.0")).toBe(changed);
  });

  it("when Node changed since the install the stamp records, not when another install came after it", () => {
    const dir = project(locked, locked);
    stamp(dir, "22.12.0");
    expect(reason(dir, "22.12.0")).toBe("");
    expect(reason(dir, "24.21.0")).toBe("Node changed since the last install (22.12.0, now 24.21.0)");
    writeFile(path.join(dir, "node_modules/.package-lock.json"), `${lockfile(locked)}\n`);
    expect(reason(dir, "24.21.0")).toBe("");
  });
});
