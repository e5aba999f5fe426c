/**
 * Ownership against the emulator: every script carries its stack's owner tag; create adopts a script this stack
 * owns (a run that died before saving its state) and refuses another stack's or an untagged one; delete leaves a
 * script another stack owns; a namespace found on create is adopted only when nothing in it belongs to others.
 */
import { describe, expect, it } from "vitest";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { findStrays } from "../../provider/drift-strays";
import type { DispatchNamespaceInputs, DispatchNamespaceOutputs } from "../../provider/resources/dispatch-namespace";
import type { UserScriptInputs, UserScriptOutputs } from "../../provider/resources/user-script";
import type { WorkerInputs, WorkerOutputs } from "../../provider/resources/worker";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { captureProviderLog, useEmulator } from "../helpers/provider";

const NS = "owned";
const emu = useEmulator({ namespaces: [NS] });
const { DispatchNamespace: dispatchNamespaceProvider, UserScript: userScriptProvider, Worker: workerProvider } = emu.providers;
const A = "wfp-owner=platform/shard-a";
const B = "wfp-owner=platform/shard-b";

const script = (name: string, owner: string | undefined, over: Record<string, unknown> = {}) => ({
  namespace: NS,
  name,
  modules: [{ name: "index.js", content: `export default { fetch() { return new Response(${JSON.stringify(name)}) } }` }],
  compatibilityDate: "2025-06-01",
  tags: [`tenant-${name}`],
  ...(owner ? { owner } : {}),
  ...over,
});

const userScript = driver<UserScriptInputs, UserScriptOutputs>(userScriptProvider).check;

/** Deploys a script the way a user by hand (or another tool) would: no owner tag unless given. */
async function deployByHand(name: string, tags: string[], ns = NS): Promise<void> {
  const form = buildScriptUploadForm({ main_module: "index.js", compatibility_date: "2025-06-01", tags }, [
    { name: "index.js", type: "application/javascript+module", content: "export default { fetch() { return new Response('hand') } }" },
  ]);
  const res = await emu.api("PUT", `/dispatch/namespaces/${ns}/scripts/${name}`, { body: form });
  expect(res.status).toBe(200);
}

const live = async (name: string) => (await emu.state()).accounts[ACCOUNT_ID]?.namespaces?.[NS]?.scripts?.[name];
const short = (e: { method: string; path: string }) => `${e.method} ${e.path.replace(/^\/client\/v4\/accounts\/[0-9a-f]+/, "")}`;

describe("UserScript ownership", () => {
  it("a new script costs one GET (Cloudflare's not-found code) before its PUT, and carries the owner tag apart from tags", async () => {
    const inputs = await userScript(script("acme", A));
    await emu.clearJournal();
    const created = await userScriptProvider.create(inputs);
    expect((await emu.journal()).map(short)).toEqual([
      `GET /workers/dispatch/namespaces/${NS}/scripts/acme`,
      `PUT /workers/dispatch/namespaces/${NS}/scripts/acme`,
    ]);
    expect((await live("acme")).tags).toEqual(["tenant-acme", A]);
    expect(created.outs).toMatchObject({ tags: ["tenant-acme"], owner: A });
    const read = await userScriptProvider.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ tags: ["tenant-acme"], owner: A });
    expect((await userScriptProvider.diff!(created.id, read.props, await userScript(script("acme", A)))).changes).toBe(false);
  });

  it("create adopts a script this stack owns (a run that died before saving its state): the upload goes over it", async () => {
    await userScriptProvider.create(await userScript(script("acme", A)));
    const before = (await live("acme")).etag;
    const v2 = [{ name: "index.js", content: "export default { fetch() { return new Response('v2') } }" }];
    const again = await userScriptProvider.create(await userScript(script("acme", A, { tags: ["tenant-acme", "v2"], modules: v2 })));
    expect(again.id).toBe(`${NS}/acme`);
    expect((await live("acme")).tags).toEqual(["tenant-acme", "v2", A]);
    expect((await live("acme")).etag).not.toBe(before);
  });

  it("create refuses another stack's script, naming it, its owner and the import command, and leaves it untouched", async () => {
    await userScriptProvider.create(await userScript(script("acme", A)));
    const before = await live("acme");
    await emu.clearJournal();
    const err = await userScriptProvider.create(await userScript(script("acme", B))).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `UserScript "${NS}/acme": create failed: a script named "acme" already exists in namespace "${NS}", owned by another stack ` +
        `(tag ${A}). It was left as it is. To manage it from this stack, remove it from the other stack's state (if any) and ` +
        `import it: pulumi import 'pulumi-nodejs:dynamic/wfp:UserScript' <resource name> ${NS}/acme`,
    );
    expect((err as Error).message).not.toContain(TEST_TOKEN);
    expect(await emu.writes()).toEqual([]);
    expect((await live("acme")).etag).toBe(before.etag);
  });

  it("create refuses a script nobody owns (deployed by hand), and a stack with no owner adopts nothing", async () => {
    await deployByHand("manual", ["tenant-manual"]);
    for (const owner of [A, undefined]) {
      const err = await userScriptProvider.create(await userScript(script("manual", owner))).catch((e: Error) => e);
      expect((err as Error).message).toMatch(
        /a script named "manual" already exists in namespace "owned", not tagged with any stack as its owner/,
      );
      expect((err as Error).message).toMatch(/pulumi import 'pulumi-nodejs:dynamic\/wfp:UserScript' <resource name> owned\/manual$/);
    }
    expect((await live("manual")).tags).toEqual(["tenant-manual"]);
  });

  it("delete leaves a script another stack owns now, with a warning naming the owner; its own it deletes", async () => {
    const log = captureProviderLog(emu);
    const created = await userScriptProvider.create(await userScript(script("acme", A)));
    // Stack B imported and updated it since: its tag is B's now.
    const form = (await userScript(script("acme", B))) as UserScriptInputs;
    await userScriptProvider.update!(created.id, created.outs, form);
    await userScriptProvider.delete!(created.id, created.outs as UserScriptOutputs);
    expect((await live("acme"))?.tags).toEqual(["tenant-acme", B]);
    expect(log).toEqual([
      `warning: UserScript "${NS}/acme": not deleted: the script is now owned by another stack (tag ${B}); it is left as it is ` +
        `and removed from this stack's state only.`,
    ]);

    const mine = await userScriptProvider.create(await userScript(script("globex", A)));
    await userScriptProvider.delete!(mine.id, mine.outs as UserScriptOutputs);
    expect(await live("globex")).toBeUndefined();
    // An untagged script in the state (deployed before owner tags) is still this stack's to delete.
    await deployByHand("legacy", []);
    await userScriptProvider.delete!(`${NS}/legacy`, { namespace: NS, name: "legacy" } as UserScriptOutputs);
    expect(await live("legacy")).toBeUndefined();
  });

  it("a stack rename re-tags in one update; refresh shows a script another stack took over as drift of owner", async () => {
    const created = await userScriptProvider.create(await userScript(script("acme", A)));
    const renamed = await userScript(script("acme", B));
    const diff = await userScriptProvider.diff!(created.id, created.outs, renamed);
    expect(diff).toMatchObject({ changes: true, replaces: [], changedKeys: ["owner"] });
    const updated = await userScriptProvider.update!(created.id, created.outs, renamed);
    expect((await live("acme")).tags).toEqual(["tenant-acme", B]);
    expect(updated.outs).toMatchObject({ owner: B, tags: ["tenant-acme"] });

    // Seen from A's refresh: the owner differs from A's inputs.
    const read = await userScriptProvider.read!(created.id, created.outs);
    expect((await userScriptProvider.diff!(created.id, read.props, await userScript(script("acme", A)))).changedKeys).toContain("owner");
  });
});

describe("Worker ownership", () => {
  const worker = (owner: string) => ({
    name: "dispatcher",
    modules: [{ name: "index.js", content: "export default { fetch() { return new Response('d') } }" }],
    compatibilityDate: "2025-06-01",
    owner,
  });
  const { check } = driver<WorkerInputs, WorkerOutputs>(workerProvider);
  const liveWorker = async () => (await emu.state()).accounts[ACCOUNT_ID]?.workers?.scripts?.dispatcher;

  it("adopts its own, refuses another stack's with the import command, and delete leaves another stack's", async () => {
    const log = captureProviderLog(emu);
    const created = await workerProvider.create(await check(worker(A)));
    expect((await liveWorker()).tags).toEqual([A]);
    expect((await workerProvider.create(await check(worker(A)))).id).toBe("dispatcher");
    const err = await workerProvider.create(await check(worker(B))).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^Worker "dispatcher": create failed: a script named "dispatcher" already exists in the account, owned by another stack \(tag wfp-owner=platform\/shard-a\)\./,
    );
    expect((err as Error).message).toMatch(/pulumi import 'pulumi-nodejs:dynamic\/wfp:Worker' <resource name> dispatcher$/);

    await workerProvider.update!("dispatcher", created.outs, await check(worker(B)));
    await workerProvider.delete!("dispatcher", created.outs as WorkerOutputs);
    expect((await liveWorker()).tags).toEqual([B]);
    expect(log.join("\n")).toMatch(
      /Worker "dispatcher": not deleted: the script is now owned by another stack \(tag wfp-owner=platform\/shard-b\)/,
    );
  });
});

describe("DispatchNamespace found on create", () => {
  const { check } = driver<DispatchNamespaceInputs, DispatchNamespaceOutputs>(dispatchNamespaceProvider);

  it("adopts it when empty or holding only this stack's scripts", async () => {
    const id = (await emu.state()).accounts[ACCOUNT_ID].namespaces[NS].id;
    expect((await dispatchNamespaceProvider.create(await check({ name: NS, owner: A }))).id).toBe(id);
    await userScriptProvider.create(await userScript(script("acme", A)));
    await userScriptProvider.create(await userScript(script("globex", A)));
    const adopted = await dispatchNamespaceProvider.create(await check({ name: NS, owner: A, trustedWorkers: true }));
    expect(adopted.id).toBe(id);
    expect(adopted.outs).toMatchObject({ name: NS, trustedWorkers: true });
  });

  it("refuses it when it holds another stack's or an untagged script, naming them, their owners and the import", async () => {
    await userScriptProvider.create(await userScript(script("acme", A)));
    await userScriptProvider.create(await userScript(script("globex", B)));
    await deployByHand("manual", []);
    await emu.clearJournal();
    const err = await dispatchNamespaceProvider.create(await check({ name: NS, owner: A })).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `DispatchNamespace "${NS}": create failed: a dispatch namespace named "${NS}" already exists in this account and it holds ` +
        `2 script(s) this stack does not own: "globex" (${B}), "manual" (untagged) (1 untagged; owners: ${B}). Choose another ` +
        `name, or adopt the existing one with: pulumi import 'pulumi-nodejs:dynamic/wfp:DispatchNamespace' <resource name> ${NS}`,
    );
    // The POST, the namespace's GET and one page of its script list; nothing else.
    expect((await emu.journal()).map(short)).toEqual([
      "POST /workers/dispatch/namespaces",
      `GET /workers/dispatch/namespaces/${NS}`,
      `GET /workers/dispatch/namespaces/${NS}/scripts`,
    ]);
  });

  it("with no owner declared (library use), adopts only an empty namespace", async () => {
    await userScriptProvider.create(await userScript(script("acme", A)));
    const err = await dispatchNamespaceProvider.create(await check({ name: NS })).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/holds 1 script\(s\) this stack does not own: "acme"/);
  });
});

describe("wfp-drift's listing of scripts the state does not hold", () => {
  it("lists this stack's and unowned scripts with one list call per namespace page, never another stack's", async () => {
    await userScriptProvider.create(await userScript(script("acme", A)));
    await userScriptProvider.create(await userScript(script("crashed", A)));
    await userScriptProvider.create(await userScript(script("shard-b", B)));
    await deployByHand("manual", ["tenant-manual"]);
    await emu.clearJournal();
    const strays = await findStrays(emu.run.connect(), {
      owner: A,
      namespaces: [NS],
      inState: new Set([`${NS}/acme`]),
      declared: new Set(),
    });
    expect(strays.map((s) => `${s.name} ${s.kind}`)).toEqual(["crashed own-not-in-state", "manual unowned"]);
    expect((await emu.journal()).map(short)).toEqual([`GET /workers/dispatch/namespaces/${NS}/scripts`]);
    // A namespace deleted out of band holds no strays (its own drift is the preview's to report).
    const gone = { owner: A, namespaces: ["deleted-ns"], inState: new Set<string>(), declared: new Set<string>() };
    expect(await findStrays(emu.run.connect(), gone)).toEqual([]);
  });
});
