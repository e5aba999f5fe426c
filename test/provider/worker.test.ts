/**
 * The account-level Worker resource against the emulator: lifecycle, drift (content, settings, subdomain),
 * import, and the account-level ScriptSecret and StaticAssets that a dispatch Worker may have.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { buildSettingsForm } from "../helpers/out-of-band";
import type { ScriptSecretInputs } from "../../provider/resources/script-secret";
import type { StaticAssetsInputs, StaticAssetsOutputs } from "../../provider/resources/static-assets";
import type { WorkerInputs, WorkerOutputs } from "../../provider/resources/worker";
import { driver } from "../helpers/driver";
import { tempDir } from "../helpers/files";
import { useEmulator } from "../helpers/provider";

const NAME = "dispatcher";
const assetsDir = tempDir("worker-assets");
const emu = useEmulator();
const { ScriptSecret: scriptSecretProvider, StaticAssets: staticAssetsProvider, Worker: p } = emu.providers;
const { check, refreshDiff } = driver<WorkerInputs, WorkerOutputs>(p);

const args = (over: Record<string, unknown> = {}) => ({
  name: NAME,
  modules: [{ name: "index.js", content: "export default { fetch() { return new Response('dispatch') } }" }],
  compatibilityDate: "2025-06-01",
  bindings: [{ name: "REGION", type: "plain_text", text: "eu" }],
  tags: ["platform"],
  // What the Worker class sets from the program's project and stack.
  owner: "wfp-owner=test/worker",
  ...over,
});

describe("Worker against the emulator", () => {
  it("creates with one PUT and one subdomain POST, reads back without drift, deletes", async () => {
    const inputs = await check(args({ workersDev: true }));
    const created = await p.create(inputs);
    expect(created.id).toBe(NAME);
    expect((await emu.writes()).map((w) => `${w.method} ${w.path.split("/workers")[1]}`)).toEqual([
      `PUT /scripts/${NAME}`,
      `POST /scripts/${NAME}/subdomain`,
    ]);
    expect((await emu.api("GET", `/scripts/${NAME}/subdomain`)).body.result.enabled).toBe(true);

    const { diff } = await refreshDiff(NAME, created.outs, inputs);
    expect(diff.changes).toBe(false);

    await emu.clearJournal();
    await p.delete!(NAME, created.outs);
    expect((await emu.api("GET", "/scripts")).body.result).toEqual([]);
    // Deleting again: gone by Cloudflare's code is success.
    await p.delete!(NAME, created.outs);
  });

  it("turns workers.dev on and off without uploading the script", async () => {
    const inputs = await check(args());
    const created = await p.create(inputs);
    await emu.clearJournal();
    const on = await check(args({ workersDev: true }));
    const updated = await p.update!(NAME, created.outs, on);
    expect((await emu.writes()).map((w) => `${w.method} ${w.path.split("/workers")[1]}`)).toEqual([`POST /scripts/${NAME}/subdomain`]);
    expect(updated.outs.workersDev).toBe(true);
  });

  it("detects content, settings and subdomain drift, and repairs it", async () => {
    const inputs = await check(args({ workersDev: true }));
    const created = await p.create(inputs);

    // Someone else deploys other code, changes a setting and turns workers.dev off.
    const form = buildScriptUploadForm({ main_module: "index.js", compatibility_date: "2025-06-01", keep_bindings: ["plain_text"] }, [
      { name: "index.js", type: "application/javascript+module", content: "export default { fetch() { return new Response('other') } }" },
    ]);
    expect((await emu.api("PUT", `/scripts/${NAME}`, { body: form })).status).toBe(200);
    expect((await emu.api("PATCH", `/scripts/${NAME}/settings`, { body: buildSettingsForm({ logpush: true }) })).status).toBe(200);
    expect((await emu.api("POST", `/scripts/${NAME}/subdomain`, { json: { enabled: false } })).status).toBe(200);

    const { read, diff } = await refreshDiff(NAME, created.outs, inputs);
    expect(diff.changedKeys).toEqual(expect.arrayContaining(["etag", "logpush", "workersDev"]));

    const repaired = await p.update!(NAME, read.props as WorkerOutputs, inputs);
    const again = await refreshDiff(NAME, repaired.outs, inputs);
    expect(again.diff.changes).toBe(false);
  });

  it("reads a Worker deleted out of band as gone", async () => {
    const created = await p.create(await check(args()));
    expect((await emu.api("DELETE", `/scripts/${NAME}`)).status).toBe(200);
    expect(await p.read!(NAME, created.outs)).toEqual({});
  });

  it("imports from a name alone, with inputs that check and diff clean", async () => {
    const inputs = await check(args({ workersDev: true }));
    await p.create(inputs);
    const imported = await p.read!(NAME, {} as WorkerOutputs);
    expect(imported.inputs).toMatchObject({ name: NAME, workersDev: true, mainModule: "index.js" });
    const checked = await p.check!(imported.inputs!, imported.inputs!);
    expect(checked.failures).toEqual([]);
    expect((await p.diff!(NAME, imported.props as WorkerOutputs, checked.inputs as WorkerInputs)).changes).toBe(false);
  });
});

describe("secrets and assets of an account-level Worker", () => {
  it("a ScriptSecret without a namespace lives on the Worker and survives its re-deploy", async () => {
    const worker = await p.create(await check(args()));
    const secret = (await scriptSecretProvider.check!({}, { scriptName: NAME, name: "SIGNING_KEY", text: "k1" }))
      .inputs as ScriptSecretInputs;
    const created = await scriptSecretProvider.create(secret);
    expect(created.id).toBe(`${NAME}/SIGNING_KEY`);
    await p.update!(NAME, worker.outs, await check(args({ tags: ["platform", "v2"] })));
    const names = (await emu.api("GET", `/scripts/${NAME}/secrets`)).body.result.map((s: { name: string }) => s.name);
    expect(names).toEqual(["SIGNING_KEY"]);
    expect((await scriptSecretProvider.read!(created.id, created.outs)).props).toMatchObject({ scriptName: NAME, name: "SIGNING_KEY" });
    await scriptSecretProvider.delete!(created.id, created.outs);
    expect(await scriptSecretProvider.read!(created.id, created.outs)).toEqual({});
  });

  it("StaticAssets without a namespace upload through the account-level session and attach to the Worker", async () => {
    writeFileSync(join(assetsDir, "index.html"), "<h1>platform</h1>");
    const assets = (await staticAssetsProvider.check!({}, { scriptName: NAME, directory: assetsDir })).inputs as StaticAssetsInputs;
    const uploaded = await staticAssetsProvider.create(assets);
    expect(uploaded.id).toBe(NAME);
    const outs = uploaded.outs as StaticAssetsOutputs;
    expect(outs.uploadedFiles).toBe(1);
    const worker = await p.create(
      await check(args({ name: NAME, bindings: [{ name: "ASSETS", type: "assets" }], assets: outs.attachment })),
    );
    expect(worker.outs.assetsDigest).toBe(outs.digest);
    expect((await staticAssetsProvider.read!(NAME, outs)).props).toMatchObject({ digest: outs.digest });
  });
});
