/**
 * Each kind of drift the platform stack meets, made out of band through the API against the emulator, then
 * refreshed and diffed by the provider, passed on as the plugin host passes it to the engine, shown as the JSON
 * preview shows it (secret values masked) and worded by wfp-drift: each names exactly the fields that changed.
 */
import { describe, expect, it } from "vitest";
import { driftFields, type StepStates } from "../../provider/drift-fields";
import { engineDiff } from "../../provider/engine-diff";
import type { KvEntriesInputs, KvEntriesOutputs } from "../../provider/resources/kv/entries";
import type { TenantInputs } from "../../provider/resources/tenant/check";
import type { TenantOutputs } from "../../provider/resources/tenant/provider";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID } from "../helpers/emulator";
import { tempDir, writeFile } from "../helpers/files";
import * as oob from "../helpers/out-of-band";
import { useEmulator } from "../helpers/provider";

const NS = "drift-ns";
const OWNER = "wfp-owner=platform/dev";
const emu = useEmulator({ namespaces: [NS] });
const { KvEntries: kvEntriesProvider, Tenant: tenantProvider } = emu.providers;
const tenant = driver<TenantInputs, TenantOutputs>(tenantProvider);
const entries = driver<KvEntriesInputs, KvEntriesOutputs>(kvEntriesProvider);
const site = tempDir("drift-site");
writeFile(`${site}/index.html`, "<h1>ours</h1>");

const worker = "export default { fetch: () => new Response('ok') };\n";
const tenantArgs = (id: string, over: Record<string, unknown> = {}) => ({
  namespace: NS,
  tenantId: id,
  modules: [{ name: "worker.js", content: worker }],
  compatibilityDate: "2025-06-01",
  tags: ["team-blue"],
  owner: OWNER,
  ...over,
});

/** Values the JSON preview masks: a Tenant's secrets (an input) and their hashes (a secret output). */
const masked = (props: Record<string, unknown>) => ({
  ...props,
  ...("secrets" in props ? { secrets: "[secret]" } : {}),
  ...("secretHashes" in props ? { secretHashes: "[secret]" } : {}),
});

/** The lines wfp-drift prints under a resource refreshed after an out-of-band change (the program unchanged). */
async function driftLines<I, O>(d: ReturnType<typeof driver<I, O>>, id: string, outs: O, inputs: I): Promise<string[]> {
  const { read, diff } = await d.refreshDiff(id, outs, inputs);
  const live = read.props as Record<string, unknown>;
  const step: StepStates = {
    // As the plugin host passes it: with the inputs the engine has, whose structured fields are text.
    detailedDiff: engineDiff(diff, live, inputs as Record<string, unknown>).detailedDiff,
    oldState: { inputs: masked(inputs as Record<string, unknown>), outputs: masked(live) },
    newState: { inputs: masked(inputs as Record<string, unknown>) },
  };
  return driftFields(step).map((f) => `${f.path}: ${f.message}`);
}

describe("drift of each kind, by field", () => {
  it("code replaced through the API: etag alone, also for a tenant without secrets", async () => {
    const inputs = await tenant.check(tenantArgs("multi"));
    const { id, outs } = await tenant.create(tenantArgs("multi"));
    await oob.replaceContent(emu, NS, "multi", "worker.js", "export default { fetch: () => new Response('hacked') };\n");
    expect(await driftLines(tenant, id, outs, inputs)).toEqual(["etag: deployed by something else"]);
  });

  it("a secret deleted: that secret by name, never the other", async () => {
    const args = tenantArgs("billing", { secrets: { STRIPE_KEY: "sk_1", WEBHOOK_SECRET: "wh_1" } });
    const inputs = await tenant.check(args);
    const { id, outs } = await tenant.create(args);
    await oob.deleteSecret(emu, NS, "billing", "STRIPE_KEY");
    expect(await driftLines(tenant, id, outs, inputs)).toEqual(["secrets.STRIPE_KEY: deleted out of band"]);
  });

  it("tags replaced (the owner tag with them): tags and owner", async () => {
    const inputs = await tenant.check(tenantArgs("tagged"));
    const { id, outs } = await tenant.create(tenantArgs("tagged"));
    await oob.replaceTags(emu, NS, "tagged", ["tenant-tagged", "plan-free", "team-red"]);
    expect(await driftLines(tenant, id, outs, inputs)).toEqual(["owner: changed out of band", "tags: changed out of band"]);
  });

  it("a binding's text changed through the settings: that binding, by index and name", async () => {
    const bindings = [
      { type: "plain_text", name: "A", text: "a" },
      { type: "plain_text", name: "B", text: "b" },
    ];
    const args = tenantArgs("bound", { bindings });
    const inputs = await tenant.check(args);
    const { id, outs } = await tenant.create(args);
    const settings = oob.buildSettingsForm({ bindings: [bindings[0], { ...bindings[1], text: "changed" }] });
    const patched = await emu.api("PATCH", `/dispatch/namespaces/${NS}/scripts/bound/settings`, { body: settings });
    expect(patched.status, patched.text).toBe(200);
    expect(await driftLines(tenant, id, outs, inputs)).toEqual(["bindings[1]: changed out of band (B)"]);
  });

  it("another deploy with its own asset set: etag alone", async () => {
    const args = tenantArgs("site", { bindings: [{ type: "assets", name: "ASSETS" }], assets: { directory: site } });
    const inputs = await tenant.check(args);
    const { id, outs } = await tenant.create(args);
    await oob.redeployWithOtherAssets(emu, NS, "site", "worker.js", worker, { "/other.html": "<h1>not ours</h1>" });
    expect(await driftLines(tenant, id, outs, inputs)).toEqual(["etag: deployed by something else"]);
  });

  it("a script deleted reads as gone (the preview plans its create: missing, no field)", async () => {
    const { id, outs } = await tenant.create(tenantArgs("doomed"));
    await oob.deleteScript(emu, NS, "doomed");
    expect((await tenantProvider.read!(id, outs)).props).toBeUndefined();
  });

  it("a routing key deleted: that key by name", async () => {
    const kv = (path: string) => `${emu.apiBase}/accounts/${ACCOUNT_ID}/storage/kv/namespaces${path}`;
    const created = await emu.api("POST", kv(""), { json: { title: "routes" } });
    const namespaceId = (created.body as { result: { id: string } }).result.id;
    const args = { namespaceId, entries: { "tenant:multi": '{"plan":"free"}', "tenant:site": '{"plan":"pro"}' }, owner: OWNER };
    const inputs = await entries.check(args);
    const { id, outs } = await entries.create(args);
    const gone = await emu.api("DELETE", kv(`/${namespaceId}/values/${encodeURIComponent("tenant:multi")}`));
    expect(gone.status).toBe(200);
    expect(await driftLines(entries, id, outs, inputs)).toEqual(['entries["tenant:multi"]: deleted out of band']);
  });
});
