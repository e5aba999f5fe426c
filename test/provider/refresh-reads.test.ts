/**
 * What a refresh costs in API reads: within one engine run (after configure), a tenant's script, its secrets and
 * its assets share their GETs, whatever order the engine reads them in, and every kind of drift is still seen.
 * A script's etag, tags and assets come from one list of the namespace per run; per script, only its settings.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { driver } from "../helpers/driver";
import { tempDir } from "../helpers/files";
import { useEmulator } from "../helpers/provider";

const NS = "refresh-reads";
const TENANTS = ["t1", "t2", "t3"];
const site = tempDir("refresh-reads-site");
const emu = useEmulator();
const {
  DispatchNamespace: dispatchNamespaceProvider,
  ScriptSecret: scriptSecretProvider,
  StaticAssets: staticAssetsProvider,
  UserScript: userScriptProvider,
} = emu.providers;

type Read = () => Promise<{ props?: unknown }>;
interface Stack {
  reads: Array<[string, Read]>;
}

/** Creates the namespace and, per tenant, assets, a script with them and two secrets; returns each resource's read. */
async function deploy(): Promise<Stack> {
  const ns = await driver(dispatchNamespaceProvider).create({ name: NS });
  const reads: Stack["reads"] = [["namespace", () => dispatchNamespaceProvider.read!(ns.id, ns.outs)]];
  for (const t of TENANTS) {
    const assets = await driver(staticAssetsProvider).create({ namespace: NS, scriptName: t, directory: site, isolationSalt: t });
    const script = await driver(userScriptProvider).create({
      namespace: NS,
      name: t,
      modules: [{ name: "index.js", content: "export default { fetch(r, env) { return env.ASSETS.fetch(r) } }" }],
      compatibilityDate: "2025-06-01",
      bindings: [{ name: "ASSETS", type: "assets" }],
      assets: assets.outs.attachment,
    });
    reads.push([`${t} assets`, () => staticAssetsProvider.read!(assets.id, assets.outs)]);
    reads.push([`${t} script`, () => userScriptProvider.read!(script.id, script.outs)]);
    for (const name of ["API_KEY", "WEBHOOK_SECRET"]) {
      const secret = await driver(scriptSecretProvider).create({ namespace: NS, scriptName: t, name, text: `${t}-${name}` });
      reads.push([`${t} ${name}`, () => scriptSecretProvider.read!(secret.id, secret.outs)]);
    }
  }
  return { reads };
}

/** A deterministic shuffle, so each seed reads in another order. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function refresh(stack: Stack, seed: number): Promise<{ gets: number; gone: string[] }> {
  await emu.clearJournal();
  emu.newRun({ shareReads: true });
  try {
    const results = await Promise.all(shuffled(stack.reads, seed).map(async ([name, read]) => [name, await read()] as const));
    const gone = results.filter(([, r]) => r.props === undefined).map(([name]) => name);
    return { gets: (await emu.journal()).filter((e) => e.method === "GET").length, gone: gone.sort() };
  } finally {
    emu.newRun();
  }
}

describe("refresh reads within one engine run", () => {
  let stack: Stack;
  beforeAll(() => writeFileSync(join(site, "index.html"), "<h1>hi</h1>"));
  beforeEach(async () => {
    stack = await deploy();
  });

  it.each([1, 2, 3])("costs 1 read per tenant and 2 for the stack (namespace, script list), in any order (seed %i)", async (seed) => {
    const { gets, gone } = await refresh(stack, seed);
    expect(gone).toEqual([]);
    expect(gets).toBe(TENANTS.length + 2);
  });

  it("still sees a secret deleted out of band, and a deleted script takes its secrets with it", async () => {
    expect((await emu.api("DELETE", `/dispatch/namespaces/${NS}/scripts/t1/secrets/API_KEY`)).status).toBe(200);
    expect((await emu.api("DELETE", `/dispatch/namespaces/${NS}/scripts/t2`)).status).toBe(200);
    const { gone } = await refresh(stack, 7);
    expect(gone).toEqual(["t1 API_KEY", "t2 API_KEY", "t2 WEBHOOK_SECRET", "t2 script"]);
  });

  it("outside a run nothing is shared: each read asks the API", async () => {
    await emu.clearJournal();
    for (const [, read] of stack.reads) await read();
    expect((await emu.journal()).filter((e) => e.method === "GET").length).toBeGreaterThan(2 * TENANTS.length + 2);
  });
});
