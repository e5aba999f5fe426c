import { beforeEach, describe, expect, it } from "vitest";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { recordWaits, useEmulator } from "../helpers/provider";
import { secretValueHash, type ScriptSecretInputs, type ScriptSecretOutputs } from "../../provider/resources/script-secret";
import type { UserScriptInputs, UserScriptOutputs } from "../../provider/resources/user-script";

const NS = "tenants";
const VALUE = "correct-horse-battery-staple";
const emu = useEmulator({ namespaces: [NS] });
const { ScriptSecret: p, UserScript: userScriptProvider } = emu.providers;
const { check } = driver<ScriptSecretInputs, ScriptSecretOutputs>(p);

const args = (over: Record<string, unknown> = {}) => ({ namespace: NS, scriptName: "tenant-a", name: "API_KEY", text: VALUE, ...over });
const secretsOf = async (script = "tenant-a") => (await emu.state()).accounts[ACCOUNT_ID]?.namespaces?.[NS]?.scripts?.[script]?.secrets;

const deployScript = (content = "export default { fetch() { return new Response('a') } }") =>
  driver<UserScriptInputs, UserScriptOutputs>(userScriptProvider).create({
    namespace: NS,
    name: "tenant-a",
    modules: [{ name: "index.js", content }],
    compatibilityDate: "2025-01-01",
  });

describe("ScriptSecret against the emulator", () => {
  beforeEach(async () => {
    await deployScript();
    await emu.clearJournal();
  });

  it("creates with PUT, stores only a hash, and refreshes clean", async () => {
    const inputs = await check(args());
    const created = await p.create(inputs);
    expect(created.id).toBe(`${NS}/tenant-a/API_KEY`);
    expect(created.outs).toEqual({ namespace: NS, scriptName: "tenant-a", name: "API_KEY", valueHash: secretValueHash("API_KEY", VALUE) });
    expect(JSON.stringify(created.outs)).not.toContain(VALUE);
    expect(await secretsOf()).toEqual(["API_KEY"]);
    expect((await emu.writes()).map((w) => [w.method, w.path.replace(/.*\/workers/, "")])).toEqual([
      ["PUT", `/dispatch/namespaces/${NS}/scripts/tenant-a/secrets`],
    ]);
    const read = await p.read!(created.id, created.outs);
    expect(read.props).toEqual(created.outs);
    expect((await p.diff!(created.id, read.props, inputs)).changes).toBe(false);
  });

  it("a rotation is an in-place update; a rename replaces", async () => {
    const created = await p.create(await check(args()));
    const rotated = await check(args({ text: "new-value" }));
    expect(await p.diff!(created.id, created.outs, rotated)).toMatchObject({ changes: true, replaces: [] });
    const updated = await p.update!(created.id, created.outs, rotated);
    expect((updated.outs as ScriptSecretOutputs).valueHash).toBe(secretValueHash("API_KEY", "new-value"));
    expect((await p.diff!(created.id, created.outs, await check(args({ name: "OTHER" })))).replaces).toEqual(["name"]);
    expect((await p.diff!(created.id, created.outs, await check(args({ scriptName: "tenant-b" })))).replaces).toEqual(["scriptName"]);
  });

  it("survives a script update, and a secret deleted out of band reads as gone", async () => {
    const created = await p.create(await check(args()));
    const before = await emu.state();
    const script = before.accounts[ACCOUNT_ID].namespaces[NS].scripts["tenant-a"];
    expect(script.secrets).toEqual(["API_KEY"]);
    const r = await userScriptProvider.check!(
      {},
      {
        namespace: NS,
        name: "tenant-a",
        modules: [{ name: "index.js", content: "export default { fetch() { return new Response('b') } }" }],
        compatibilityDate: "2025-01-01",
      },
    );
    const outs = (await userScriptProvider.read!(`${NS}/tenant-a`, {})).props;
    await userScriptProvider.update!(`${NS}/tenant-a`, outs, r.inputs);
    expect(await secretsOf()).toEqual(["API_KEY"]);
    expect((await p.read!(created.id, created.outs)).props).toEqual(created.outs);

    await emu.api("DELETE", `/dispatch/namespaces/${NS}/scripts/tenant-a/secrets/API_KEY`);
    expect(await p.read!(created.id, created.outs)).toEqual({});
  });

  it("delete is idempotent: missing secret, script or namespace count as deleted", async () => {
    const created = await p.create(await check(args()));
    await p.delete!(created.id, created.outs);
    expect(await secretsOf()).toEqual([]);
    await expect(p.delete!(created.id, created.outs)).resolves.toBeUndefined();
    await emu.api("DELETE", `/dispatch/namespaces/${NS}/scripts/tenant-a`);
    await expect(p.delete!(created.id, created.outs)).resolves.toBeUndefined();
    expect(await p.read!(created.id, created.outs)).toEqual({});
    await emu.api("DELETE", `/dispatch/namespaces/${NS}`);
    await expect(p.delete!(created.id, created.outs)).resolves.toBeUndefined();
  });

  it("imports from an id alone: no value, so the next up rewrites it", async () => {
    await p.create(await check(args()));
    const read = await p.read!(`${NS}/tenant-a/API_KEY`, {});
    expect(read.id).toBe(`${NS}/tenant-a/API_KEY`);
    expect(read.inputs).toEqual({ namespace: NS, scriptName: "tenant-a", name: "API_KEY" });
    expect((read.props as ScriptSecretOutputs).valueHash).toBe("");
    const d = await p.diff!(read.id!, read.props, await check(args()));
    expect(d).toMatchObject({ changes: true, replaces: [] });
    expect(await p.read!(`${NS}/tenant-a/NOPE`, {})).toEqual({});
  });

  it("retries a 429 with Retry-After, and 500s end in a clear error without secrets", async () => {
    const waits = recordWaits(emu);
    await emu.fault({ method: "PUT", path: "*/secrets", status: 429, retryAfter: 1, count: 1 });
    await p.create(await check(args()));
    expect(waits, "the advertised second").toEqual([1000]);
    expect((await emu.journal()).filter((e) => e.method === "PUT").map((e) => e.status)).toEqual([429, 200]);

    await emu.fault({ method: "PUT", path: "*/secrets", status: 503, count: 0 });
    const err = (await p.update!(`${NS}/tenant-a/API_KEY`, {} as ScriptSecretOutputs, await check(args({ text: "rotated-value" }))).catch(
      (e: Error) => e,
    )) as Error;
    expect(err.message).toContain(`ScriptSecret "${NS}/tenant-a/API_KEY"`);
    expect(err.message).toContain("update");
    expect(err.message).toContain("HTTP 503");
    expect(err.message).not.toContain("rotated-value");
    expect(err.message).not.toContain(TEST_TOKEN);
  });

  it("check rejects an empty value and never echoes the value", async () => {
    const r = await p.check!({}, args({ text: "" }));
    expect(r.failures).toEqual([{ property: "text", reason: "must not be empty" }]);
    const bad = await p.check!({}, args({ name: "1BAD", text: "x".repeat(6000) }));
    expect(bad.failures!.map((f) => f.property).sort()).toEqual(["name", "text"]);
    expect(JSON.stringify(bad.failures)).not.toContain("xxxx");
  });
});
