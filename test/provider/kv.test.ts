/** KvNamespace and KvEntries against the emulator: lifecycle, drift, import, ownership of keys, paging. */
import { describe, expect, it } from "vitest";
import { ACCOUNT_ID } from "../helpers/emulator";
import { captureProviderLog, useEmulator } from "../helpers/provider";
import type { KvNamespaceInputs } from "../../provider/resources/kv/namespace";
import { entryHash, type KvEntriesInputs, type KvEntriesOutputs } from "../../provider/resources/kv/entries";

const emu = useEmulator();
const { KvNamespace: nsp, KvEntries: ep } = emu.providers;
const kvPath = (p = "") => `${emu.apiBase}/accounts/${ACCOUNT_ID}/storage/kv/namespaces${p}`;

async function checkNs(news: Record<string, unknown>): Promise<KvNamespaceInputs> {
  const r = await nsp.check!({}, news);
  expect(r.failures).toEqual([]);
  return r.inputs as KvNamespaceInputs;
}
async function checkEntries(news: Record<string, unknown>): Promise<KvEntriesInputs> {
  const r = await ep.check!({}, news);
  expect(r.failures).toEqual([]);
  return r.inputs as KvEntriesInputs;
}
const value = async (ns: string, key: string) => {
  const r = await emu.api("GET", kvPath(`/${ns}/values/${encodeURIComponent(key)}`));
  return r.status === 200 ? r.text : undefined;
};
const kvWrites = async () => (await emu.writes()).filter((w) => w.path.includes("/storage/kv/"));

describe("KvNamespace", () => {
  it("creates, reads back without drift, renames in place and deletes; gone only by 10013", async () => {
    const inputs = await checkNs({ title: "sessions" });
    const created = await nsp.create(inputs);
    expect(created.id).toMatch(/^[0-9a-f]{32}$/);
    expect(created.outs).toEqual({ title: "sessions", namespaceId: created.id });
    const read = await nsp.read!(created.id, created.outs);
    expect((await nsp.diff!(created.id, read.props, inputs)).changes).toBe(false);

    const renamed = await checkNs({ title: "sessions-v2" });
    expect(await nsp.diff!(created.id, created.outs, renamed)).toMatchObject({ changes: true, replaces: [] });
    const updated = await nsp.update!(created.id, created.outs, renamed);
    expect(updated.outs).toEqual({ title: "sessions-v2", namespaceId: created.id });

    // Renamed out of band: refresh sees it.
    await emu.api("PUT", kvPath(`/${created.id}`), { json: { title: "by-hand" } });
    const drift = await nsp.read!(created.id, updated.outs);
    expect(drift.props).toMatchObject({ title: "by-hand" });
    expect((await nsp.diff!(created.id, drift.props, renamed)).changes).toBe(true);

    await nsp.delete!(created.id, updated.outs);
    expect((await emu.api("GET", kvPath(`/${created.id}`))).status).toBe(404);
    expect(await nsp.read!(created.id, updated.outs)).toEqual({});
    await nsp.delete!(created.id, updated.outs); // already gone: success
  });

  it("a 404 that is not Cloudflare's 10013 is an error, never gone", async () => {
    const created = await nsp.create(await checkNs({ title: "guarded" }));
    await emu.fault({
      method: "GET",
      path: `/client/v4/accounts/${ACCOUNT_ID}/storage/kv/namespaces/${created.id}`,
      status: 404,
      code: 7003,
      message: "Could not route",
    });
    await expect(nsp.read!(created.id, created.outs)).rejects.toThrow(/7003/);
  });

  it("imports by id, with the title as input", async () => {
    const r = await emu.api("POST", kvPath(), { json: { title: "made-by-hand" } });
    const id = r.body.result.id as string;
    const imported = await nsp.read!(id, {});
    expect(imported).toEqual({ id, props: { title: "made-by-hand", namespaceId: id }, inputs: { title: "made-by-hand" } });
  });

  it("a title taken by an empty namespace is adopted; one holding keys is refused with the import command", async () => {
    const r = await emu.api("POST", kvPath(), { json: { title: "left-over" } });
    const adopted = await nsp.create(await checkNs({ title: "left-over" }));
    expect(adopted.id).toBe(r.body.result.id);
    await emu.api("PUT", kvPath(`/${adopted.id}/values/k`), { body: "v" });
    const err = await nsp.create(await checkNs({ title: "left-over" })).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /holds 1 key\(s\), 1 of them not written by this stack.*pulumi import 'pulumi-nodejs:dynamic\/wfp:KvNamespace' <resource name> [0-9a-f]{32}/,
    );
  });

  it("a title taken by a namespace whose keys all carry this stack's owner is adopted (a killed run's routing table)", async () => {
    const owner = "wfp-owner=platform/dev";
    const left = await nsp.create(await checkNs({ title: "routes", owner }));
    await ep.create(await checkEntries({ namespaceId: left.id, entries: { "tenant:a": "a", "tenant:b": "b" }, owner }));
    const again = await nsp.create(await checkNs({ title: "routes", owner }));
    expect(again.id).toBe(left.id);
    const other = await nsp.create(await checkNs({ title: "routes", owner: "wfp-owner=platform/other" })).catch((e: Error) => e);
    expect((other as Error).message).toMatch(/holds 2 key\(s\), 2 of them not written by this stack/);
    await emu.api("PUT", kvPath(`/${left.id}/values/by-hand`), { body: "h" });
    const mixed = await nsp.create(await checkNs({ title: "routes", owner })).catch((e: Error) => e);
    expect((mixed as Error).message).toMatch(/holds 3 key\(s\), 1 of them not written by this stack/);
  });

  it("check refuses a blank or too long title", async () => {
    expect((await nsp.check!({}, { title: " " })).failures).toEqual([{ property: "title", reason: expect.stringMatching(/blank/) }]);
    expect((await nsp.check!({}, { title: "x".repeat(513) })).failures[0]!.reason).toMatch(/at most 512/);
    expect((await nsp.check!({}, {})).failures[0]).toMatchObject({ property: "title", reason: expect.stringMatching(/required/) });
  });
});

describe("KvEntries", () => {
  async function namespace(): Promise<string> {
    return (await nsp.create(await checkNs({ title: `ns-${Math.random().toString(16).slice(2)}` }))).id;
  }

  it("writes its keys, leaves others alone, makes no call when nothing changed, and deletes only its own", async () => {
    const ns = await namespace();
    await emu.api("PUT", kvPath(`/${ns}/values/not-mine`), { body: "theirs" });
    const inputs = await checkEntries({ namespaceId: ns, entries: { "acme.example.com": '{"tenant":"acme"}', "globex.example.com": "g" } });
    await emu.clearJournal();
    const created = await ep.create(inputs);
    expect((await kvWrites()).map((w) => `${w.method} ${w.path.split("/").slice(-1)[0]}`)).toEqual(["PUT bulk"]);
    expect(await value(ns, "acme.example.com")).toBe('{"tenant":"acme"}');

    const outs = created.outs as KvEntriesOutputs;
    expect(outs.hashes).toEqual({
      "acme.example.com": entryHash("acme.example.com", '{"tenant":"acme"}'),
      "globex.example.com": entryHash("globex.example.com", "g"),
    });
    expect((await ep.diff!(created.id, outs, inputs)).changes).toBe(false);

    // One changed, one removed, one added: one bulk write of the two, one bulk delete of the one.
    const next = await checkEntries({ namespaceId: ns, entries: { "acme.example.com": "A2", "initech.example.com": "i" } });
    expect((await ep.diff!(created.id, outs, next)).changes).toBe(true);
    await emu.clearJournal();
    const updated = await ep.update!(created.id, outs, next);
    expect((await kvWrites()).map((w) => `${w.method} ${w.path.split("/").slice(-2).join("/")}`)).toEqual([
      `PUT ${ns}/bulk`,
      "POST bulk/delete",
    ]);
    expect(await value(ns, "globex.example.com")).toBeUndefined();
    expect(await value(ns, "initech.example.com")).toBe("i");

    await ep.delete!(created.id, updated.outs);
    expect(await value(ns, "acme.example.com")).toBeUndefined();
    expect(await value(ns, "not-mine")).toBe("theirs");
  });

  it("refresh: a deleted or changed key is drift, found from one keys listing; values are read only when their digest differs", async () => {
    const ns = await namespace();
    const inputs = await checkEntries({ namespaceId: ns, entries: { a: "1", b: "2", c: "3" } });
    const created = await ep.create(inputs);
    await emu.clearJournal();
    const clean = await ep.read!(created.id, created.outs);
    expect((await ep.diff!(created.id, clean.props, inputs)).changes).toBe(false);
    expect((await emu.journal()).map((e) => e.path.split("/").pop())).toEqual(["keys"]);

    await emu.api("DELETE", kvPath(`/${ns}/values/a`));
    await emu.api("PUT", kvPath(`/${ns}/values/b`), { body: "changed" }); // no metadata: its digest is gone
    await emu.clearJournal();
    const drifted = await ep.read!(created.id, created.outs);
    expect(Object.keys(drifted.props.hashes).sort()).toEqual(["b", "c"]);
    expect(drifted.props.hashes.b).toBe(entryHash("b", "changed"));
    expect((await emu.journal()).map((e) => e.path.split("/").pop())).toEqual(["keys", "b"]);
    expect((await ep.diff!(created.id, drifted.props, inputs)).changes).toBe(true);
    // The next update writes back exactly those two.
    await emu.clearJournal();
    await ep.update!(created.id, drifted.props, inputs);
    expect(await value(ns, "a")).toBe("1");
    expect(await value(ns, "b")).toBe("2");
  });

  it("writes in pages of 10,000", async () => {
    const ns = await namespace();
    const entries = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, "v"]));
    await emu.clearJournal();
    const created = await ep.create(await checkEntries({ namespaceId: ns, entries }));
    expect((await kvWrites()).length).toBe(2);
    const listed = await emu.api("GET", kvPath(`/${ns}/keys?limit=10&prefix=k1000`));
    expect(listed.body.result.map((k: { name: string }) => k.name)).toEqual(["k1000", "k10000"]);
    await emu.clearJournal();
    await ep.delete!(created.id, created.outs);
    expect((await kvWrites()).length).toBe(2);
  });

  describe("ownership: a stack writes and deletes only its own keys", () => {
    const A = "wfp-owner=platform/core";
    const B = "wfp-owner=platform/shard-1";
    const entriesOf = (ns: string, owner: string | undefined, entries: Record<string, string>) =>
      checkEntries({ namespaceId: ns, entries, ...(owner ? { owner } : {}) });
    const metadata = async (ns: string, key: string) => {
      const listed = await emu.api("GET", kvPath(`/${ns}/keys?prefix=${encodeURIComponent(key)}`));
      return listed.body.result.find((k: { name: string }) => k.name === key)?.metadata;
    };

    it("each key carries its stack; a create refuses keys another stack or no stack wrote, writing nothing", async () => {
      const ns = await namespace();
      const a = await ep.create(await entriesOf(ns, A, { shared: "a", "only-a": "x" }));
      expect(await metadata(ns, "shared")).toEqual({ "wfp-entry": entryHash("shared", "a"), "wfp-owner": A });
      expect((a.outs as KvEntriesOutputs).owner).toBe(A);
      await emu.api("PUT", kvPath(`/${ns}/values/by-hand`), { body: "h" });

      await emu.clearJournal();
      const refused = await ep.create(await entriesOf(ns, B, { shared: "b", "by-hand": "b", fresh: "f" })).catch((e: Error) => e);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^KvEntries "${ns}": create failed: 2 keys already exist in KV namespace ${ns} and are not this stack's: ` +
            `"by-hand" \\(written by no stack\\), "shared" \\(owned by ${A}\\)\\. Nothing was written\\.`,
        ),
      );
      expect(await kvWrites()).toEqual([]);
      expect([await value(ns, "shared"), await value(ns, "fresh")]).toEqual(["a", undefined]);
    });

    it("a create adopts keys this stack wrote (a run that died before its state was saved)", async () => {
      const ns = await namespace();
      await ep.create(await entriesOf(ns, A, { k: "1" }));
      const again = await ep.create(await entriesOf(ns, A, { k: "2", l: "3" }));
      expect((again.outs as KvEntriesOutputs).hashes).toEqual({ k: entryHash("k", "2"), l: entryHash("l", "3") });
      expect(await value(ns, "k")).toBe("2");
    });

    it("delete and update leave keys another stack has taken since, with a warning; an added key of another stack is refused", async () => {
      const ns = await namespace();
      const created = await ep.create(await entriesOf(ns, A, { kept: "1", taken: "2", dropped: "3" }));
      const outs = created.outs as KvEntriesOutputs;
      // Stack B takes "taken" over (its KvEntries wrote it after A's was released from B's view).
      const taken = [{ key: "taken", value: "b", metadata: { "wfp-entry": entryHash("taken", "b"), "wfp-owner": B } }];
      expect((await emu.api("PUT", kvPath(`/${ns}/bulk`), { json: taken })).status).toBe(200);
      await emu.api("PUT", kvPath(`/${ns}/values/added`), { body: "h" });

      const refused = await ep.update!(created.id, outs, await entriesOf(ns, A, { kept: "1", taken: "2", added: "a" })).catch(
        (e: Error) => e,
      );
      expect((refused as Error).message).toMatch(/update failed: 1 key already exists .*: "added" \(written by no stack\)/);

      const log = captureProviderLog(emu);
      const updated = await ep.update!(created.id, outs, await entriesOf(ns, A, { kept: "1" }));
      expect(await value(ns, "dropped")).toBeUndefined();
      expect(await value(ns, "taken")).toBe("b");
      expect(log.join("\n")).toMatch(/not deleted: key "taken" is now owned by wfp-owner=platform\/shard-1/);

      await ep.delete!(created.id, { ...(updated.outs as KvEntriesOutputs), hashes: { ...outs.hashes } });
      expect([await value(ns, "kept"), await value(ns, "taken"), await value(ns, "added")]).toEqual([undefined, "b", "h"]);
    });

    it("refresh drops a key another stack has taken; a state from before owners is re-tagged by one update", async () => {
      const ns = await namespace();
      const legacy = await ep.create(await entriesOf(ns, undefined, { a: "1", b: "2" }));
      const legacyOuts = legacy.outs as KvEntriesOutputs;
      expect(legacyOuts.owner).toBeUndefined();
      const inputs = await entriesOf(ns, A, { a: "1", b: "2" });
      const diff = (await ep.diff!(legacy.id, legacyOuts, inputs)) as { changes: boolean; changedKeys: string[] };
      expect([diff.changes, diff.changedKeys]).toEqual([true, ["owner"]]);
      await emu.clearJournal();
      const tagged = (await ep.update!(legacy.id, legacyOuts, inputs)).outs as KvEntriesOutputs;
      expect((await kvWrites()).map((w) => `${w.method} ${w.path.split("/").pop()}`)).toEqual(["PUT bulk"]);
      expect(await metadata(ns, "b")).toEqual({ "wfp-entry": entryHash("b", "2"), "wfp-owner": A });

      const taken = [{ key: "b", value: "2", metadata: { "wfp-entry": entryHash("b", "2"), "wfp-owner": B } }];
      expect((await emu.api("PUT", kvPath(`/${ns}/bulk`), { json: taken })).status).toBe(200);
      const refreshed = await ep.read!(legacy.id, tagged);
      expect(Object.keys(refreshed.props.hashes)).toEqual(["a"]);
    });
  });

  it("check names bad keys, values and namespace ids", async () => {
    const r = await ep.check!({}, { namespaceId: "nope", entries: { ["k".repeat(513)]: "v", ok: 42 } });
    expect(r.failures.map((f) => f.property).sort()).toEqual(["entries", "entries.ok", "namespaceId"]);
  });
});
