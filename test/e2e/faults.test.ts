/**
 * The fault table (issue 7), through the real Pulumi engine against the emulator's fault injection.
 * Each row deploys the platform example (a namespace, a tenant with static assets, a tenant with two
 * secrets) into its own namespace of a shared emulator (the restart row: an emulator CLI of its own), injects
 * a failure, and shows (the transient faults share one run, as each is retried on a different request):
 *   1. what the user sees: a retried transient fault succeeds and logs the retry; a persistent one fails
 *      with a message naming the resource and the operation;
 *   2. a re-run converges (`up` exits 0);
 *   3. `preview --expect-no-changes` passes, with and without `--refresh`, and the emulator holds exactly the
 *      declared scripts, every secret by name and the assets attached (no orphan, nothing lost).
 * docs/reliability.md publishes the table with the messages these rows produce.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCOUNT_ID,
  operator,
  providerEnv,
  startTestEmulator,
  TEST_TOKEN,
  type JournalEntry,
  type Operator,
  type TestEmulator,
} from "../helpers/emulator";
import { PulumiProject, ROOT, type RunResult } from "./harness";

const BASE_ENV = {
  // Fast retries; a persistent fault fails after 4 attempts.
  WFP_RETRY_BASE_DELAY_MS: "50",
  WFP_RETRY_MAX_DELAY_MS: "200",
  WFP_RETRY_MAX_ATTEMPTS: "4",
};
const SECRET_NAMES = ["STRIPE_KEY", "WEBHOOK_SECRET"];
const SMALL_SITE = ["/about.html", "/index.html"];
/** Files in the large site: more than two 2,000-file buckets. */
const LARGE_SITE_FILES = 4100;

const worker = (name: string) => `export default { async fetch() { return new Response(${JSON.stringify(name)}); } };\n`;

function write(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

interface Row {
  project: PulumiProject;
  ns: string;
  apiBase: string;
  /** The operator endpoints of the row's emulator. */
  op: Operator;
  sitePaths: string[];
  secrets: Record<string, string>;
}

/** A project running the platform example with two tenants: `site` (static assets) and `billing` (two secrets). */
async function platformRow(
  name: string,
  emu: { apiBase: string; url: string },
  options: { largeSite?: boolean; env?: Record<string, string> } = {},
): Promise<Row> {
  const ns = `faults-${name}`;
  const secrets = { stripeKey: `sk_live_${randomBytes(12).toString("hex")}`, hookSecret: `whsec_${randomBytes(12).toString("hex")}` };
  const project = await PulumiProject.create(`faults-${name}`, {
    program: "dist/examples/platform",
    env: { ...BASE_ENV, ...providerEnv(emu.apiBase), ...options.env },
  });
  const dir = path.join(project.dir, "tenants");
  write(path.join(dir, "site/worker.js"), worker("site"));
  write(path.join(dir, "billing/worker.js"), worker("billing"));
  let sitePaths = SMALL_SITE;
  write(path.join(dir, "site/public/index.html"), "<h1>site</h1>\n");
  write(path.join(dir, "site/public/about.html"), "<h1>about</h1>\n");
  if (options.largeSite) {
    sitePaths = [...SMALL_SITE];
    for (let i = 0; i < LARGE_SITE_FILES - SMALL_SITE.length; i++) {
      const rel = `/files/${String(i).padStart(4, "0")}.txt`;
      write(path.join(dir, "site/public", rel), `file ${i}\n`);
      sitePaths.push(rel);
    }
  }
  const w = (d: string) => ({ dir: d, modules: ["worker.js"], compatibilityDate: "2025-06-01" });
  const tenants = [
    { id: "site", worker: { ...w("site"), bindings: [{ type: "assets", name: "ASSETS" }] }, assets: { directory: "site/public" } },
    { id: "billing", plan: "pro", worker: w("billing"), secrets: { STRIPE_KEY: "stripeKey", WEBHOOK_SECRET: "hookSecret" } },
  ];
  write(path.join(dir, "tenants.yaml"), stringify({ tenants }));
  // One CLI call for all the config (each call costs a second or more on a loaded machine).
  await project.must([
    "config",
    "set-all",
    "--plaintext",
    `platform:namespace=${ns}`,
    "--plaintext",
    `platform:tenantsFile=${path.join(dir, "tenants.yaml")}`,
    "--secret",
    `platform:stripeKey=${secrets.stripeKey}`,
    "--secret",
    `platform:hookSecret=${secrets.hookSecret}`,
  ]);
  return { project, ns, apiBase: emu.apiBase, op: operator(emu.url), sitePaths: sitePaths.sort(), secrets };
}

const apiPath = (row: Row, rest: string) => `/client/v4/accounts/${ACCOUNT_ID}/workers/dispatch/namespaces/${row.ns}${rest}`;
/** The path (and fault path) of exactly this script's PUT, not its sub-resources. */
const scriptPut = (row: Row, script: string) => apiPath(row, `/scripts/${script}`);

/** The stack's resources of one type, by their name output. */
async function stateResources(project: PulumiProject, type: string): Promise<any[]> {
  const exported = await project.exportStack();
  return (exported.deployment.resources ?? []).filter((r: any) => r.type === `pulumi-nodejs:dynamic/wfp:${type}`);
}

/** Assertions 2 and 3: a re-run converges, previews show no changes, the emulator holds exactly what is declared. */
async function expectConverges(row: Row): Promise<RunResult> {
  await row.op.clearFaults();
  const rerun = await row.project.up();
  expect(rerun.code, rerun.output).toBe(0);
  report(`${row.ns}: re-run`, rerun, /^\s+(info|warning):|^\s+[+~-] \d+ |^\s+\d+ unchanged/);
  const preview = await row.project.preview(["--expect-no-changes"]);
  expect(preview.code, preview.output).toBe(0);
  const refreshed = await row.project.preview(["--refresh", "--expect-no-changes"]);
  expect(refreshed.code, refreshed.output).toBe(0);

  const ns = await row.op.namespace(row.ns);
  expect(Object.keys(ns.scripts).sort(), "exactly the declared scripts: no orphan").toEqual(["billing", "site"]);
  expect(ns.scripts.billing.secrets.sort(), "no secret lost").toEqual(SECRET_NAMES);
  expect(ns.scripts.site.has_assets).toBe(true);
  expect(Object.keys(ns.scripts.site.assets.manifest).sort()).toEqual(row.sitePaths);
  expect(ns.scripts.site.bindings).toContainEqual({ name: "ASSETS", type: "assets" });
  const exported = await row.project.exportStack();
  expect(exported.deployment.pending_operations ?? []).toEqual([]);
  const scripts = (exported.deployment.resources ?? []).filter((r: any) => r.type === "pulumi-nodejs:dynamic/wfp:UserScript");
  expect(scripts.map((r: any) => r.outputs.name).sort(), "one UserScript in state per script").toEqual(["billing", "site"]);
  return rerun;
}

/** Lines of a run's `Diagnostics:` section matching `re` (the progress display repeats them). */
const lines = (run: RunResult, re: RegExp) => {
  const all = run.output.split("\n");
  return all.slice(all.indexOf("Diagnostics:") + 1).filter((l) => /^\s+(warning|error|info):/.test(l) && re.test(l));
};

describe("fault table through the real engine", () => {
  let em: TestEmulator;
  beforeAll(async () => {
    mkdirSync(path.dirname(REPORT), { recursive: true });
    writeFileSync(REPORT, "");
    em = await startTestEmulator();
  });
  afterAll(async () => {
    await em?.close();
  });

  it("transient faults (429 storm with Retry-After, 500/502/503 bursts, connection resets, a response slower than the client timeout) are retried and logged; the run succeeds", async () => {
    const row = await platformRow("transient", em, {
      // Spare attempts beyond the longest burst (3), and a short client timeout for the slow response.
      env: { WFP_RETRY_MAX_ATTEMPTS: "6", WFP_HTTP_TIMEOUT_MS: "3000" },
    });
    // Rules are matched in order; each fires `count` times. The namespace POST is the only request until it
    // succeeds (everything else needs its name), so the storm lands on it.
    await row.op.fault({ path: "/client/v4/accounts/*", status: 429, retryAfter: 1, count: 3 });
    await row.op.fault({ method: "POST", path: apiPath(row, "/scripts/site/assets-upload-session"), status: 500, count: 2 });
    // Held 8 s, then let through: the client abandons the attempt after 3 s and sends the bucket again.
    await row.op.fault({ method: "POST", path: "*/workers/assets/upload", delayMs: 8000, count: 1 });
    await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), status: 502, count: 2 });
    await row.op.fault({ method: "PUT", path: scriptPut(row, "billing"), reset: true, count: 2 });
    await row.op.fault({ method: "PUT", path: apiPath(row, "/scripts/billing/secrets"), status: 503, count: 2 });
    const up = await row.project.up();
    expect(up.code, up.output).toBe(0);
    const retried = (re: RegExp) => lines(up, re);
    expect(
      retried(/DispatchNamespace "faults-transient": create: HTTP 429, Cloudflare error 971: .*; retrying in 1\.0 s/),
      up.output,
    ).toHaveLength(3);
    expect(
      retried(
        /StaticAssets "faults-transient\/site": open assets upload session: HTTP 500, Cloudflare error 10013: Injected fault; retrying/,
      ),
    ).toHaveLength(2);
    expect(
      retried(/StaticAssets "faults-transient\/site": upload assets bucket 1\/1 \(2 files\): no response: Request timed out\.; retrying/),
    ).toHaveLength(1);
    expect(retried(/UserScript "faults-transient\/site": create: HTTP 502, Cloudflare error 10013: Injected fault; retrying/)).toHaveLength(
      2,
    );
    expect(retried(/UserScript "faults-transient\/billing": create: no response: .*; retrying/).length).toBeGreaterThanOrEqual(2);
    expect(
      retried(
        /ScriptSecret "faults-transient\/billing\/(STRIPE_KEY|WEBHOOK_SECRET)": create: HTTP 503, Cloudflare error 10013: Injected fault; retrying/,
      ),
    ).toHaveLength(2);
    const resets = (await row.op.journal()).filter((e) => e.status === 0 && e.method === "PUT" && e.path.includes(row.ns));
    expect(resets, "two connections were reset").toHaveLength(2);
    report("transient faults", up, /retrying/);
    await expectConverges(row);
  });

  it("a 429 asking for a longer wait than the provider allows: fails at once, naming resource and operation", async () => {
    const row = await platformRow("429-long", em);
    await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), status: 429, retryAfter: 3600, count: 1 });
    const up = await row.project.up();
    expect(up.code, up.output).not.toBe(0);
    expect(up.output).toMatch(
      /UserScript "faults-429-long\/site": create failed: HTTP 429, Cloudflare error 971: .* \(the API asked to wait 3600 s, more than the 300 s this provider waits\)/,
    );
    report("429 with a long Retry-After", up, /faults-429-long\/site/);
    await expectConverges(row);
  });

  it("an asset upload that fails after one bucket: the run fails; the re-run uploads only the missing files", async () => {
    const row = await platformRow("buckets", em, { largeSite: true });
    await row.op.fault({ method: "POST", path: "*/workers/assets/upload", status: 500, count: 0, after: 1 });
    const up = await row.project.up();
    expect(up.code, up.output).not.toBe(0);
    expect(up.output).toMatch(
      /StaticAssets "faults-buckets\/site": upload assets bucket [123]\/3 \(\d+ files\) failed after 4 attempts: HTTP 500, Cloudflare error 10013: Injected fault/,
    );
    report("asset upload fails after one bucket", up, /faults-buckets\/site/);
    const stored = (await row.op.namespace(row.ns)).blobs.length;
    expect(stored, "one bucket's files were stored").toBeGreaterThan(0);
    expect(stored).toBeLessThan(LARGE_SITE_FILES);
    expect((await row.op.namespace(row.ns)).scripts.site, "no script deployed without its assets").toBeUndefined();

    await row.op.clearJournal();
    await expectConverges(row);
    const uploads = (await row.op.journal()).filter((e) => e.method === "POST" && e.path.endsWith("/assets/upload"));
    expect(uploads.length, "the re-run sends only the buckets still missing").toBeLessThan(3);
    expect((await row.op.namespace(row.ns)).blobs).toHaveLength(LARGE_SITE_FILES);
    rmSync(path.join(row.project.dir, "tenants", "site", "public", "files"), { recursive: true, force: true }); // 4,100 files
  });

  it("a script PUT that fails after the assets were uploaded: the re-run deploys without uploading again", async () => {
    const row = await platformRow("script-put", em);
    await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), status: 500, count: 0 });
    const up = await row.project.up();
    expect(up.code, up.output).not.toBe(0);
    expect(up.output).toMatch(
      /UserScript "faults-script-put\/site": create failed after 4 attempts: HTTP 500, Cloudflare error 10013: Injected fault/,
    );
    report("script PUT fails after the assets upload", up, /faults-script-put\/site/);
    const ns = await row.op.namespace(row.ns);
    expect(ns.blobs).toHaveLength(SMALL_SITE.length);
    expect(ns.scripts.site).toBeUndefined();
    expect((await stateResources(row.project, "StaticAssets")).map((r) => r.outputs.scriptName)).toEqual(["site"]);

    await row.op.clearJournal();
    await expectConverges(row);
    const journal = await row.op.journal();
    expect(
      journal.filter((e) => e.path.includes("assets-upload") || e.path.endsWith("/assets/upload")),
      "the stored completion token is reused",
    ).toEqual([]);
  });

  it("a secret PUT that fails during a rotation: the old secret stays, the re-run rotates it", async () => {
    const row = await platformRow("secret-put", em);
    const first = await row.project.up();
    expect(first.code, first.output).toBe(0);
    const rotated = `sk_live_${randomBytes(12).toString("hex")}`;
    await row.project.must(["config", "set", "--secret", "platform:stripeKey", rotated]);
    await row.op.fault({ method: "PUT", path: apiPath(row, "/scripts/billing/secrets"), status: 500, count: 0 });
    const up = await row.project.up();
    expect(up.code, up.output).not.toBe(0);
    expect(up.output).toMatch(
      /ScriptSecret "faults-secret-put\/billing\/STRIPE_KEY": update failed after 4 attempts: HTTP 500, Cloudflare error 10013: Injected fault/,
    );
    expect(up.output).not.toContain(rotated);
    report("secret PUT fails during a rotation", up, /faults-secret-put\/billing/);
    expect((await row.op.namespace(row.ns)).scripts.billing.secrets.sort(), "the old secret is still bound").toEqual(SECRET_NAMES);
    // The failed rotation is still pending: preview shows it.
    await row.op.clearFaults();
    const pending = await row.project.preview(["--expect-no-changes"]);
    expect(pending.code, pending.output).not.toBe(0);
    const rerun = await expectConverges(row);
    expect(rerun.output).toMatch(/1 updated/);
  });

  it("the emulator restarted mid-run with --data-dir: the in-flight request is retried, the run succeeds", async () => {
    const dataDir = mkdtempSync(path.join(ROOT, ".wfp", "e2e", "faults-datadir-"));
    let emu = await startCliEmulator(["--port", "0", "--data-dir", dataDir, "--token", TEST_TOKEN, "--no-rate-limit"]);
    try {
      const row = await platformRow("restart", emu, {
        // Enough attempts to outlast a restart; each failed attempt is immediate (connection refused).
        env: { WFP_RETRY_MAX_ATTEMPTS: "40", WFP_RETRY_BASE_DELAY_MS: "100", WFP_RETRY_MAX_DELAY_MS: "500" },
      });
      await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), delayMs: 30_000, count: 1 });
      const running = row.project.up();
      await waitFor(async () => (await row.op.journal()).some((e) => e.method === "PUT" && e.path === scriptPut(row, "site")));
      const port = new URL(emu.url).port;
      await emu.kill();
      emu = await startCliEmulator(["--port", port, "--data-dir", dataDir, "--token", TEST_TOKEN, "--no-rate-limit"]);
      const up = await running;
      expect(up.code, up.output).toBe(0);
      expect(lines(up, /UserScript "faults-restart\/site": create: no response: .*retrying/).length, up.output).toBeGreaterThan(0);
      report("emulator restarted mid-run", up, /retrying/);
      await expectConverges(row);
    } finally {
      await emu.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("pulumi up killed with SIGKILL mid-run: pending creates are cleared by refresh, the re-run converges", async () => {
    const row = await platformRow("sigkill", em);
    // Hold the site script PUT long enough to kill the engine while it is in flight; it is then applied.
    await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), delayMs: 3000, count: 1 });
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], {
      cwd: row.project.dir,
      env: row.project.env,
      stdio: "ignore",
      detached: true, // its own process group: the CLI, the language host and the provider plugin die together
    });
    const closed = new Promise((resolve) => child.on("close", resolve));
    const isSitePut = (e: JournalEntry) => e.method === "PUT" && e.path === scriptPut(row, "site");
    await waitFor(async () => (await row.op.journal()).some(isSitePut));
    process.kill(-child.pid!, "SIGKILL");
    await closed;
    await waitFor(async () => (await row.op.journal()).some((e) => isSitePut(e) && e.status !== 0));

    const exported = await row.project.exportStack();
    const pending = exported.deployment.pending_operations ?? [];
    expect(pending.map((p: any) => `${p.type} ${p.resource.urn.split("::").pop()}`)).toContain("creating site");
    // The held PUT was applied after the engine died: a script the state does not know (the orphan to avoid).
    expect((await row.op.namespace(row.ns)).scripts.site?.name).toBe("site");
    expect((await stateResources(row.project, "UserScript")).map((r) => r.outputs.name)).not.toContain("site");
    // The killed CLI left its lock: a new up names `pulumi cancel`, which on a file backend removes the lock.
    const locked = await row.project.up();
    expect(locked.code).not.toBe(0);
    expect(locked.output).toMatch(/the stack is currently locked by 1 lock\(s\)/);
    report("pulumi up killed: the next up", locked, /locked|lock file/);
    const cancel = await row.project.run(["cancel", "--yes"]);
    expect(cancel.code, cancel.output).toBe(0);
    report("pulumi cancel", cancel, /./);
    // Pulumi's advice for interrupted creates: refresh, clearing them (our creates are upserts, so the re-run
    // adopts whatever the killed run managed to create).
    const refreshed = await row.project.run(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
    expect(refreshed.code, refreshed.output).toBe(0);
    report("refresh --clear-pending-creates", refreshed, /\S/);
    expect((await row.project.exportStack()).deployment.pending_operations ?? []).toEqual([]);
    await expectConverges(row);
  });
});

const REPORT = path.join(ROOT, ".wfp", "e2e", "faults-report.txt");
/** Appends what the user saw to .wfp/e2e/faults-report.txt: the source of the quotes in docs/reliability.md. */
function report(title: string, run: RunResult, re: RegExp): void {
  const seen = run.output.split("\n").filter((l) => re.test(l) && !/^\s*[+~-]?\s+pulumi:pulumi:Stack .*\((\d+s)\)/.test(l));
  appendFileSync(REPORT, `## ${title} (exit ${run.code})\n${[...new Set(seen)].join("\n")}\n\n`);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface CliEmulator {
  url: string;
  apiBase: string;
  kill(): Promise<void>;
}

/** The `wfp-emulator` command in a child process, so that it can be killed and restarted. */
function startCliEmulator(args: string[]): Promise<CliEmulator> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, "dist/emulator/cli.js"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const exited = new Promise<void>((r) => child.on("exit", () => r()));
    child.stderr!.on("data", (d: Buffer) => (err += d));
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      const m = /^listening on (http:\/\/\S+)/m.exec(out);
      if (m) {
        resolve({
          url: m[1]!,
          apiBase: `${m[1]}/client/v4`,
          kill: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
            await exited;
          },
        });
      }
    });
    child.on("exit", (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
  });
}
