/**
 * A Worker's Durable Object classes through the provider, against the emulator and its runtime: the upload carries
 * the migrations computed from the stored classes and tag (the emulator checks them as Cloudflare does), the
 * tenant's objects are served through a dispatcher and keep their storage across code updates, a class is added
 * with one migration, a class dropped is refused before any call unless deletedClasses names it, a no-op uploads
 * nothing, and refresh names a migration made elsewhere.
 */
import { describe, expect, it } from "vitest";
import type { TenantInputs, TenantOutputs } from "../../provider/resources/tenant/provider";
import type { UserScriptInputs, UserScriptOutputs } from "../../provider/resources/user-script";
import type { WorkerInputs } from "../../provider/resources/worker";
import { driver } from "../helpers/driver";
import { useEmulator } from "../helpers/provider";
import { get } from "../helpers/runtime";

const NS = "do-tenants";
const emu = useEmulator({ namespaces: [NS], workersPort: 0, validateUploads: false });
const tenant = driver<TenantInputs, TenantOutputs>(emu.providers.Tenant);
const userScript = driver<UserScriptInputs, UserScriptOutputs>(emu.providers.UserScript);
const worker = driver<WorkerInputs>(emu.providers.Worker);

/** A counter per name, in the object's SQLite-backed storage; `label` tells the code version apart. */
const counter = (label: string, extra = "") => `import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async fetch() {
    const n = (this.ctx.storage.kv.get("n") ?? 0) + 1;
    this.ctx.storage.kv.put("n", n);
    return new Response("${label} " + n);
  }
}
${extra}
export default { fetch(req, env) { return env.COUNTER.getByName(new URL(req.url).searchParams.get("name") ?? "main").fetch(req); } };`;
const ROOM = `export class Room extends DurableObject { fetch() { return new Response("room"); } }`;
/** A Worker that exports no Durable Object class any more. */
const NO_OBJECTS = 'export default { fetch() { return new Response("no objects"); } };';
const COUNTER_BINDING = { type: "durable_object_namespace", name: "COUNTER", className: "Counter" };

const tenantArgs = (code: string, durableObjects: unknown, over: Record<string, unknown> = {}) => ({
  namespace: NS,
  tenantId: "gamma",
  modules: [{ name: "index.js", content: code }],
  compatibilityDate: "2025-06-01",
  bindings: [COUNTER_BINDING],
  durableObjects,
  ...over,
});
const userArgs = (code: string, durableObjects: unknown, bindings: unknown[] = [COUNTER_BINDING]) => ({
  namespace: NS,
  name: "delta",
  modules: [{ name: "index.js", content: code }],
  compatibilityDate: "2025-06-01",
  bindings,
  durableObjects,
});

/** The account's dispatch Worker, on workers.dev: `?t=<script>` (default gamma) picks the user Worker. */
const dispatcher = () =>
  worker.create({
    name: "dispatcher",
    modules: [
      {
        name: "d.js",
        content: `export default { fetch(req, env) { return env.DISPATCH.get(new URL(req.url).searchParams.get("t") ?? "gamma").fetch(req); } };`,
      },
    ],
    compatibilityDate: "2025-06-01",
    bindings: [{ type: "dispatch_namespace", name: "DISPATCH", namespace: NS }],
    workersDev: true,
  });
const writes = async () => (await emu.writes()).map((e) => `${e.method} ${e.path.replace(/.*\/workers/, "")}`);
const settingsOf = async (script: string) => (await emu.api("GET", `/dispatch/namespaces/${NS}/scripts/${script}/settings`)).body.result;
const namespacesOf = async (script: string) =>
  (await emu.api("GET", "/durable_objects/namespaces?per_page=100")).body.result
    .filter((n: { script: string }) => n.script === script)
    .map((n: { class: string; use_sqlite: boolean }) => `${n.class}${n.use_sqlite ? " (sqlite)" : ""}`);

describe("Durable Objects", () => {
  it("a Tenant's class is created with tag v1, served through the dispatcher, keeps its data across a code update and a class added; a no-op uploads nothing", async () => {
    const created = await tenant.create(tenantArgs(counter("v1"), { classes: ["Counter"] }));
    expect(created.outs).toMatchObject({ durableObjectClasses: ["Counter"], migrationTag: "v1" });
    expect((await settingsOf("gamma")).migration_tag).toBe("v1");
    expect(await namespacesOf("gamma")).toEqual(["Counter (sqlite)"]);

    await dispatcher();
    const visit = async (name: string) => (await get(emu.emu.workersUrl!, "dispatcher.localhost", `/?name=${name}`)).text;
    expect(await visit("a")).toBe("v1 1");
    expect(await visit("a")).toBe("v1 2");
    expect(await visit("b")).toBe("v1 1");

    // New code, same class: no migration (the tag stays v1) and the objects keep their storage.
    await emu.clearJournal();
    const updated = await tenant.up(created.id, created.outs, tenantArgs(counter("v2"), { classes: ["Counter"] }));
    expect(updated.changed).toBe(true);
    expect(updated.outs).toMatchObject({ durableObjectClasses: ["Counter"], migrationTag: "v1" });
    expect(await writes()).toEqual([`PUT /dispatch/namespaces/${NS}/scripts/gamma`]);
    expect(await visit("a")).toBe("v2 3");

    // The same program again: no change, no call.
    await emu.clearJournal();
    expect((await tenant.up(created.id, updated.outs, tenantArgs(counter("v2"), { classes: ["Counter"] }))).changed).toBe(false);
    expect(await emu.journal()).toEqual([]);

    // A second class: one migration from the stored tag; the first class's objects keep their data.
    const added = await tenant.up(created.id, updated.outs, tenantArgs(counter("v3", ROOM), { classes: ["Counter", "Room"] }));
    expect(added.outs).toMatchObject({ durableObjectClasses: ["Counter", "Room"], migrationTag: "v2" });
    expect(await namespacesOf("gamma")).toEqual(["Counter (sqlite)", "Room (sqlite)"]);
    expect(await visit("a")).toBe("v3 4");
  });

  it("UserScript: a class added is one migration from the stored tag; dropping one fails check (no write) and update (no call); deletedClasses deletes it", async () => {
    const v1 = await userScript.create(userArgs(counter("v1"), { classes: ["Counter"] }));
    expect(v1.outs).toMatchObject({ durableObjectClasses: ["Counter"], migrationTag: "v1" });

    const both = userArgs(counter("v1", ROOM), { classes: ["Counter", "Room"] });
    const v2 = await userScript.up(v1.id, v1.outs, both);
    expect(v2.outs).toMatchObject({ durableObjectClasses: ["Counter", "Room"], migrationTag: "v2" });
    expect(await namespacesOf("delta")).toEqual(["Counter (sqlite)", "Room (sqlite)"]);

    // Room left out of the program: the preview fails on durableObjects.classes, and an update refuses it too.
    await emu.clearJournal();
    const dropped = userArgs(counter("v1"), { classes: ["Counter"] });
    const previous = (await userScript.check(both)) as unknown as Record<string, unknown>;
    expect(await userScript.failures(dropped, previous)).toEqual([
      { property: "durableObjects.classes", reason: expect.stringMatching(/drops Room: that would delete every object.*deletedClasses/) },
    ]);
    const inputs = await userScript.check(dropped);
    expect(await emu.writes()).toEqual([]);
    await emu.clearJournal();
    await expect(emu.providers.UserScript.update!(v2.id, v2.outs, inputs)).rejects.toThrow(/drops Room/);
    expect(await emu.journal()).toEqual([]);
    expect(await namespacesOf("delta")).toEqual(["Counter (sqlite)", "Room (sqlite)"]);

    // Said on purpose: deleted_classes, tag v3.
    const v3 = await userScript.up(v2.id, v2.outs, userArgs(counter("v1"), { classes: ["Counter"], deletedClasses: ["Room"] }));
    expect(v3.outs).toMatchObject({ durableObjectClasses: ["Counter"], migrationTag: "v3" });
    expect(await namespacesOf("delta")).toEqual(["Counter (sqlite)"]);

    // Deleting the script would delete Counter's objects: refused before any write, saying how to delete them first.
    await emu.clearJournal();
    await expect(emu.providers.UserScript.delete!(v3.id, v3.outs)).rejects.toThrow(
      /UserScript "do-tenants\/delta": delete refused: its Durable Objects \(Counter\) hold their data.*deletedClasses: \["Counter"\]/,
    );
    expect(await emu.writes()).toEqual([]);
    const v4 = await userScript.up(v3.id, v3.outs, userArgs(NO_OBJECTS, { classes: [], deletedClasses: ["Counter"] }, []));
    expect(v4.outs.durableObjectClasses).toBeUndefined();
    await emu.providers.UserScript.delete!(v4.id, v4.outs);
    expect(await emu.namespace(NS)).not.toHaveProperty("scripts.delta");
  });

  it("UserScript: an explicit rename keeps the objects' storage under the new class name", async () => {
    const renamed = (cls: string) => counter("v1").replace("class Counter", `class ${cls}`);
    const args = (cls: string, durableObjects: unknown) => userArgs(renamed(cls), durableObjects, [{ ...COUNTER_BINDING, className: cls }]);
    const created = await userScript.create(args("Counter", { classes: ["Counter"] }));
    await dispatcher();
    const visit = async () => (await get(emu.emu.workersUrl!, "dispatcher.localhost", "/?t=delta&name=a")).text;
    expect(await visit()).toBe("v1 1");
    expect(await visit()).toBe("v1 2");
    const next = await userScript.up(
      created.id,
      created.outs,
      args("Tally", { classes: ["Tally"], renamedClasses: [{ from: "Counter", to: "Tally" }] }),
    );
    expect(next.outs).toMatchObject({ durableObjectClasses: ["Tally"], migrationTag: "v2" });
    expect(await namespacesOf("delta")).toEqual(["Tally (sqlite)"]);
    expect(await visit()).toBe("v1 3");
  });

  it("a create that finds its own script (a run that died after the upload) starts from the migrations it applied", async () => {
    const bindings = [COUNTER_BINDING, { type: "durable_object_namespace", name: "ROOM", className: "Room" }];
    const args = { ...userArgs(counter("v1", ROOM), { classes: ["Counter", "Room"] }, bindings), owner: "wfp-owner=test/do" };
    await userScript.create(args);
    // The state was lost: the same create again adopts the script, reads its tag and classes, and migrates nothing.
    const again = await userScript.create(args);
    expect(again.outs).toMatchObject({ durableObjectClasses: ["Counter", "Room"], migrationTag: "v1" });
    expect((await settingsOf("delta")).migration_tag).toBe("v1");
  });

  it("check: a binding to a class the Worker does not declare fails the preview with no API call", async () => {
    await emu.clearJournal();
    expect(await userScript.failures(userArgs(counter("v1"), { classes: ["Room"] }))).toEqual([
      { property: "bindings[0].className", reason: expect.stringMatching(/names no class of durableObjects.classes \(Room\)/) },
    ]);
    expect(await emu.journal()).toEqual([]);
  });

  it("import reads the tag, and the classes from the script's bindings to its own classes: the program then diffs clean", async () => {
    const created = await userScript.create(userArgs(counter("v1"), { classes: ["Counter"] }));
    const imported = await emu.providers.UserScript.read!(created.id, {});
    expect(imported.props).toMatchObject({ durableObjectClasses: ["Counter"], migrationTag: "v1" });
    expect(imported.inputs).toMatchObject({ durableObjects: { classes: ["Counter"] } });
    const program = await userScript.check(userArgs(counter("v1"), { classes: ["Counter"] }));
    expect((await emu.providers.UserScript.diff!(created.id, imported.props, program)).changes).toBe(false);
  });

  it("refresh reads the tag: a migration made elsewhere is named as migrationTag, and the next update starts from it", async () => {
    const v1 = await userScript.create(userArgs(counter("v1"), { classes: ["Counter"] }));
    const program = await userScript.check(userArgs(counter("v1"), { classes: ["Counter"] }));
    expect((await userScript.refreshDiff(v1.id, v1.outs, program)).diff.changedKeys).toEqual([]);

    // Someone migrates the script out of band (a settings PATCH carrying migrations).
    const form = new FormData();
    form.append("settings", JSON.stringify({ migrations: { old_tag: "v1", new_tag: "theirs-7", new_sqlite_classes: [] } }));
    expect((await emu.api("PATCH", `/dispatch/namespaces/${NS}/scripts/delta/settings`, { body: form })).status).toBe(200);
    const { read, diff } = await userScript.refreshDiff(v1.id, v1.outs, program);
    expect(read.props).toMatchObject({ migrationTag: "theirs-7", deployedMigrationTag: "v1" });
    expect(diff.changedKeys).toEqual(["migrationTag"]);

    // The update adds a class from the tag found (old_tag theirs-7), which the emulator accepts.
    const next = await userScript.up(
      v1.id,
      read.props as UserScriptOutputs,
      userArgs(counter("v1", ROOM), { classes: ["Counter", "Room"] }),
    );
    expect(next.outs).toMatchObject({ durableObjectClasses: ["Counter", "Room"], migrationTag: "v8" });
    expect(next.outs.deployedMigrationTag).toBeUndefined();
    expect((await settingsOf("delta")).migration_tag).toBe("v8");
  });
});
