/**
 * What a refresh of Tenants costs: one read of the namespace's script list (1,000 a page) and one of each
 * tenant's settings, whatever order the engine reads them in, with every kind of drift still detected.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TenantInputs } from "../../provider/resources/tenant/check";
import type { TenantOutputs } from "../../provider/resources/tenant/provider";
import { driver } from "../helpers/driver";
import { tempDir } from "../helpers/files";
import { deleteScript, deleteSecret, redeployWithOtherAssets, replaceContent, replaceTags } from "../helpers/out-of-band";
import { useEmulator } from "../helpers/provider";

const NS = "refresh-tenants";
const COUNT = 40;
const ids = Array.from({ length: COUNT }, (_, i) => `t${String(i).padStart(2, "0")}`);
const site = tempDir("refresh-tenants-site");
const emu = useEmulator();
const { DispatchNamespace: dispatchNamespaceProvider, Tenant: tenantProvider } = emu.providers;

const args = (id: string) => ({
  namespace: NS,
  tenantId: id,
  modules: [{ name: "index.js", content: "export default { fetch(r, env) { return env.ASSETS.fetch(r) } }" }],
  compatibilityDate: "2025-06-01",
  bindings: [{ name: "ASSETS", type: "assets" }],
  secrets: { API_KEY: `${id}-key`, WEBHOOK_SECRET: `${id}-hook` },
  assets: { directory: site },
});

interface Deployed {
  id: string;
  outs: TenantOutputs;
  inputs: TenantInputs;
}

async function deploy(): Promise<{ ns: { id: string; outs: unknown }; tenants: Deployed[] }> {
  const ns = await driver(dispatchNamespaceProvider).create({ name: NS });
  const tenant = driver<TenantInputs, TenantOutputs>(tenantProvider);
  const tenants: Deployed[] = [];
  for (const id of ids) {
    const inputs = await tenant.check(args(id));
    const created = await tenantProvider.create(inputs);
    tenants.push({ id: created.id, outs: created.outs as TenantOutputs, inputs });
  }
  return { ns, tenants };
}

/** Reads everything in a shuffled order within one run; returns the GETs and the tenants whose diff shows changes. */
async function refresh(stack: Awaited<ReturnType<typeof deploy>>, seed: number) {
  await emu.clearJournal();
  emu.newRun({ shareReads: true });
  try {
    const reads: Array<() => Promise<[string, string[] | "gone" | undefined]>> = [
      async () => ["namespace", (await dispatchNamespaceProvider.read!(stack.ns.id, stack.ns.outs as never)).props ? undefined : "gone"],
      ...stack.tenants.map((t) => async (): Promise<[string, string[] | "gone" | undefined]> => {
        const read = await tenantProvider.read!(t.id, t.outs);
        if (!read.props) return [t.inputs.name, "gone"];
        const diff = (await tenantProvider.diff!(t.id, read.props, t.inputs)) as { changedKeys: string[] };
        return [t.inputs.name, diff.changedKeys.length > 0 ? diff.changedKeys : undefined];
      }),
    ];
    let s = seed;
    for (let i = reads.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const j = s % (i + 1);
      [reads[i], reads[j]] = [reads[j]!, reads[i]!];
    }
    const results = await Promise.all(reads.map((r) => r()));
    const drift = Object.fromEntries(results.filter(([, d]) => d !== undefined));
    return { gets: (await emu.journal()).filter((e) => e.method === "GET").length, drift };
  } finally {
    emu.newRun();
  }
}

describe("refresh of Tenants within one engine run", () => {
  let stack: Awaited<ReturnType<typeof deploy>>;
  beforeAll(() => writeFileSync(join(site, "index.html"), "<h1>hi</h1>"));
  beforeEach(async () => {
    stack = await deploy();
  });

  it.each([1, 2])("costs at most 1.05 reads per tenant plus a constant, in any order (seed %i)", async (seed) => {
    const { gets, drift } = await refresh(stack, seed);
    expect(drift).toEqual({});
    expect(gets).toBe(COUNT + 2); // the namespace, its script list, and each tenant's settings
    expect(gets).toBeLessThanOrEqual(1.05 * COUNT + 2);
  });

  it("the script list is paged at 1,000 and read once per run", async () => {
    await refresh(stack, 5);
    const lists = (await emu.journal()).filter((e) => e.method === "GET" && e.path.endsWith("/scripts"));
    expect(lists).toHaveLength(1);
    expect(lists[0]!.query.limit).toBe("1000");
  });

  it("sees every kind of drift: content, a secret, tags, assets, a deleted script, the namespace", async () => {
    await replaceContent(emu, NS, "t01", "index.js", "export default { fetch() { return new Response('x') } }");
    await deleteSecret(emu, NS, "t02", "API_KEY");
    await replaceTags(emu, NS, "t03", ["tenant-t03", "someone-else"]);
    await redeployWithOtherAssets(emu, NS, "t04", "index.js", "export default { fetch(r, env) { return env.ASSETS.fetch(r) } }", {
      "/other.html": "other",
    });
    await deleteScript(emu, NS, "t05");
    const { drift } = await refresh(stack, 9);
    expect(drift).toEqual({ t01: ["etag"], t02: ["secretNames"], t03: ["tags"], t04: expect.arrayContaining(["etag"]), t05: "gone" });
    await emu.api("DELETE", `/dispatch/namespaces/${NS}?force=true`);
    const after = await refresh(stack, 3);
    expect(Object.values(after.drift).every((d) => d === "gone")).toBe(true);
    expect(Object.keys(after.drift)).toHaveLength(COUNT + 1);
  });
});
