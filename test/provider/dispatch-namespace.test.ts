import { describe, expect, it } from "vitest";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID, TEST_TOKEN, type TestEmulator } from "../helpers/emulator";
import { useEmulator } from "../helpers/provider";
import type { DispatchNamespaceInputs, DispatchNamespaceOutputs } from "../../provider/resources/dispatch-namespace";
import { buildScriptUploadForm } from "../../provider/api/multipart";

const emu = useEmulator();
const { DispatchNamespace: p } = emu.providers;
const { check } = driver<DispatchNamespaceInputs, DispatchNamespaceOutputs>(p);

async function uploadScript(ns: string, name: string, em: TestEmulator = emu): Promise<void> {
  const form = buildScriptUploadForm({ main_module: "index.js", compatibility_date: "2025-01-01" }, [
    { name: "index.js", type: "application/javascript+module", content: "export default { fetch() { return new Response('x') } }" },
  ]);
  const res = await em.api("PUT", `/dispatch/namespaces/${ns}/scripts/${name}`, { body: form });
  expect(res.status).toBe(200);
}

const nsState = async (name: string, em: TestEmulator = emu) => (await em.state()).accounts[ACCOUNT_ID]?.namespaces?.[name];

describe("DispatchNamespace against the emulator", () => {
  it("creates, reads back without drift, and keeps counts and timestamps out of outputs", async () => {
    const inputs = await check({ name: "tenants" });
    const created = await p.create(inputs);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.outs).toEqual({ name: "tenants", namespaceId: created.id, trustedWorkers: false, forceDestroy: false });
    expect((await nsState("tenants")).id).toBe(created.id);

    const read = await p.read!(created.id, created.outs);
    expect(read.id).toBe(created.id);
    expect(read.props).toEqual(created.outs);
    expect(read.inputs).toBeUndefined(); // refresh keeps the stored inputs
    // refresh direction: diff(refreshed outputs, stored inputs)
    expect((await p.diff!(created.id, read.props, inputs)).changes).toBe(false);
  });

  it("explains how to import a namespace that already exists and holds scripts this stack does not own", async () => {
    await p.create(await check({ name: "taken" }));
    await uploadScript("taken", "by-hand");
    const err = await p.create(await check({ name: "taken" })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/already exists/);
    expect((err as Error).message).toMatch(/"by-hand" \(untagged\)/);
    expect((err as Error).message).toMatch(/pulumi import .*DispatchNamespace.* taken/);
    expect((err as Error).message).not.toContain(TEST_TOKEN);
  });

  it("renames in place: same id, scripts kept, old name gone", async () => {
    const created = await p.create(await check({ name: "before" }));
    await uploadScript("before", "tenant-a");
    await emu.clearJournal();
    const news = await check({ name: "after" });
    const d = await p.diff!(created.id, created.outs, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    const updated = await p.update!(created.id, created.outs, news);
    expect(updated.outs).toMatchObject({ name: "after", namespaceId: created.id });
    expect(await nsState("before")).toBeUndefined();
    const after = await nsState("after");
    expect(after.id).toBe(created.id);
    expect(Object.keys(after.scripts)).toEqual(["tenant-a"]);
    const puts = (await emu.writes()).filter((w) => w.method === "PUT");
    expect(puts.map((w) => w.path)).toEqual([`/client/v4/accounts/${ACCOUNT_ID}/workers/dispatch/namespaces/before`]);
  });

  it("reports an out-of-band rename and delete through read", async () => {
    const created = await p.create(await check({ name: "drifty" }));
    await emu.api("PUT", "/dispatch/namespaces/drifty", { json: { name: "drifted" } });
    const read = await p.read!(created.id, created.outs);
    expect((read.props as DispatchNamespaceOutputs).name).toBe("drifted");
    const d = await p.diff!(created.id, read.props, await check({ name: "drifty" }));
    expect(d.changes).toBe(true);
    await emu.api("DELETE", "/dispatch/namespaces/drifted");
    expect(await p.read!(created.id, created.outs)).toEqual({});
  });

  it("imports by name with empty props", async () => {
    const created = await p.create(await check({ name: "imported", trustedWorkers: true }));
    const read = await p.read!("imported", {});
    expect(read.id).toBe(created.id);
    expect(read.inputs).toEqual({ name: "imported", trustedWorkers: true, forceDestroy: false });
    const inputs = await check(read.inputs!);
    expect((await p.diff!(read.id!, read.props, inputs)).changes).toBe(false);
  });

  it("refuses to delete a namespace holding scripts unless forceDestroy", async () => {
    const created = await p.create(await check({ name: "busy" }));
    await uploadScript("busy", "alpha");
    await uploadScript("busy", "beta");
    const err = await p.delete!(created.id, created.outs).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/"alpha", "beta"/);
    expect((err as Error).message).toMatch(/forceDestroy/);
    expect(await nsState("busy")).toBeDefined();

    const news = await check({ name: "busy", forceDestroy: true });
    const d = await p.diff!(created.id, created.outs, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    await emu.clearJournal();
    const updated = await p.update!(created.id, created.outs, news);
    expect((await emu.writes()).filter((w) => w.method === "PUT")).toEqual([]); // forceDestroy alone sends nothing
    await p.delete!(created.id, updated.outs as DispatchNamespaceOutputs);
    expect(await nsState("busy")).toBeUndefined();
  });

  it("deleting an already-deleted namespace succeeds", async () => {
    const created = await p.create(await check({ name: "gone" }));
    await p.delete!(created.id, created.outs);
    await expect(p.delete!(created.id, created.outs)).resolves.toBeUndefined();
  });
});

describe("DispatchNamespace when the API rejects deleting non-empty namespaces", () => {
  const strict = useEmulator({ namespaceDelete: "reject" });
  const { DispatchNamespace: p } = strict.providers;

  it("forceDestroy deletes the scripts first, then the namespace", async () => {
    const created = await p.create(await check({ name: "strict", forceDestroy: true }));
    await uploadScript("strict", "one", strict);
    await p.delete!(created.id, created.outs);
    expect(await nsState("strict", strict)).toBeUndefined();
    const deletes = (await strict.writes()).filter((w) => w.method === "DELETE").map((w) => w.path.replace(/.*\/workers/, ""));
    expect(deletes).toEqual(["/dispatch/namespaces/strict/scripts/one", "/dispatch/namespaces/strict"]);
  });
});
