/**
 * The fault table's rows that need the real Pulumi engine (docs/reliability.md), against the emulator's fault
 * injection: what the user sees of retries (the provider's warnings in the engine's Diagnostics), the API
 * restarted mid-run, and `pulumi up` killed with SIGKILL. The rows that need no engine (a long Retry-After, a
 * slow response, a failed bucket, a failed script or secret PUT) run at the provider level in
 * test/provider/faults.test.ts. Each row deploys the platform example (a namespace, a tenant with static assets,
 * a tenant with two secrets, each one Tenant resource) into its own namespace (the restart row: on an emulator CLI of its own), injects
 * failures, and shows:
 *   1. what the user sees: retried faults succeed and each retry is logged;
 *   2. a re-run converges (`up` exits 0);
 *   3. `preview --expect-no-changes` passes, with and without `--refresh`, and the emulator holds exactly the
 *      declared scripts, every secret by name and the assets attached (no orphan, nothing lost).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { dump } from "js-yaml";
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
import { filesUnder, writeFiles } from "../helpers/files";
import { ScenarioReport } from "../helpers/report";
import { PulumiProject, processesWith, ROOT, type RunResult, stopLanguageHosts } from "../helpers/pulumi-project";

const BASE_ENV = {
  // Fast retries; a persistent fault fails after 4 attempts.
  WFP_RETRY_BASE_DELAY_MS: "50",
  WFP_RETRY_MAX_DELAY_MS: "200",
  WFP_RETRY_MAX_ATTEMPTS: "4",
};
const SECRET_NAMES = ["STRIPE_KEY", "WEBHOOK_SECRET"];
const SMALL_SITE = ["/about.html", "/index.html"];

const worker = (name: string) => `export default { async fetch() { return new Response(${JSON.stringify(name)}); } };\n`;

interface Row {
  project: PulumiProject;
  ns: string;
  /** The operator endpoints of the row's emulator. */
  op: Operator;
  secrets: Record<string, string>;
}

/** A project running the platform example with two tenants: `site` (static assets) and `billing` (two secrets). */
async function platformRow(name: string, emu: { apiBase: string; url: string }, env: Record<string, string> = {}): Promise<Row> {
  const ns = `faults-${name}`;
  const secrets = { stripeKey: `sk_live_${randomBytes(12).toString("hex")}`, hookSecret: `whsec_${randomBytes(12).toString("hex")}` };
  const project = PulumiProject.prepare(`faults-${name}`, {
    program: "dist/examples/platform",
    env: { ...BASE_ENV, ...providerEnv(emu.apiBase), ...env },
  });
  const dir = path.join(project.dir, "tenants");
  const w = (d: string) => ({ dir: d, modules: ["worker.js"], compatibilityDate: "2025-06-01" });
  const tenants = [
    { id: "site", worker: { ...w("site"), bindings: [{ type: "assets", name: "ASSETS" }] }, assets: { directory: "site/public" } },
    { id: "billing", plan: "pro", worker: w("billing"), secrets: { STRIPE_KEY: "stripeKey", WEBHOOK_SECRET: "hookSecret" } },
  ];
  writeFiles(dir, {
    "site/worker.js": worker("site"),
    "billing/worker.js": worker("billing"),
    "site/public/index.html": "<h1>site</h1>\n",
    "site/public/about.html": "<h1>about</h1>\n",
    "tenants.yaml": dump({ tenants }),
  });
  await project.init({
    config: { "platform:namespace": ns, "platform:tenantsFile": path.join(dir, "tenants.yaml") },
    secretConfig: { "platform:stripeKey": secrets.stripeKey, "platform:hookSecret": secrets.hookSecret },
  });
  return { project, ns, op: operator(emu.url), secrets };
}

const apiPath = (row: Row, rest: string) => `/client/v4/accounts/${ACCOUNT_ID}/workers/dispatch/namespaces/${row.ns}${rest}`;
/** The path (and fault path) of exactly this script's PUT, not its sub-resources. */
const scriptPut = (row: Row, script: string) => apiPath(row, `/scripts/${script}`);

/** The resources of one of our types in a stack export. */
const stateResources = (exported: any, type: string): any[] =>
  (exported.deployment.resources ?? []).filter((r: any) => r.type === `pulumi-nodejs:dynamic/wfp:${type}`);

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
  expect(Object.keys(ns.scripts.site.assets.manifest).sort()).toEqual(SMALL_SITE);
  expect(ns.scripts.site.bindings).toContainEqual({ name: "ASSETS", type: "assets" });
  const exported = await row.project.exportStack();
  expect(exported.deployment.pending_operations ?? []).toEqual([]);
  expect(
    stateResources(exported, "Tenant")
      .map((r) => r.outputs.scriptName)
      .sort(),
    "one Tenant in state per script",
  ).toEqual(["billing", "site"]);
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
    scenarios.start();
    em = await startTestEmulator();
  });
  afterAll(async () => {
    await em?.close();
  });

  it("transient faults (a 429 storm, 500/502/503 bursts, connection resets), then the API restarted mid-run: every retry is shown, the run succeeds", async () => {
    // One run for both: the bursts land first; then, with the site script PUT in flight, the emulator CLI is killed
    // and started again on its port and data directory.
    const dataDir = mkdtempSync(path.join(ROOT, ".wfp", "e2e", "faults-datadir-"));
    let emu = await startCliEmulator(["--port", "0", "--data-dir", dataDir, "--token", TEST_TOKEN, "--no-rate-limit"]);
    try {
      // Enough attempts to outlast the restart; each attempt while it is down fails at once (connection refused).
      const row = await platformRow("transient", emu, {
        WFP_RETRY_MAX_ATTEMPTS: "40",
        WFP_RETRY_BASE_DELAY_MS: "100",
        WFP_RETRY_MAX_DELAY_MS: "500",
      });
      // Rules are matched in order; each fires `count` times. The namespace POST is the only request until it
      // succeeds (everything else needs its name), so the storm lands on it. Its wait comes from retry-after-ms
      // (Retry-After in seconds is honoured too: test/provider/faults.test.ts), so the run does not sleep seconds.
      await row.op.fault({ path: "/client/v4/accounts/*", status: 429, retryAfter: 1, headers: { "retry-after-ms": "100" }, count: 3 });
      await row.op.fault({ method: "POST", path: apiPath(row, "/scripts/site/assets-upload-session"), status: 500, count: 2 });
      await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), status: 502, count: 2 });
      await row.op.fault({ method: "PUT", path: scriptPut(row, "billing"), reset: true, count: 2 });
      await row.op.fault({ method: "PUT", path: scriptPut(row, "billing"), status: 503, count: 2 });
      // The site PUT after its two 502s is held while the emulator restarts (and lost with it).
      await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), delayMs: 30_000, count: 1 });
      const running = row.project.up();
      // Restart once every rule has fired and billing (its script with both secrets) is stored; the journal lives
      // in the emulator's memory, so the resets are counted first.
      let journal: JournalEntry[] = [];
      await waitFor(async () => {
        journal = await row.op.journal();
        const stored = journal.filter((e) => e.method === "PUT" && e.path === scriptPut(row, "billing") && e.status === 200);
        return (await row.op.faults()).every((rule) => rule.remaining === 0) && stored.length === 1;
      });
      const resets = journal.filter((e) => e.status === 0 && e.method === "PUT" && e.path === scriptPut(row, "billing"));
      expect(resets, "two connections were reset").toHaveLength(2);
      const port = new URL(emu.url).port;
      await emu.kill();
      emu = await startCliEmulator(["--port", port, "--data-dir", dataDir, "--token", TEST_TOKEN, "--no-rate-limit"]);
      const up = await running;
      expect(up.code, up.output).toBe(0);
      const retried = (re: RegExp) => lines(up, re);
      expect(
        retried(/DispatchNamespace "faults-transient": create: HTTP 429, Cloudflare error 971: .*; retrying in 0\.1 s/),
        up.output,
      ).toHaveLength(3);
      expect(
        retried(
          /assets of Tenant "faults-transient\/site": open assets upload session: HTTP 500, Cloudflare error 10013: Injected fault; retrying/,
        ),
      ).toHaveLength(2);
      expect(retried(/Tenant "faults-transient\/site": create: HTTP 502, Cloudflare error 10013: Injected fault; retrying/)).toHaveLength(
        2,
      );
      expect(retried(/Tenant "faults-transient\/billing": create: no response: .*; retrying/).length).toBeGreaterThanOrEqual(2);
      expect(
        retried(/Tenant "faults-transient\/billing": create: HTTP 503, Cloudflare error 10013: Injected fault; retrying/),
      ).toHaveLength(2);
      // The held PUT died with the emulator; it and the refused connections while it was down were retried.
      expect(retried(/Tenant "faults-transient\/site": create: no response: .*retrying/).length, up.output).toBeGreaterThan(0);
      report("transient faults, then the emulator restarted mid-run", up, /retrying/);
      await expectConverges(row);
    } finally {
      await emu.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("pulumi up killed with SIGKILL mid-run: pending creates are cleared by refresh, the re-run converges", async () => {
    const row = await platformRow("sigkill", em);
    // Hold the site script PUT long enough to kill the engine while it is in flight; it is then applied.
    await row.op.fault({ method: "PUT", path: scriptPut(row, "site"), delayMs: 5000, count: 1 });
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], {
      cwd: row.project.dir,
      env: row.project.env,
      stdio: "ignore",
      detached: true, // its own process group: the CLI, the language host and the provider plugin die together
    });
    const closed = new Promise((resolve) => child.on("close", resolve));
    const isSitePut = (e: JournalEntry) => e.method === "PUT" && e.path === scriptPut(row, "site");
    // Kill while that PUT is the only thing in flight and the checkpoint is at rest: a kill in the middle of a
    // checkpoint write leaves a file the backend cannot read ("failed to load checkpoint: EOF"), another story.
    await waitFor(async () => {
      const journal = await row.op.journal();
      const inFlight = journal.filter((e) => e.status === 0);
      return inFlight.length === 1 && isSitePut(inFlight[0]!) && Date.now() - lastWrite(row.project.backendDir) > 500;
    });
    process.kill(-child.pid!, "SIGKILL");
    await closed;
    // Our provider host, in a process group of its own, goes too.
    const backend = `PULUMI_BACKEND_URL=file://${row.project.backendDir}`;
    await waitFor(async () => processesWith("pulumi-cloudflare-wfp/plugin-host", backend).length === 0, 15_000);
    stopLanguageHosts(row.project.backendDir);
    await waitFor(async () => (await row.op.journal()).some((e) => isSitePut(e) && e.status !== 0));

    const exported = await row.project.exportStack();
    const pending = exported.deployment.pending_operations ?? [];
    expect(pending.map((p: any) => `${p.type} ${p.resource.urn.split("::").pop()}`)).toContain("creating site");
    // The held PUT was applied after the engine died: a script the state does not know (the orphan to avoid).
    expect((await row.op.namespace(row.ns)).scripts.site?.name).toBe("site");
    expect(stateResources(exported, "Tenant").map((r) => r.outputs.scriptName)).not.toContain("site");
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

const scenarios = new ScenarioReport(path.join(ROOT, ".wfp", "e2e", "faults-report.txt"));
/** Records what the user saw in .wfp/e2e/faults-report.txt: the source of the quotes in docs/reliability.md. */
function report(title: string, run: RunResult, re: RegExp): void {
  const seen = run.output.split("\n").filter((l) => re.test(l) && !/^\s*[+~-]?\s+pulumi:pulumi:Stack .*\((\d+s)\)/.test(l));
  scenarios.add(`${title} (exit ${run.code})`, seen);
}

/** When a file under `dir` was last written (ms since the epoch). */
function lastWrite(dir: string): number {
  return Math.max(0, ...filesUnder(dir).map((f) => statSync(f).mtimeMs));
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
