/**
 * Ownership through the real engine:
 * - a first `up` with `PULUMI_SKIP_CHECKPOINTS=true` (the engine's linear mode, which saves no state until the run
 *   ends) killed with SIGKILL midway leaves live scripts the state does not know; the next `up` (after
 *   `pulumi cancel` for the lock) adopts them, the namespace included, and converges with no other step; in
 *   between, `wfp-drift` lists them;
 * - a second stack declaring a tenant the first one owns fails at `up`, leaves the script untouched, and its
 *   `destroy` does not delete it.
 * Both stacks also keep a routing table (a KvNamespace and a KvEntries, as the example platform does): a killed run
 * leaves it live too, and one stack's keys are not another's.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, type JournalEntry, type TestEmulator } from "../helpers/emulator";
import { PulumiProject, ROOT, runCommand, type RunResult, stopLanguageHosts } from "../helpers/pulumi-project";

let emu: TestEmulator;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => emu?.close());

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);
const liveScripts = async (ns: string) => (await emu.state()).accounts[ACCOUNT_ID]?.namespaces?.[ns]?.scripts ?? {};

async function project(name: string, stack: string, config: Record<string, string>, env: Record<string, string> = {}) {
  return PulumiProject.create(name, { program: "dist/test/e2e/stacks/ownership", stack, env: { ...emu.env, ...env }, config });
}

/** `wfp-drift` on the project, as CI runs it. */
function runDrift(p: PulumiProject): Promise<RunResult> {
  return runCommand("node", [path.join(ROOT, "dist/provider/drift-cli.js"), "--cwd", p.dir, "--stack", "dev"], { cwd: p.dir, env: p.env });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("ownership through the real engine", () => {
  it("an up with PULUMI_SKIP_CHECKPOINTS killed midway: the next up adopts what it created and converges", async () => {
    const ns = "crash-ns";
    const tenants = ids("t", 24);
    const p = await project(
      "own-crash",
      "dev",
      { "own:namespace": ns, "own:ownsNamespace": "true", "own:routes": "true", "own:tenants": tenants.join(",") },
      { PULUMI_SKIP_CHECKPOINTS: "true" },
    );
    await emu.clearJournal();
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], {
      cwd: p.dir,
      env: p.env,
      stdio: "ignore",
      detached: true, // its own process group: the CLI, the language host and the provider die together
    });
    const closed = new Promise((resolve) => child.on("close", resolve));
    const isScriptPut = (e: JournalEntry) => e.method === "PUT" && /\/dispatch\/namespaces\/crash-ns\/scripts\/[^/]+$/.test(e.path);
    await waitFor(async () => (await emu.journal()).filter((e) => isScriptPut(e) && e.status === 200).length >= 8);
    process.kill(-child.pid!, "SIGKILL");
    await closed;
    stopLanguageHosts(p.backendDir);
    await new Promise((r) => setTimeout(r, 1000)); // let requests already sent land

    const orphans = Object.keys(await liveScripts(ns));
    expect(orphans.length).toBeGreaterThanOrEqual(8);
    expect(orphans.length).toBeLessThan(tenants.length);
    // The tenants waited for the routing table: the killed run wrote it.
    expect((await emu.state()).accounts[ACCOUNT_ID].kv[`${ns}-routes`].keys).toHaveLength(tenants.length);
    const before = await p.exportStack();
    expect((before.deployment.resources ?? []).filter((r: { type: string }) => r.type.includes("wfp:"))).toEqual([]);

    // The killed run's lock: Pulumi names `pulumi cancel`, the one manual step.
    const locked = await p.up();
    expect(locked.output).toMatch(/the stack is currently locked/);
    const cancel = await p.run(["cancel", "--yes"]);
    expect(cancel.code, cancel.output).toBe(0);
    // wfp-drift names what the run left: this stack's scripts, not in its state, which the next up adopts.
    const drift = await runDrift(p);
    expect(drift.code, drift.output).toBe(1);
    for (const id of orphans) {
      expect(drift.output).toContain(
        `"${ns}/${id}": this stack's owner tag (wfp-owner=own-crash/dev) but not in its state (left by a run that died), declared: the next pulumi up adopts it`,
      );
    }

    const up = await p.up();
    expect(up.code, up.output).toBe(0);
    const live = await liveScripts(ns);
    expect(Object.keys(live).sort()).toEqual(tenants);
    for (const id of tenants) {
      expect(live[id].tags, id).toEqual([`tenant-${id}`, "wfp-owner=own-crash/dev"]);
      expect(live[id].secrets, id).toEqual(["API_KEY"]);
    }
    const exported = await p.exportStack();
    const inState = (exported.deployment.resources ?? [])
      .filter((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/wfp:Tenant")
      .map((r: { outputs: { scriptName: string } }) => r.outputs.scriptName)
      .sort();
    expect(inState, "nothing live that the state lacks").toEqual(tenants);
    // The routing table the killed run wrote is adopted, not refused: its keys carry this stack's owner.
    const kv = (await emu.state()).accounts[ACCOUNT_ID].kv;
    expect(kv[`${ns}-routes`].keys).toEqual(tenants.map((id) => `tenant:${id}`).sort());
    const clean = await p.preview(["--refresh", "--expect-no-changes"]);
    expect(clean.code, clean.output).toBe(0);
  });

  it("a second stack declaring another stack's tenant fails at up, leaves it untouched, and its destroy keeps it", async () => {
    const ns = "shared-ns";
    const a = await project("own-shards", "shard-a", {
      "own:namespace": ns,
      "own:ownsNamespace": "true",
      "own:routes": "true",
      "own:tenants": "alpha",
    });
    const upA = await a.up();
    expect(upA.code, upA.output).toBe(0);
    const alpha = (await liveScripts(ns)).alpha;
    expect(alpha.tags).toEqual(["tenant-alpha", "wfp-owner=own-shards/shard-a"]);
    const routes = String((await a.stackOutputs()).routes);
    const route = (key: string) => emu.api("GET", `${emu.apiBase}/accounts/${ACCOUNT_ID}/storage/kv/namespaces/${routes}/values/${key}`);

    // Shard b shares the routing table, as the example platform's shards do, and lists alpha too.
    const b = await project("own-shards", "shard-b", { "own:namespace": ns, "own:routesId": routes, "own:tenants": "alpha,beta" });
    // Both refusals are told: the engine stops scheduling at the first error unless told to go on.
    const upB = await b.up(["--continue-on-error"]);
    expect(upB.code).not.toBe(0);
    expect(upB.output).toContain(
      `KvEntries "${routes}": create failed: 1 key already exists in KV namespace ${routes} and is not this stack's: "tenant:alpha" (owned by wfp-owner=own-shards/shard-a). Nothing was written.`,
    );
    expect((await route("tenant:beta")).status).toBe(404);
    expect(upB.output).toContain(
      `Tenant "${ns}/alpha": create failed: a script named "alpha" already exists in namespace "${ns}", owned by another stack (tag wfp-owner=own-shards/shard-a).`,
    );
    expect(upB.output).toContain(
      `give it this stack's owner tag (DELETE /accounts/<account>/workers/dispatch/namespaces/${ns}/scripts/alpha/tags/wfp-owner=own-shards/shard-a, then PUT`,
    );
    const afterB = await liveScripts(ns);
    expect(afterB.alpha.etag).toBe(alpha.etag);
    expect(afterB.alpha.tags).toEqual(alpha.tags);
    expect(afterB.alpha.secrets).toEqual(["API_KEY"]);
    expect(afterB.beta.tags).toEqual(["tenant-beta", "wfp-owner=own-shards/shard-b"]);

    const destroyB = await b.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroyB.code, destroyB.output).toBe(0);
    const afterDestroy = await liveScripts(ns);
    expect(Object.keys(afterDestroy)).toEqual(["alpha"]);
    expect(await route("tenant:alpha")).toMatchObject({ status: 200, text: "alpha" });
    expect(afterDestroy.alpha.etag).toBe(alpha.etag);
    const stillA = await a.preview(["--refresh", "--expect-no-changes"]);
    expect(stillA.code, stillA.output).toBe(0);
  });
});
