/**
 * The `crons` input of UserScript, Worker and Tenant against the emulator, counted in API calls: a create with crons
 * adds one schedules PUT after the script's; a change of crons alone is that PUT and no upload; unchanged crons make
 * no call; refresh reads the schedules only of a script that has or had crons, and a trigger removed out of band
 * is drift the next update puts back.
 */
import { describe, expect, it } from "vitest";
import type { TenantOutputs } from "../../provider/resources/tenant/provider";
import type { TenantInputs } from "../../provider/resources/tenant/check";
import type { UserScriptInputs, UserScriptOutputs } from "../../provider/resources/user-script";
import type { WorkerInputs, WorkerOutputs } from "../../provider/resources/worker";
import { useEmulator } from "../helpers/provider";

const NS = "cron-ns";
const emu = useEmulator({ namespaces: [NS] });
const { Tenant: tenantProvider, UserScript: us, Worker: workerProvider } = emu.providers;

const code = (body = "ok") => `export default { fetch() { return new Response(${JSON.stringify(body)}) }, scheduled() {} }`;
const base = { modules: [{ name: "index.js", content: code() }], compatibilityDate: "2025-06-01", owner: "wfp-owner=test/crons" };
const userArgs = (over: Record<string, unknown> = {}) => ({ namespace: NS, name: "tenant-a", ...base, ...over });

async function check<T>(
  p: { check?: (o: Record<string, unknown>, n: Record<string, unknown>) => Promise<unknown> },
  news: Record<string, unknown>,
) {
  const r = (await p.check!({}, news)) as { inputs: T; failures: unknown[] };
  expect(r.failures).toEqual([]);
  return r.inputs;
}
const calls = async () => (await emu.journal()).map((e) => `${e.method} ${e.path.replace(/.*\/workers/, "")}`);
const cronsOf = async (path: string) =>
  (await emu.api("GET", `${path}/schedules`)).body.result.schedules.map((s: { cron: string }) => s.cron);
const SCRIPT = `/dispatch/namespaces/${NS}/scripts/tenant-a`;

describe("crons", () => {
  it("UserScript: create is the upload then one schedules PUT; refresh reads them; crons alone update with one PUT", async () => {
    const inputs = await check<UserScriptInputs>(us, userArgs({ crons: ["*/5 * * * *", "0 3 * * mon"] }));
    const created = await us.create(inputs);
    expect((await calls()).filter((c) => !c.startsWith("GET"))).toEqual([`PUT ${SCRIPT}`, `PUT ${SCRIPT}/schedules`]);
    expect(created.outs.crons).toEqual(["*/5 * * * *", "0 3 * * mon"]);
    expect(await cronsOf(SCRIPT)).toEqual(["*/5 * * * *", "0 3 * * mon"]);

    await emu.clearJournal();
    const read = await us.read!(created.id, created.outs);
    expect(await calls()).toContain(`GET ${SCRIPT}/schedules`);
    expect((await us.diff!(created.id, read.props as UserScriptOutputs, inputs)).changes).toBe(false);

    // Crons alone: one PUT, no upload.
    const next = await check<UserScriptInputs>(us, userArgs({ crons: ["0 3 * * mon"] }));
    expect((await us.diff!(created.id, created.outs, next)).changedKeys).toEqual(["crons"]);
    await emu.clearJournal();
    const updated = await us.update!(created.id, created.outs, next);
    expect(await calls()).toEqual([`PUT ${SCRIPT}/schedules`]);
    expect(updated.outs.crons).toEqual(["0 3 * * mon"]);

    // Code alone: the upload, no schedules call; the upload keeps the triggers.
    const code2 = await check<UserScriptInputs>(
      us,
      userArgs({ crons: ["0 3 * * mon"], modules: [{ name: "index.js", content: code("v2") }] }),
    );
    await emu.clearJournal();
    const deployed = await us.update!(created.id, updated.outs as UserScriptOutputs, code2);
    expect((await calls()).filter((c) => !c.startsWith("GET"))).toEqual([`PUT ${SCRIPT}`]);
    expect(await cronsOf(SCRIPT)).toEqual(["0 3 * * mon"]);

    // Removed: one PUT of an empty list; afterwards refresh reads no schedules.
    const none = await check<UserScriptInputs>(us, userArgs({ modules: [{ name: "index.js", content: code("v2") }] }));
    await emu.clearJournal();
    const removed = await us.update!(created.id, deployed.outs as UserScriptOutputs, none);
    expect(await calls()).toEqual([`PUT ${SCRIPT}/schedules`]);
    expect(removed.outs.crons).toBeUndefined();
    expect(await cronsOf(SCRIPT)).toEqual([]);
    await emu.clearJournal();
    await us.read!(created.id, removed.outs);
    expect((await calls()).some((c) => c.endsWith("/schedules"))).toBe(false);
  });

  it("UserScript: a script without crons makes no schedules call, at create or refresh", async () => {
    const inputs = await check<UserScriptInputs>(us, userArgs());
    const created = await us.create(inputs);
    await us.read!(created.id, created.outs);
    expect((await calls()).some((c) => c.endsWith("/schedules"))).toBe(false);
    expect("crons" in created.outs).toBe(false);
  });

  it("UserScript: a trigger removed out of band is drift, and the update puts it back with one PUT", async () => {
    const inputs = await check<UserScriptInputs>(us, userArgs({ crons: ["*/5 * * * *"] }));
    const created = await us.create(inputs);
    await emu.api("PUT", `${SCRIPT}/schedules`, { json: [] });
    const read = await us.read!(created.id, created.outs);
    const olds = read.props as UserScriptOutputs;
    expect(olds.crons).toEqual([]);
    expect((await us.diff!(created.id, olds, inputs)).changedKeys).toEqual(["crons"]);
    await emu.clearJournal();
    await us.update!(created.id, olds, inputs);
    expect(await calls()).toEqual([`PUT ${SCRIPT}/schedules`]);
    expect(await cronsOf(SCRIPT)).toEqual(["*/5 * * * *"]);
  });

  it("Worker: crons at account level, and a change of crons alone uploads nothing", async () => {
    const inputs = await check<WorkerInputs>(workerProvider, { name: "dispatcher", ...base, crons: ["0 * * * *"] });
    const created = await workerProvider.create(inputs);
    expect((await calls()).filter((c) => !c.startsWith("GET"))).toEqual([
      "PUT /scripts/dispatcher",
      "PUT /scripts/dispatcher/schedules",
      "POST /scripts/dispatcher/subdomain",
    ]);
    const read = await workerProvider.read!("dispatcher", created.outs);
    expect((await workerProvider.diff!("dispatcher", read.props as WorkerOutputs, inputs)).changes).toBe(false);
    const next = await check<WorkerInputs>(workerProvider, { name: "dispatcher", ...base, crons: ["30 * * * *"] });
    await emu.clearJournal();
    const updated = await workerProvider.update!("dispatcher", created.outs, next);
    expect(await calls()).toEqual(["PUT /scripts/dispatcher/schedules"]);
    expect(updated.outs.crons).toEqual(["30 * * * *"]);
    expect(await cronsOf("/scripts/dispatcher")).toEqual(["30 * * * *"]);
  });

  it("Tenant: create with crons is 2 calls; crons alone 1; refresh sees no drift", async () => {
    const args = { namespace: NS, tenantId: "acme", ...base, secrets: { KEY: "v" }, crons: ["*/10 * * * *"] };
    const inputs = await check<TenantInputs>(tenantProvider, args);
    const created = await tenantProvider.create(inputs);
    const path = `/dispatch/namespaces/${NS}/scripts/acme`;
    expect((await calls()).filter((c) => !c.startsWith("GET"))).toEqual([`PUT ${path}`, `PUT ${path}/schedules`]);
    const read = await tenantProvider.read!(created.id, created.outs);
    expect((await tenantProvider.diff!(created.id, read.props as TenantOutputs, inputs)).changes).toBe(false);
    const next = await check<TenantInputs>(tenantProvider, { ...args, crons: ["*/15 * * * *"] });
    await emu.clearJournal();
    const updated = await tenantProvider.update!(created.id, created.outs as TenantOutputs, next);
    expect(await calls()).toEqual([`PUT ${path}/schedules`]);
    expect(updated.outs.crons).toEqual(["*/15 * * * *"]);
    expect(updated.outs.secretNames).toEqual(["KEY"]);
  });

  it("a bad cron fails at check, naming the entry", async () => {
    const r = await us.check!({}, userArgs({ crons: ["* * * * 8"] }));
    expect(r.failures).toEqual([{ property: "crons[0]", reason: expect.stringMatching(/day of week: 8 is out of range 1-7/) }]);
    expect(await calls()).toEqual([]);
  });
});
