import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { tempDir } from "../helpers/files";
import { recordWaits, useEmulator } from "../helpers/provider";
import type { UserScriptInputs, UserScriptOutputs } from "../../provider/resources/user-script";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { buildSettingsForm } from "../helpers/out-of-band";

const NS = "tenants";
const libPath = join(tempDir("user-script"), "lib.js");
const emu = useEmulator({ namespaces: [NS] });
const { UserScript: p } = emu.providers;
/** The account's KV namespace the script binds (an upload may bind only the account's own; the emulator resets per test). */
let kvId = "";
const { check, refreshDiff } = driver<UserScriptInputs, UserScriptOutputs>(p);

const baseArgs = (over: Record<string, unknown> = {}) => ({
  namespace: NS,
  name: "tenant-a",
  modules: [
    { name: "index.js", content: "import { v } from './lib.js'; export default { fetch() { return new Response(v) } }" },
    { name: "lib.js", path: libPath },
  ],
  compatibilityDate: "2025-01-01",
  compatibilityFlags: ["nodejs_compat"],
  bindings: [
    { name: "GREETING", type: "plain_text", text: "hi" },
    { name: "CONF", type: "json", json: { a: 1 } },
    { name: "KV", type: "kv_namespace", namespaceId: kvId },
  ],
  tags: ["customer-1", "plan-pro"],
  logpush: true,
  limits: { cpuMs: 50 },
  observability: { enabled: true, headSamplingRate: 0.5 },
  ...over,
});

const scriptState = async (name = "tenant-a") => (await emu.state()).accounts[ACCOUNT_ID]?.namespaces?.[NS]?.scripts?.[name];

describe("UserScript against the emulator", () => {
  beforeEach(async () => {
    writeFileSync(libPath, "export const v = 'one';");
    const created = await emu.api("POST", `${emu.apiBase}/accounts/${ACCOUNT_ID}/storage/kv/namespaces`, { json: { title: "sessions" } });
    expect(created.status, created.text).toBe(200);
    kvId = created.body.result.id;
    await emu.clearJournal();
  });

  it("creates with one multipart PUT and reads back without drift", async () => {
    const inputs = await check(baseArgs());
    const created = await p.create(inputs);
    expect(created.id).toBe(`${NS}/tenant-a`);
    const writes = await emu.writes();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ method: "PUT", query: { bindings_inherit: "strict" }, status: 200 });
    const s = await scriptState();
    expect(s.main_module).toBe("index.js");
    expect(s.modules.map((m: { name: string; type: string }) => [m.name, m.type])).toEqual([
      ["index.js", "application/javascript+module"],
      ["lib.js", "application/javascript+module"],
    ]);
    expect(s.tags).toEqual(["customer-1", "plan-pro"]);
    expect(s.bindings.map((b: { name: string }) => b.name).sort()).toEqual(["CONF", "GREETING", "KV"]);
    expect(s.logpush).toBe(true);
    // Outputs hold hashes, not module content.
    expect(JSON.stringify(created.outs)).not.toContain("new Response");
    expect(created.outs.etag).toBe(s.etag);

    const { read, diff } = await refreshDiff(created.id, created.outs, inputs);
    expect(read.props).toEqual(created.outs);
    expect(diff.changes).toBe(false);
    expect((await p.diff!(created.id, created.outs, inputs)).changes).toBe(false);
  });

  it("a file change under path is an in-place update of exactly one PUT", async () => {
    const inputs = await check(baseArgs());
    const created = await p.create(inputs);
    writeFileSync(libPath, "export const v = 'two';");
    const news = await check(baseArgs());
    const d = await p.diff!(created.id, created.outs, news);
    expect(d).toMatchObject({ changes: true, replaces: [] });
    await emu.clearJournal();
    const updated = await p.update!(created.id, created.outs, news);
    const writes = await emu.writes();
    expect(writes.map((w) => w.method)).toEqual(["PUT"]);
    expect(updated.outs.etag).not.toBe(created.outs.etag);
    expect((await p.diff!(created.id, updated.outs, news)).changes).toBe(false);
  });

  it("keeps secrets across a script update", async () => {
    const created = await p.create(await check(baseArgs()));
    const res = await emu.api("PUT", `/dispatch/namespaces/${NS}/scripts/tenant-a/secrets`, {
      json: { name: "API_KEY", text: "s3cr3t", type: "secret_text" },
    });
    expect(res.status).toBe(200);
    const news = await check(baseArgs({ tags: ["customer-1"], bindings: [] }));
    await p.update!(created.id, created.outs, news);
    const s = await scriptState();
    expect(s.secrets).toEqual(["API_KEY"]);
    expect(s.tags).toEqual(["customer-1"]);
    // The secret is not reported as a binding drift.
    const { diff } = await refreshDiff(created.id, (await p.read!(created.id, created.outs)).props, news);
    expect(diff.changes).toBe(false);
  });

  it("detects content, tag and settings drift, and repairs it", async () => {
    const inputs = await check(baseArgs());
    const created = await p.create(inputs);
    // Someone else deploys other content.
    const form = buildScriptUploadForm(
      {
        main_module: "index.js",
        compatibility_date: "2025-01-01",
        compatibility_flags: ["nodejs_compat"],
        keep_bindings: ["plain_text", "json", "kv_namespace"],
        logpush: true,
        limits: { cpu_ms: 50 },
        observability: { enabled: true, head_sampling_rate: 0.5 },
      },
      [
        {
          name: "index.js",
          type: "application/javascript+module",
          content: "export default { fetch() { return new Response('hacked') } }",
        },
        { name: "lib.js", type: "application/javascript+module", content: "export const v = 'one';" },
      ],
    );
    expect((await emu.api("PUT", `/dispatch/namespaces/${NS}/scripts/tenant-a`, { body: form })).status).toBe(200);
    let r = await refreshDiff(created.id, created.outs, inputs);
    expect(r.diff.changes).toBe(true);
    expect((r.read.props as UserScriptOutputs).etag).not.toBe((r.read.props as UserScriptOutputs).deployedEtag);

    // Tags and a setting changed out of band.
    await emu.api("PUT", `/dispatch/namespaces/${NS}/scripts/tenant-a/tags`, { json: ["customer-2"] });
    await emu.api("PATCH", `/dispatch/namespaces/${NS}/scripts/tenant-a/settings`, { body: buildSettingsForm({ logpush: false }) });
    r = await refreshDiff(created.id, created.outs, inputs);
    const outs = r.read.props as UserScriptOutputs;
    expect(outs.tags).toEqual(["customer-2"]);
    expect(outs.logpush).toBe(false);

    // up --refresh: diff(refreshed outputs, program inputs) → update → clean.
    expect((await p.diff!(created.id, outs, inputs)).changes).toBe(true);
    const repaired = await p.update!(created.id, outs, inputs);
    const s = await scriptState();
    expect(s.tags).toEqual(["customer-1", "plan-pro"]);
    expect(s.logpush).toBe(true);
    expect((await refreshDiff(created.id, repaired.outs, inputs)).diff.changes).toBe(false);
  });

  it("a deleted script or namespace reads as gone, and delete is idempotent", async () => {
    const created = await p.create(await check(baseArgs()));
    await emu.api("DELETE", `/dispatch/namespaces/${NS}/scripts/tenant-a`);
    expect(await p.read!(created.id, created.outs)).toEqual({});
    await expect(p.delete!(created.id, created.outs)).resolves.toBeUndefined();

    const again = await p.create(await check(baseArgs()));
    await emu.api("DELETE", `/dispatch/namespaces/${NS}`);
    expect(await p.read!(again.id, again.outs)).toEqual({});
    await expect(p.delete!(again.id, again.outs)).resolves.toBeUndefined();
  });

  it("delete removes the script", async () => {
    const created = await p.create(await check(baseArgs()));
    await p.delete!(created.id, created.outs);
    expect(await scriptState()).toBeUndefined();
  });

  it("a name or namespace change replaces, create-before-delete", async () => {
    expect((await emu.api("POST", "/dispatch/namespaces", { json: { name: "other" } })).status).toBe(200);
    const created = await p.create(await check(baseArgs()));
    const d = await p.diff!(created.id, created.outs, await check(baseArgs({ name: "tenant-b" })));
    expect(d).toMatchObject({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
    const d2 = await p.diff!(created.id, created.outs, await check(baseArgs({ namespace: "other" })));
    expect(d2.replaces).toEqual(["namespace"]);
  });

  it("imports from an id alone, with inputs that check and diff clean", async () => {
    const created = await p.create(await check(baseArgs()));
    const read = await p.read!(`${NS}/tenant-a`, {});
    expect(read.id).toBe(created.id);
    const inputs = await check(read.inputs!);
    expect(inputs.modules.map((m) => m.name)).toEqual(["index.js", "lib.js"]);
    expect(inputs.mainModule).toBe("index.js");
    expect(inputs.tags).toEqual(["customer-1", "plan-pro"]);
    expect((await p.diff!(read.id!, read.props, inputs)).changes).toBe(false);
    // The imported state compares clean to the original program too.
    expect((await p.diff!(read.id!, read.props, await check(baseArgs()))).changes).toBe(false);
  });

  it("retries a 429 with Retry-After", async () => {
    const waits = recordWaits(emu);
    await emu.fault({ method: "PUT", path: "*/scripts/tenant-a", status: 429, retryAfter: 1, count: 1 });
    const created = await p.create(await check(baseArgs()));
    expect(waits, "the advertised second").toEqual([1000]);
    expect(created.outs.etag).toMatch(/^[0-9a-f]{64}$/);
    const puts = (await emu.journal()).filter((e) => e.method === "PUT");
    expect(puts.map((e) => e.status)).toEqual([429, 200]);
  });

  it("retries 500s, then fails naming resource, operation, status and code, without the token", async () => {
    await emu.fault({ method: "PUT", path: "*/scripts/tenant-a", status: 500, count: 0 });
    const err = (await p.create(await check(baseArgs())).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`UserScript "${NS}/tenant-a"`);
    expect(err.message).toContain("create");
    expect(err.message).toContain("HTTP 500");
    expect(err.message).toMatch(/Cloudflare error 10013/);
    expect(err.message).not.toContain(TEST_TOKEN);
    const puts = (await emu.journal()).filter((e) => e.method === "PUT");
    expect(puts.length).toBeGreaterThan(1);
  });
});
