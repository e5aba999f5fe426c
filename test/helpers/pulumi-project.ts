/**
 * Drives the real Pulumi CLI against a project whose program is compiled JavaScript under dist/: the
 * program runs in the Node.js language host's own process, as a user's does, and loads the provider the
 * way a user's program loads the package. Used by the e2e tests and, compiled, by bench/.
 *
 * Each project lives under .wfp/<area>/ inside the repository (ignored by git), with a local file
 * backend and a passphrase secrets provider: no Pulumi Cloud, no network.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The repository root, from test/e2e/ under vitest or from dist/test/e2e/ when compiled. */
export const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const PASSPHRASE = "e2e-passphrase-not-a-secret";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
  ms: number;
}

/** The pids of the processes whose command line holds `command` and whose environment holds `entry` (Linux). */
export function processesWith(command: string, entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const matches = readFileSync(`/proc/${name}/cmdline`, "utf8").includes(command);
      if (matches && readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/**
 * After a test killed a `pulumi` run: Pulumi's language host does not watch its parent and stays behind, idle, in a
 * process group of its own. Stops the one that served the project whose backend is `backendDir`.
 */
export function stopLanguageHosts(backendDir: string): void {
  for (const pid of processesWith("pulumi-language-nodejs", `PULUMI_BACKEND_URL=file://${backendDir}`)) process.kill(pid, "SIGKILL");
}

/** Runs a command; never throws on a non-zero exit. */
export function runCommand(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      output += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      output += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, output, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
}

export interface ProjectOptions {
  /** The compiled program directory, relative to the repository root (e.g. dist/test/e2e/stacks/smoke). */
  program: string;
  /** Extra environment for the CLI and its plugins. */
  env?: Record<string, string>;
  config?: Record<string, string>;
  secretConfig?: Record<string, string>;
  /** Where under .wfp/ the project goes; default "e2e". */
  area?: string;
  /** The stack name; default "dev". */
  stack?: string;
  /**
   * The README's `nodeargs: --require pulumi-cloudflare-wfp/preload` in Pulumi.yaml; default true (it saves about
   * a second of CPU per program run). Pulumi's default set-up runs in the TypeScript-program test (ts-node).
   */
  preload?: boolean;
}

export class PulumiProject {
  readonly dir: string;
  readonly backendDir: string;
  readonly env: Record<string, string>;
  private readonly stack: string;

  private constructor(
    private readonly name: string,
    options: ProjectOptions,
  ) {
    this.stack = options.stack ?? "dev";
    const base = path.join(ROOT, ".wfp", options.area ?? "e2e");
    mkdirSync(base, { recursive: true });
    this.dir = mkdtempSync(path.join(base, `${name}-`));
    this.backendDir = path.join(this.dir, "backend");
    mkdirSync(this.backendDir);
    writeFileSync(
      path.join(this.dir, "Pulumi.yaml"),
      [
        `name: ${name}`,
        "runtime:",
        "  name: nodejs",
        "  options:",
        "    typescript: false",
        ...(options.preload === false ? [] : ["    nodeargs: --require pulumi-cloudflare-wfp/preload"]),
        `main: ${path.join(ROOT, options.program, "index.js")}`,
        "",
      ].join("\n"),
    );
    this.env = {
      ...(process.env as Record<string, string>),
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_HOME: path.join(this.dir, "pulumi-home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      // Every CLI call starts two Node processes (the program and the provider plugin): cache their compiled code.
      NODE_COMPILE_CACHE: path.join(ROOT, ".wfp", "node-compile-cache"),
      ...options.env,
    };
    delete this.env.VITEST;
    delete this.env.VITEST_WORKER_ID;
    delete this.env.VITEST_POOL_ID;
    delete this.env.NODE_OPTIONS;
  }

  /** A project with its stack initialised and configured. */
  static async create(name: string, options: ProjectOptions): Promise<PulumiProject> {
    const project = PulumiProject.prepare(name, options);
    await project.init(options);
    return project;
  }

  /** The project directory and Pulumi.yaml only, for fixtures that live in it; then call init(). */
  static prepare(name: string, options: ProjectOptions): PulumiProject {
    return new PulumiProject(name, options);
  }

  /** Creates the stack and sets all its config in one more CLI call (each costs seconds on a loaded machine). */
  async init(config: Pick<ProjectOptions, "config" | "secretConfig"> = {}): Promise<void> {
    await this.must(["stack", "init", this.stack, "--secrets-provider", "passphrase"]);
    const pairs = [
      ...Object.entries(config.config ?? {}).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
      ...Object.entries(config.secretConfig ?? {}).flatMap(([k, v]) => ["--secret", `${k}=${v}`]),
    ];
    if (pairs.length > 0) await this.must(["config", "set-all", ...pairs]);
  }

  /** Runs `pulumi <args>` in the project; never throws on a non-zero exit. */
  run(args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    return runCommand("pulumi", [...args, "--non-interactive"], { cwd: this.dir, env: { ...this.env, ...extraEnv } });
  }

  /** Runs and throws with the CLI's output when it fails. */
  async must(args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    const result = await this.run(args, extraEnv);
    if (result.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.output.slice(-8000)}`);
    }
    return result;
  }

  up(extra: string[] = []) {
    return this.run(["up", "--yes", "--skip-preview", ...extra]);
  }

  preview(extra: string[] = []) {
    return this.run(["preview", ...extra]);
  }

  async stackOutputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.must(["stack", "output", "--json", "--show-secrets"])).stdout);
  }

  /**
   * The stack's state as `pulumi stack export` prints it (`{version, deployment}`), read from the file backend's own
   * checkpoint, which the engine writes after every step: the same JSON, without a CLI run (about 0.2 s of CPU).
   * Tests of what `pulumi stack export` itself prints run it.
   */
  async exportStack(): Promise<any> {
    const file = path.join(this.backendDir, ".pulumi", "stacks", this.name, `${this.stack}.json`);
    const { version, checkpoint } = JSON.parse(readFileSync(file, "utf8"));
    return { version, deployment: checkpoint.latest };
  }
}
