/**
 * A new user's TypeScript program: a fresh project outside the repository, this package installed from
 * its packed tarball with `npm install`, and an index.ts run as is (no build step) with the project set up as the
 * README recommends (Node's own type stripping, `"type": "module"`, the preload), through the real CLI against the
 * emulator: up, preview --expect-no-changes, refresh, destroy; and the same program under Pulumi's ts-node (as
 * `pulumi new typescript` sets a project up), which also type-checks it against the package's types. Also: a stack
 * trace from the installed package names TypeScript files the package ships.
 */
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, TEST_TOKEN, type TestEmulator } from "../helpers/emulator";
import { PASSPHRASE, ROOT, type RunResult, runCommand } from "../helpers/pulumi-project";

// Not under stacks/: the repository does not compile it (it imports the package by name, as a user does).
const FIXTURE = path.join(ROOT, "test/e2e/fresh-project");
const NAMESPACE = "ts-customers";
const STRIPE_KEY = `sk_test_${createHash("sha256").update(String(process.pid)).digest("hex").slice(0, 16)}`;
// Installed node_modules, shared between runs and keyed by what gets installed (not by our own code).
const CACHE = path.join(os.tmpdir(), "pulumi-cloudflare-wfp-ts-program");

/** The README's Pulumi.yaml: Node runs index.ts itself, with the preload. */
const RECOMMENDED_YAML = [
  "name: ts-program",
  "main: index.ts",
  "runtime:",
  "  name: nodejs",
  "  options:",
  "    typescript: false",
  "    nodeargs: --require pulumi-cloudflare-wfp/preload",
  "",
].join("\n");

const lockedVersion = (name: string): string =>
  JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")).packages[`node_modules/${name}`].version;

async function must(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  const result = await runCommand(command, args, { cwd, env });
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.output.slice(-8000)}`);
  return result;
}

/** A digest of the files staged for packing and of the compiler `prepack` runs: the same digest, the same package. */
function stagedDigest(stage: string): string {
  const hash = createHash("sha256").update(lockedVersion("typescript"));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.name === "node_modules") continue;
      if (entry.isDirectory()) walk(file);
      else hash.update(`\0${path.relative(stage, file)}\0`).update(readFileSync(file));
    }
  };
  walk(stage);
  return hash.digest("hex").slice(0, 16);
}

/**
 * Packs the package as `npm publish` would, from a copy of the files it ships: `prepack` then builds a
 * clean dist/ there, leaving the checkout's dist/ (which other suites run) alone. The tarball is kept beside the
 * installed node_modules, by the digest of what was packed: packing the same files again (a run with no change to
 * the package) would cost a whole type-checked build for the same bytes.
 */
async function pack(into: string): Promise<string> {
  const stage = path.join(into, "stage");
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  for (const entry of [...pkg.files, "package.json", "tsconfig.json", "tsconfig.build.json"]) {
    if (!entry.startsWith("dist") && existsSync(path.join(ROOT, entry)))
      cpSync(path.join(ROOT, entry), path.join(stage, entry), { recursive: true });
  }
  const cached = path.join(CACHE, `${pkg.name}-${stagedDigest(stage)}.tgz`);
  if (existsSync(cached)) return cached;
  symlinkSync(path.join(ROOT, "node_modules"), path.join(stage, "node_modules"));
  const packed = await must("npm", ["pack", "--json", "--pack-destination", into], stage);
  const tarball = path.join(into, JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")))[0].filename);
  mkdirSync(CACHE, { recursive: true });
  for (const other of readdirSync(CACHE)) if (other.endsWith(".tgz")) rmSync(path.join(CACHE, other), { force: true });
  cpSync(tarball, `${cached}.${process.pid}`);
  renameSync(`${cached}.${process.pid}`, cached);
  return tarball;
}

/**
 * Seeds a project's node_modules from a cache keyed by the dependencies (ours, as package.json lists them,
 * and the others the project installs), not by our code: `npm install` of a new tarball on top then only
 * unpacks the package itself. `install` fills the cache on a miss.
 */
async function seedNodeModules(project: string, others: string[], install: (into: string) => Promise<unknown>): Promise<void> {
  const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const key = createHash("sha256")
    .update(JSON.stringify([dependencies, others, process.version]))
    .digest("hex")
    .slice(0, 16);
  const cached = path.join(CACHE, key);
  if (!existsSync(cached)) {
    const partial = `${cached}.${process.pid}`;
    mkdirSync(partial, { recursive: true });
    await install(partial);
    try {
      renameSync(partial, cached);
      // Only the newest set of dependencies is kept: each is about 250 MB.
      for (const other of readdirSync(CACHE))
        if (other !== key && !other.includes(".")) rmSync(path.join(CACHE, other), { recursive: true, force: true });
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another run filled it first
    }
  }
  // Hard links: npm replaces a package's files rather than writing into them, so the cache stays intact.
  const copied = await runCommand("cp", ["-al", path.join(cached, "node_modules"), path.join(project, "node_modules")], {
    cwd: project,
    env: process.env,
  });
  if (copied.code !== 0) cpSync(path.join(cached, "node_modules"), path.join(project, "node_modules"), { recursive: true });
  // Not our package: npm would keep the cached copy of an earlier tarball of the same name and version.
  for (const stale of ["pulumi-cloudflare-wfp", ".package-lock.json"])
    rmSync(path.join(project, "node_modules", stale), { recursive: true, force: true });
}

// One scenario in order: never shuffled.
describe("a TypeScript program in a fresh project, the package installed from its tarball", { shuffle: false }, () => {
  let em: TestEmulator;
  let work: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  const pulumi = (args: string[]) => runCommand("pulumi", [...args, "--non-interactive"], { cwd: project, env });
  const namespaces = async () => (await em.state()).accounts[ACCOUNT_ID]?.namespaces ?? {};

  beforeAll(async () => {
    em = await startTestEmulator();
    work = mkdtempSync(path.join(os.tmpdir(), "wfp-ts-program-"));
    project = path.join(work, "project");
    mkdirSync(project);
    for (const file of ["index.ts", "worker.mjs", "public"])
      cpSync(path.join(FIXTURE, file), path.join(project, file), { recursive: true });
    writeFileSync(path.join(project, "Pulumi.yaml"), RECOMMENDED_YAML);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "ts-program", private: true, type: "module" }));
    mkdirSync(path.join(work, "backend"));
    env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${path.join(work, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_HOME: path.join(work, "pulumi-home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
    };
    // The program gets its credentials from stack config, as the README shows, not from our test set-up.
    for (const name of [
      "VITEST",
      "VITEST_WORKER_ID",
      "VITEST_POOL_ID",
      "NODE_OPTIONS",
      "CLOUDFLARE_API_TOKEN",
      "CLOUDFLARE_ACCOUNT_ID",
      "CLOUDFLARE_BASE_URL",
    ]) {
      delete env[name];
    }
    const stack = async () => {
      await must("pulumi", ["stack", "init", "dev", "--secrets-provider", "passphrase", "--non-interactive"], project, env);
      const plain = { namespace: NAMESPACE, "cloudflare:baseUrl": em.apiBase, "cloudflare:accountId": ACCOUNT_ID };
      const secret = { "cloudflare:apiToken": TEST_TOKEN, stripeKey: STRIPE_KEY };
      const args = [
        ...Object.entries(plain).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
        ...Object.entries(secret).flatMap(([k, v]) => ["--secret", `${k}=${v}`]),
      ];
      await must("pulumi", ["config", "set-all", ...args, "--non-interactive"], project, env);
    };

    // What the README tells a new user to install, with the @pulumi/pulumi the repository is tested with.
    const pulumiSdk = `@pulumi/pulumi@${lockedVersion("@pulumi/pulumi")}`;
    const npmInstall = (dir: string, tarball: string) =>
      must("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, pulumiSdk], dir);
    const packed = pack(work);
    // Independent steps side by side: packing is mostly tsc (when the package changed), the rest mostly I/O.
    await Promise.all([packed, stack(), seedNodeModules(project, [pulumiSdk], async (dir) => npmInstall(dir, await packed))]);
    await npmInstall(project, await packed);
    // The package installed is the one just packed: every module this build has.
    const installed = path.join(project, "node_modules", "pulumi-cloudflare-wfp", "dist", "provider");
    for (const file of readdirSync(path.join(ROOT, "dist", "provider")).filter((f) => f.endsWith(".js")))
      expect(existsSync(path.join(installed, file)), file).toBe(true);
  });

  afterAll(async () => {
    await em?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("up deploys the namespace and the tenant: its script, its secret and its assets", async () => {
    const up = await pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.code, up.output).toBe(0);
    const all = await namespaces();
    expect(Object.keys(all)).toEqual([NAMESPACE]);
    const script = all[NAMESPACE].scripts.acme;
    expect(script.secrets).toEqual(["STRIPE_KEY"]);
    expect(script.tags.sort()).toEqual(["plan-pro", "tenant-acme", "wfp-owner=ts-program/dev"]);
    expect(Object.keys(script.assets.manifest)).toEqual(["/index.html"]);

    const outputs = JSON.parse((await pulumi(["stack", "output", "--json"])).stdout);
    expect(outputs).toMatchObject({ namespaceId: all[NAMESPACE].id, scriptName: "acme", secretNames: ["STRIPE_KEY"] });
  });

  it("a second preview shows no changes", async () => {
    const preview = await pulumi(["preview", "--expect-no-changes"]);
    expect(preview.code, preview.output).toBe(0);
  });

  it("the same program under Pulumi's ts-node (type-checked against the package's types) changes nothing", async () => {
    // As that template has it: no "type" (CommonJS output), the TypeScript inside @pulumi/pulumi.
    const packageJson = path.join(project, "package.json");
    const recommended = readFileSync(packageJson, "utf8");
    const { type: _type, ...commonJs } = JSON.parse(recommended);
    writeFileSync(packageJson, JSON.stringify(commonJs));
    writeFileSync(path.join(project, "Pulumi.yaml"), "name: ts-program\nruntime: nodejs\n");
    try {
      const preview = await pulumi(["preview", "--expect-no-changes"]);
      expect(preview.code, preview.output).toBe(0);
    } finally {
      writeFileSync(path.join(project, "Pulumi.yaml"), RECOMMENDED_YAML);
      writeFileSync(packageJson, recommended);
    }
  });

  it("refresh finds no drift", async () => {
    const refresh = await pulumi(["refresh", "--yes", "--skip-preview", "--expect-no-changes"]);
    expect(refresh.code, refresh.output).toBe(0);
  });

  it("the state holds the secret only encrypted and no provider: the plugin host supplies it by type", async () => {
    const exported = (await pulumi(["stack", "export"])).stdout;
    expect(exported).not.toContain(STRIPE_KEY);
    type Stored = { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
    const resources = JSON.parse(exported).deployment.resources as Stored[];
    const ours = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/wfp:"));
    expect(ours.map((r) => r.type.split(":").pop()).sort()).toEqual(["DispatchNamespace", "Tenant"]);
    for (const r of ours) {
      expect(Object.keys(r.outputs ?? {}).length).toBeGreaterThan(0);
      expect(r.inputs).not.toHaveProperty("__provider");
      expect(r.outputs).not.toHaveProperty("__provider");
    }
  });

  it("a stack trace from the installed package names the TypeScript files it ships, at the right line", async () => {
    // Source maps applied as Pulumi's language host and provider host apply them (source-map-support).
    const script = [
      'require(require.resolve("source-map-support/register", { paths: [require.resolve("@pulumi/pulumi")] }));',
      'const { tagFilter } = require("pulumi-cloudflare-wfp");',
      'try { tagFilter({ "a,b": true }); } catch (e) { console.log(e.stack); }',
    ].join("\n");
    const { stdout } = await must("node", ["-e", script], project, env);
    expect(stdout).toContain('offboard: invalid tag "a,b"');
    const frames = [...stdout.matchAll(/\((\S*node_modules\/pulumi-cloudflare-wfp\/[^:)]+):(\d+):\d+\)/g)];
    expect(frames.length, stdout).toBeGreaterThan(0);
    for (const [, file] of frames) {
      expect(file, stdout).toMatch(/\.ts$/);
      expect(existsSync(file), `${file} is shipped`).toBe(true);
    }
    const [, file, line] = frames[0];
    expect(readFileSync(file, "utf8").split("\n")[Number(line) - 1]).toContain("throw new Error");
  });

  it("destroy removes everything", async () => {
    const destroy = await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    expect(await namespaces()).toEqual({});
  });
});
