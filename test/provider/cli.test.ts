/**
 * The three CLIs as a user runs them (compiled, in a child process): `--help` answers with usage, options,
 * credentials or environment, and exit codes; a bad argument exits 2; wfp-offboard reads the stack config
 * with --stack (through the pulumi CLI on PATH, here a stand-in printing `pulumi config --json` output) and
 * else only the environment, and says so.
 */
import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cloudflareConfigFromJson, parseOffboardArgs } from "../../provider/offboard-cli";
import { parseDriftArgs } from "../../provider/drift-cli";
import { parseTailArgs } from "../../emulator/tail-cli";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { tempDir } from "../helpers/files";
import { useEmulator } from "../helpers/provider";

const ROOT = path.resolve(__dirname, "../..");
const CLIS = {
  "wfp-emulator": "dist/emulator/cli.js",
  "wfp-drift": "dist/provider/drift-cli.js",
  "wfp-offboard": "dist/provider/offboard-cli.js",
  "wfp-tail": "dist/emulator/tail-cli.js",
};

/** The environment without any Cloudflare or Pulumi setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(CLOUDFLARE_|PULUMI_|VITEST)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Runs a CLI; asynchronously, so that the emulator in this process answers it. */
function run(cli: keyof typeof CLIS, args: string[], env = cleanEnv()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, CLIS[cli]), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(Object.keys(CLIS) as Array<keyof typeof CLIS>)("%s", (cli) => {
  it("--help prints usage, options, credentials or environment, and exit codes, and exits 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const r = await run(cli, [flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ${cli} `));
      expect(r.stdout).toMatch(/--help/);
      expect(r.stdout).toMatch(/CLOUDFLARE_API_TOKEN/);
      expect(r.stdout).toMatch(/Exit codes: 0 /);
    }
  });

  it("an unknown option exits 2 and names it", async () => {
    const r = await run(cli, ["--nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--nope'/);
    expect(r.stderr).toMatch(/Usage:/);
  });
});

describe("argument parsing", () => {
  it("wfp-drift", () => {
    expect(parseDriftArgs(["--cwd", "x", "--stack", "dev"])).toEqual({ help: false, cwd: "x", stack: "dev", format: "text" });
    expect(parseDriftArgs(["--format", "json"])).toMatchObject({ help: false, format: "json" });
    expect(parseDriftArgs(["--format", "yaml"])).toEqual({ error: '--format must be text or json, not "yaml"' });
    expect(parseDriftArgs(["extra"])).toEqual({ error: expect.stringMatching(/positional/) });
  });

  it("wfp-offboard", () => {
    expect(parseOffboardArgs(["--namespace", "ns", "--tag", "a", "--tag", "b=no", "--dry-run"])).toEqual({
      command: { namespace: "ns", tags: { a: true, b: false }, dryRun: true, stack: undefined, cwd: undefined },
    });
    expect(parseOffboardArgs(["--tag", "a"])).toEqual({ error: "--namespace is required" });
    expect(parseOffboardArgs(["--namespace", "ns"])).toEqual({ error: "at least one --tag is required" });
    expect(parseOffboardArgs(["--namespace", "ns", "--tag", "a=maybe"])).toEqual({ error: "--tag a=maybe: expected TAG or TAG=no" });
    expect(parseOffboardArgs(["--namespace", "ns", "--tag", "a", "--cwd", "p"])).toEqual({ error: expect.stringMatching(/give --stack/) });
  });

  it("wfp-tail", () => {
    expect(parseTailArgs(["--script", "dispatcher", "--format", "json"], {})).toEqual({
      help: false,
      url: "http://127.0.0.1:8787",
      format: "json",
      filter: { script: "dispatcher" },
    });
    expect(parseTailArgs(["--tenant", "acme"], { WFP_EMULATOR_URL: "http://127.0.0.1:9/" })).toMatchObject({
      url: "http://127.0.0.1:9",
      format: "pretty",
      filter: { tenant: "acme" },
    });
    expect(parseTailArgs(["--format", "xml"], {})).toEqual({ error: expect.stringMatching(/--format must be json or pretty/) });
    expect(parseTailArgs(["--url", "ftp://x"], {})).toEqual({ error: expect.stringMatching(/--url must be an http/) });
  });

  it("reads the cloudflare: keys of `pulumi config --json --show-secrets`", () => {
    const json = JSON.stringify({
      "cloudflare:apiToken": { value: "tok", secret: true },
      "cloudflare:accountId": { value: ACCOUNT_ID, secret: false },
      "platform:domain": { value: "x", secret: false },
    });
    expect(cloudflareConfigFromJson(json)).toEqual({ "cloudflare:apiToken": "tok", "cloudflare:accountId": ACCOUNT_ID });
  });
});

describe("wfp-offboard credentials", () => {
  // The CLIs run in child processes: this process's provider is not connected to it.
  const em = useEmulator({ namespaces: ["cli-ns"], each: "journal" });
  const bin = tempDir("offboard-cli");

  it("without --stack reads only the environment, and says so when it lacks a token (exit 1)", async () => {
    const r = await run("wfp-offboard", ["--namespace", "cli-ns", "--tag", "tenant-x", "--dry-run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No Cloudflare API token/);
    expect(r.stderr).toMatch(/reads the stack config only with --stack NAME/);

    const withEnv = await run("wfp-offboard", ["--namespace", "cli-ns", "--tag", "tenant-x", "--dry-run"], cleanEnv(em.env));
    expect(withEnv.code, withEnv.stderr).toBe(0);
    expect(withEnv.stdout).toMatch(/would delete 0 script\(s\) from namespace cli-ns/);
  });

  it("with --stack reads the stack config through the pulumi CLI, before the environment", async () => {
    const config = {
      "cloudflare:apiToken": { value: TEST_TOKEN, secret: true },
      "cloudflare:accountId": { value: ACCOUNT_ID },
      "cloudflare:baseUrl": { value: em.apiBase },
    };
    // A stand-in for the pulumi CLI: records its arguments and directory, prints the config.
    const pulumi = path.join(bin, "pulumi");
    writeFileSync(pulumi, `#!/bin/sh\necho "$PWD $*" > "${bin}/args"\ncat <<'JSON'\n${JSON.stringify(config)}\nJSON\n`);
    chmodSync(pulumi, 0o755);
    const env = cleanEnv({ PATH: `${bin}:${process.env.PATH}`, CLOUDFLARE_API_TOKEN: "wrong-token" });
    const r = await run("wfp-offboard", ["--namespace", "cli-ns", "--tag", "tenant-x", "--dry-run", "--stack", "prod", "--cwd", bin], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would delete 0 script\(s\)/);
    expect(readFileSync(path.join(bin, "args"), "utf8").trim()).toBe(`${bin} config --json --show-secrets --stack prod --non-interactive`);
  });

  it("a stack whose config cannot be read fails with exit 1 and the CLI's message", async () => {
    const pulumi = path.join(bin, "pulumi");
    writeFileSync(pulumi, `#!/bin/sh\necho "error: no stack named 'prod' found" >&2\nexit 255\n`);
    chmodSync(pulumi, 0o755);
    const r = await run(
      "wfp-offboard",
      ["--namespace", "cli-ns", "--tag", "t", "--stack", "prod"],
      cleanEnv({ PATH: `${bin}:${process.env.PATH}` }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read the config of stack prod \(pulumi exited 255\): error: no stack named 'prod' found/);
  });
});
