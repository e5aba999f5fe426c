/**
 * Import through the real engine: a namespace, a script, its secret and its static assets made
 * outside Pulumi are adopted by `pulumi import <type> <name> <id>` and by the `import` resource option. This
 * works only through the repository's dynamic-provider plugin (bin/pulumi-resource-pulumi-nodejs →
 * provider/plugin-host.ts): the stock one fails an import's Read with "code must be a string". The CLI imports are
 * run as with a user's own Pulumi CLI, whose bundled dynamic-provider plugin is the stock one: it cannot import until
 * the README's `plugins:` entry in Pulumi.yaml points at this package's `bin/`. (The "own CLI" is the set-up's binary
 * linked into a directory beside the stock plugin; the `import` option runs with the set-up's CLI, which has ours.)
 *
 * After an import, the program that declares the same objects converges in one `up` that writes only what the
 * API cannot give back: the secret's value (written once) and the assets, which cannot be listed (a session that
 * finds every file already uploaded, and the script PUT that attaches them). Then nothing changes.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, linkSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildManifest } from "../../provider/assets/manifest";
import { uploadAssets } from "../../provider/assets/upload";
import { ACCOUNT_ID, startTestEmulator, type ApiResult, type JournalEntry, type TestEmulator } from "../helpers/emulator";
import { PulumiProject, ROOT, runCommand } from "../helpers/pulumi-project";

const WORKER = "export default { async fetch(req, env) { return env.ASSETS.fetch(req); } };\n";
const TYPE = (kind: string) => `pulumi-nodejs:dynamic/wfp:${kind}`;
const short = (e: JournalEntry) => `${e.method} ${e.path.replace(/^.*?\/workers(?=\/)/, "")}`;

/** A version pinned in scripts/toolchain.sh, the set-up's one place for them. */
function toolchainSetting(name: string): string {
  const match = new RegExp(`^${name}="([^"]+)"`, "m").exec(readFileSync(path.join(ROOT, "scripts/toolchain.sh"), "utf8"));
  if (!match) throw new Error(`scripts/toolchain.sh sets no ${name}`);
  return match[1];
}

const atLeast = (version: string, minimum: string) => {
  const [a, b] = [version, minimum].map((v) => v.split(".").map(Number));
  const first = a.findIndex((n, i) => n !== b[i]);
  return first === -1 || a[first] > b[first];
};

/** A directory holding the set-up's CLI and language host beside Pulumi's stock dynamic-provider plugin. */
function ownCli(dir: string, env: Record<string, string>): string {
  // The CLI looks for bundled plugins beside its own (symlink-resolved) path: give it a directory of its own.
  const cliDir = path.dirname(execFileSync("which", ["pulumi"], { env }).toString().trim());
  const bin = path.join(dir, "own-cli");
  mkdirSync(bin);
  for (const name of ["pulumi", "pulumi-language-nodejs"]) {
    try {
      linkSync(path.join(cliDir, name), path.join(bin, name));
    } catch {
      copyFileSync(path.join(cliDir, name), path.join(bin, name));
    }
  }
  const stock = path.join(bin, "pulumi-resource-pulumi-nodejs");
  copyFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"), stock);
  execFileSync("chmod", ["+x", stock]);
  return bin;
}

async function ok(response: ApiResult, what: string): Promise<any> {
  expect(response.ok, `${what}: HTTP ${response.status} ${response.text}`).toBe(true);
  return response.body.result;
}

/** The site, and the namespace + script + secret + assets made through the API, as another tool (or a lost stack) would. */
async function deployOutOfBand(em: TestEmulator, ns: string, siteDir: string, apiKey: string): Promise<void> {
  mkdirSync(path.join(siteDir, "img"), { recursive: true });
  writeFileSync(path.join(siteDir, "index.html"), "<h1>imported</h1>\n");
  writeFileSync(path.join(siteDir, "img/logo.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>\n");

  await ok(await em.api("POST", "/dispatch/namespaces", { json: { name: ns } }), "create namespace");
  const manifest = await buildManifest({ directory: siteDir });
  const { completionToken } = await uploadAssets(em.client(), { namespace: ns, script: "app" }, manifest.files, {
    resource: "out-of-band assets",
  });
  const metadata = {
    main_module: "worker.js",
    compatibility_date: "2025-06-01",
    bindings: [
      { type: "plain_text", name: "GREETING", text: "hello" },
      { type: "assets", name: "ASSETS" },
    ],
    tags: ["imported"],
    assets: { jwt: completionToken },
  };
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }), "metadata.json");
  form.append("worker.js", new Blob([WORKER], { type: "application/javascript+module" }), "worker.js");
  await ok(await em.api("PUT", `/dispatch/namespaces/${ns}/scripts/app`, { body: form }), "deploy script");
  await ok(
    await em.api("PUT", `/dispatch/namespaces/${ns}/scripts/app/secrets`, { json: { name: "API_KEY", text: apiKey, type: "secret_text" } }),
    "put secret",
  );
}

describe("import through the real engine", () => {
  let em: TestEmulator;
  const apiKey = `key_${randomBytes(12).toString("hex")}`;

  /** A project whose site directory is `<project dir>/site`. */
  const project = async (name: string, ns: string, adopt: boolean) => {
    const p = PulumiProject.prepare(name, {
      program: "dist/test/e2e/stacks/import",
      env: { ...em.env, WFP_RETRY_BASE_DELAY_MS: "20", WFP_RETRY_MAX_ATTEMPTS: "2" },
    });
    await p.init({
      config: { "import:namespace": ns, "import:adopt": String(adopt), "import:siteDir": path.join(p.dir, "site") },
      secretConfig: { "import:apiKey": apiKey },
    });
    return p;
  };

  /** The state's resources of our types, by kind. */
  const stateByKind = async (p: PulumiProject) => {
    const exported = await p.exportStack();
    const byKind: Record<string, any> = {};
    for (const r of exported.deployment.resources ?? []) {
      const kind = /^pulumi-nodejs:dynamic\/wfp:(.+)$/.exec(r.type)?.[1];
      if (kind) byKind[kind] = r;
    }
    return byKind;
  };

  /** The writes of the first `up` after an import: the secret once, the assets attached again; no file upload. */
  const expectConvergingUp = async (p: PulumiProject, ns: string) => {
    await em.clearJournal();
    const up = await p.up();
    expect(up.code, up.output).toBe(0);
    const writes = (await em.writes()).map(short).sort();
    expect(writes).toEqual(
      [
        `POST /dispatch/namespaces/${ns}/scripts/app/assets-upload-session`,
        `PUT /dispatch/namespaces/${ns}/scripts/app`,
        `PUT /dispatch/namespaces/${ns}/scripts/app/secrets`,
      ].sort(),
    );
    const script = (await em.state()).accounts[ACCOUNT_ID].namespaces[ns].scripts.app;
    expect(script.secrets).toEqual(["API_KEY"]);
    expect(script.has_assets).toBe(true);
    expect(Object.keys(script.assets.manifest).sort()).toEqual(["/img/logo.svg", "/index.html"]);

    // One run for both checks: the next `up` finds nothing to change (it fails otherwise) and writes nothing.
    await em.clearJournal();
    const again = await p.up(["--expect-no-changes"]);
    expect(again.code, again.output).toBe(0);
    expect(await em.writes(), "no write after convergence").toEqual([]);
    const refreshed = await p.preview(["--refresh", "--expect-no-changes"]);
    expect(refreshed.code, refreshed.output).toBe(0);
    expect(JSON.stringify(await p.exportStack())).not.toContain(apiKey);
  };

  beforeAll(async () => {
    em = await startTestEmulator();
  });

  afterAll(async () => {
    await em?.close();
  });

  it("runs on the CLI the set-up pinned", async () => {
    // The Automation API needs a semver of at least the set-up's minimum; the CLI the set-up builds (the one
    // in its cache) reports the pinned version it was built from.
    const run = { cwd: ROOT, env: process.env };
    const version = (await runCommand("pulumi", ["version"], run)).stdout.trim();
    expect(version).toMatch(/^v3\.\d+\.\d+$/);
    expect(atLeast(version.slice(1), toolchainSetting("PULUMI_MIN_VERSION")), version).toBe(true);
    const cli = realpathSync((await runCommand("bash", ["-c", "command -v pulumi"], run)).stdout.trim());
    const pinned = toolchainSetting("PULUMI_VERSION");
    if (cli.endsWith(`/pulumi-v${pinned}/bin/pulumi`)) expect(version).toBe(`v${pinned}`);
  });

  it("adopts each resource with `pulumi import <type> <name> <id>` (the stock plugin cannot; `plugins:` fixes it), then a matching program has nothing to change", async () => {
    const ns = "e2e-import-cli";
    const p = await project("import-cli", ns, false);
    await deployOutOfBand(em, ns, path.join(p.dir, "site"), apiKey);
    const nsId = (await em.state()).accounts[ACCOUNT_ID].namespaces[ns].id;
    const stock = { PATH: `${ownCli(p.dir, p.env)}:${p.env.PATH}` };
    const importArgs = (kind: string, name: string, id: string) => [
      "import",
      TYPE(kind),
      name,
      id,
      "--yes",
      "--skip-preview",
      "--protect=false",
    ];

    await em.clearJournal();
    const refused = await p.run(importArgs("DispatchNamespace", "ns", ns), stock);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/DispatchNamespace ns import.*error/);
    const file = path.join(p.dir, "Pulumi.yaml");
    writeFileSync(
      file,
      `${readFileSync(file, "utf8")}plugins:\n  providers:\n    - name: pulumi-nodejs\n      path: ${path.join(ROOT, "bin")}\n`,
    );
    for (const [kind, name, id] of [
      ["DispatchNamespace", "ns", ns],
      ["UserScript", "app", `${ns}/app`],
      ["ScriptSecret", "app-api-key", `${ns}/app/API_KEY`],
      ["StaticAssets", "app-assets", `${ns}/app`],
    ]) {
      const imported = await p.run(importArgs(kind!, name!, id!), stock);
      expect(imported.code, `${kind}: ${imported.output}`).toBe(0);
      expect(imported.output).not.toMatch(/code must be a string|failed to validate/);
      // The code it prints for each kind; never the secret's value.
      expect(imported.stdout).toContain(`new pulumi_nodejs.${kind}("${name}", {`);
      expect(imported.output).not.toContain(apiKey);
    }
    expect(await em.writes(), "an import only reads").toEqual([]);

    const state = await stateByKind(p);
    expect(state.DispatchNamespace.id).toBe(nsId);
    expect(state.DispatchNamespace.outputs).toMatchObject({ name: ns, namespaceId: nsId, trustedWorkers: false });
    expect(state.UserScript.id).toBe(`${ns}/app`);
    expect(state.UserScript.outputs).toMatchObject({
      namespace: ns,
      name: "app",
      mainModule: "worker.js",
      compatibilityDate: "2025-06-01",
      tags: ["imported"],
      bindings: [
        { type: "plain_text", name: "GREETING", text: "hello" },
        { type: "assets", name: "ASSETS" },
      ],
      modules: [{ name: "worker.js", type: "application/javascript+module" }],
    });
    expect(state.UserScript.outputs.etag).toBe((await em.state()).accounts[ACCOUNT_ID].namespaces[ns].scripts.app.etag);
    expect(state.ScriptSecret.id).toBe(`${ns}/app/API_KEY`);
    expect(state.ScriptSecret.outputs).toMatchObject({ namespace: ns, scriptName: "app", name: "API_KEY" });
    expect(state.StaticAssets.id).toBe(`${ns}/app`);
    expect(state.StaticAssets.outputs).toMatchObject({ namespace: ns, scriptName: "app" });
    for (const r of Object.values(state)) expect(r.protect ?? false).toBe(false);

    await expectConvergingUp(p, ns);
  });

  it("adopts them with the `import` resource option in one `up`", async () => {
    const ns = "e2e-import-option";
    const p = await project("import-option", ns, true);
    await deployOutOfBand(em, ns, path.join(p.dir, "site"), apiKey);
    const nsId = (await em.state()).accounts[ACCOUNT_ID].namespaces[ns].id;

    const preview = await p.preview();
    expect(preview.code, preview.output).toBe(0);
    expect(preview.output).toMatch(/4 to import/);
    expect(preview.output).not.toMatch(/wfp:\S+ \S+ create/); // only the stack itself is new

    await expectConvergingUp(p, ns);
    const state = await stateByKind(p);
    expect(state.DispatchNamespace.id).toBe(nsId);
    expect(Object.keys(state).sort()).toEqual(["DispatchNamespace", "ScriptSecret", "StaticAssets", "UserScript"]);
    expect((await em.state()).accounts[ACCOUNT_ID].namespaces[ns].scripts.app.bindings).toEqual(
      expect.arrayContaining([{ name: "API_KEY", type: "secret_text" }]),
    );

    const destroy = await p.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    expect((await em.state()).accounts[ACCOUNT_ID].namespaces[ns]).toBeUndefined();
  });
});
