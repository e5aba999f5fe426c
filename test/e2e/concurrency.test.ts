/**
 * Concurrent deploys into one namespace through the real engine: two stacks (two Pulumi projects, same
 * emulator, same namespace, different scripts; one of them with two scripts) upload overlapping assets at
 * the same time. Both converge, every script's manifest is complete, and each blob holds the right bytes
 * and content type (read from the emulator's data directory, where blobs are stored by hash).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { writeFiles } from "../helpers/files";
import { PulumiProject, ROOT } from "../helpers/pulumi-project";

const NS = "e2e-concurrency";
const SITES = ["alpha", "beta", "gamma"] as const;

/** Files shared by every site (the overlap), plus a few of each site's own. */
function siteFiles(name: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 12; i++) files[`shared/page-${i}.html`] = Buffer.from(`<h1>shared page ${i}</h1>\n`);
  files["shared/theme.css"] = Buffer.from("body { color: teal }\n");
  files["shared/logo.png"] = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  for (let i = 0; i < 3; i++) files[`own/${name}-${i}.js`] = Buffer.from(`console.log(${JSON.stringify(`${name} ${i}`)});\n`);
  return files;
}

const EXPECTED_TYPE: Record<string, string> = { ".html": "text/html", ".css": "text/css", ".png": "image/png", ".js": "text/javascript" };

let emu: TestEmulator;
let work: string;
let dataDir: string;
let sites: Record<string, { dir: string; files: Record<string, Buffer> }>;

beforeAll(async () => {
  mkdirSync(path.join(ROOT, ".wfp", "e2e"), { recursive: true });
  work = mkdtempSync(path.join(ROOT, ".wfp", "e2e", "concurrency-fixture-"));
  dataDir = path.join(work, "emulator-data");
  sites = Object.fromEntries(SITES.map((name) => [name, { dir: path.join(work, name), files: siteFiles(name) }]));
  for (const site of Object.values(sites)) writeFiles(site.dir, site.files);
  emu = await startTestEmulator({ dataDir });
  expect((await emu.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
});
afterAll(async () => {
  await emu?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("two stacks deploying overlapping assets into one namespace at once", () => {
  it("both converge, with complete manifests and the right bytes and types behind every hash", async () => {
    const project = (scripts: string[]) =>
      PulumiProject.create("concurrency", {
        program: "dist/test/e2e/stacks/concurrency",
        env: emu.env,
        config: {
          "conc:namespace": NS,
          "conc:scripts": JSON.stringify(scripts.map((name) => ({ name, siteDir: sites[name]!.dir }))),
        },
      });
    // Stack 1 holds two scripts in the namespace, stack 2 a third; all three sites share 14 files.
    const [one, two] = await Promise.all([project(["alpha", "beta"]), project(["gamma"])]);

    // Hold every bucket upload back a moment, so all sessions open before any upload lands: each session then
    // reports the shared files as missing, and the same hashes are uploaded concurrently by several deploys.
    await emu.fault({ method: "POST", path: "*/workers/assets/upload", delayMs: 1500, count: 3 });
    const [r1, r2] = await Promise.all([one.up(), two.up()]);
    await emu.clearFaults();
    expect(r1.code, r1.output).toBe(0);
    expect(r2.code, r2.output).toBe(0);

    const journal = await emu.journal();
    const sessions = journal.filter((e) => e.path.endsWith("/assets-upload-session"));
    expect(sessions.map((e) => e.path.split("/").at(-2)).sort()).toEqual(["alpha", "beta", "gamma"]);

    // Every script's manifest is complete: each path maps to a stored blob with the file's bytes and type.
    const ns = (await emu.state()).accounts[ACCOUNT_ID].namespaces[NS];
    for (const [name, site] of Object.entries(sites)) {
      const script = ns.scripts[name];
      expect(script?.has_assets, name).toBe(true);
      const manifest = script.assets.manifest as Record<string, string>;
      expect(Object.keys(manifest).sort()).toEqual(
        Object.keys(site.files)
          .map((rel) => `/${rel}`)
          .sort(),
      );
      for (const [p, hash] of Object.entries(manifest)) {
        expect(ns.blobs, `${name} ${p}`).toContain(hash);
        expect(readFileSync(path.join(dataDir, "blobs", ns.id, hash)), `${name} ${p}`).toEqual(site.files[p.slice(1)]);
        const type = String(ns.blob_content_types[hash] ?? "");
        expect(type.split(";")[0], `${name} ${p}`).toBe(EXPECTED_TYPE[path.extname(p)]);
      }
    }
    // The 14 shared files are stored once (no salt), plus 3 of each site's own.
    expect(ns.blobs).toHaveLength(14 + 3 * 3);

    // Converged: neither stack has anything left to do, and the state agrees with the emulator.
    for (const p of [one, two]) {
      const check = await p.preview(["--refresh", "--expect-no-changes"]);
      expect(check.code, check.output).toBe(0);
    }
  });
});
