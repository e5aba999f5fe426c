/**
 * The shape of Miniflare's internals the runtime relies on (emulator/runtime/miniflare-internals.ts): its assets
 * plugin's services and bindings, and the per-Worker asset storage. A Miniflare upgrade that changes them fails here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { describeAssets, type MiniflareModule, separateAssetStorage } from "../../emulator/runtime/miniflare-internals";

const root = mkdtempSync(join(tmpdir(), "wfp-mf-internals-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function site(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  return dir;
}

test("the assets plugin describes a directory: reverse map, configs, manifest, Workers' sources", async () => {
  const mf: MiniflareModule = await import("miniflare");
  const directory = site("described", { "index.html": "<h1>hi</h1>", _headers: "/*\n  x-a: 1\n" });
  const d = await describeAssets(mf, new mf.NoOpLog(), {
    directory,
    routerConfig: { has_user_worker: true },
    assetConfig: { html_handling: "none" },
    compatibilityDate: "2024-11-01",
    compatibilityFlags: ["nodejs_als"],
  });
  expect(Object.values(d.reverseMap)).toEqual([{ filePath: "index.html", contentType: "text/html; charset=utf-8" }]);
  expect(d.assetConfig).toMatchObject({ html_handling: "none", compatibility_date: "2024-11-01", compatibility_flags: ["nodejs_als"] });
  expect(JSON.stringify((d.assetConfig as { headers: unknown }).headers)).toContain("x-a");
  expect(d.routerConfig).toMatchObject({ has_user_worker: true });
  expect(d.manifest).toBeInstanceOf(Uint8Array);
  expect(d.manifest.byteLength).toBeGreaterThan(16);
  expect(d.assetSource).toMatch(/export/);
  expect(d.router.source).toMatch(/export/);
  expect(d.router.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
});

test("each Worker's assets come from its own directory, with its compatibility settings", async () => {
  const mf: MiniflareModule = await import("miniflare");
  separateAssetStorage(mf);
  const plugin = mf.ASSETS_PLUGIN as unknown as { getServices: (a: unknown) => Promise<unknown> };
  const patched = plugin.getServices;
  const configs: unknown[] = [];
  plugin.getServices = async (a) => {
    const services = (await patched(a)) as Array<{ name?: string; worker?: { bindings?: Array<{ name?: string; json?: string }> } }>;
    for (const s of services ?? [])
      if (s.name?.startsWith("assets:assets-service:"))
        configs.push(JSON.parse(s.worker!.bindings!.find((b) => b.name === "CONFIG")!.json!));
    return services;
  };
  const worker = (name: string, dir: string) => ({
    name,
    modules: true,
    script: "export default { fetch() { return new Response('worker'); } };",
    compatibilityDate: "2024-11-01",
    assets: { directory: dir, routerConfig: { has_user_worker: true } },
  });
  // A service binding reaches a Worker with assets through Cloudflare's router, as the runtime's front Worker does.
  const front = {
    name: "front",
    modules: true,
    script: "export default { fetch(request, env) { return env[request.headers.get('to')].fetch(request); } };",
    serviceBindings: { a: "a", b: "b" },
  };
  const m = new mf.Miniflare({ workers: [front, worker("a", site("a", { "a.txt": "A" })), worker("b", site("b", { "b.txt": "B" }))] });
  try {
    const get = async (worker: string, path: string) => (await m.dispatchFetch(`http://x${path}`, { headers: { to: worker } })).text();
    expect(await get("a", "/a.txt")).toBe("A");
    expect(await get("b", "/b.txt")).toBe("B");
    expect(await get("b", "/a.txt")).toBe("worker");
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const c of configs) expect(c).toMatchObject({ compatibility_date: "2024-11-01" });
  } finally {
    plugin.getServices = patched;
    await m.dispose();
  }
}, 30_000);
