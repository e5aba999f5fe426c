/**
 * StaticAssets + UserScript through the real Pulumi engine against the emulator: deploy, a no-op
 * with no request at all, one file changed, a file added and one removed, a config change, a code-only change
 * (keep_assets, no session), recovery from a run that uploaded but failed before the script PUT, and destroy.
 * The site directory lives in the project's temp dir and is changed between runs.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT_ID, startTestEmulator, type JournalEntry, type TestEmulator } from "../helpers/emulator";
import { PulumiProject } from "../helpers/pulumi-project";

const NS = "e2e-assets";
const SCRIPT_PUT = `PUT /dispatch/namespaces/${NS}/scripts/site`;
const SESSION = `POST /dispatch/namespaces/${NS}/scripts/site/assets-upload-session`;
const UPLOAD = "POST /assets/upload";

const short = (e: JournalEntry) => `${e.method} ${e.path.replace(/^.*?\/workers(?=\/)/, "")}`;

// One scenario: each step builds on the last, so the order holds under --sequence.shuffle.
describe("StaticAssets through the real engine", { shuffle: false }, () => {
  let em: TestEmulator;
  let project: PulumiProject;
  let site: string;
  // Added to the emulator's clock: tokens it issues then look nearly expired to the provider.
  let clockSkewMs = 0;

  const nsState = async () => (await em.state()).accounts[ACCOUNT_ID]?.namespaces[NS];
  const deployed = async () => (await nsState()).scripts.site;
  const blobCount = async () => ((await nsState())?.blobs ?? []).length;
  const writes = async () => (await em.writes()).map(short);
  const put = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(site, file)), { recursive: true });
    writeFileSync(path.join(site, file), content);
  };

  beforeAll(async () => {
    em = await startTestEmulator({ now: () => Date.now() + clockSkewMs });
    project = PulumiProject.prepare("assets", {
      program: "dist/test/e2e/stacks/assets",
      env: { ...em.env, WFP_RETRY_BASE_DELAY_MS: "20", WFP_RETRY_MAX_DELAY_MS: "100", WFP_RETRY_MAX_ATTEMPTS: "2" },
    });
    site = path.join(project.dir, "site");
    put("index.html", "<h1>home</h1>\n");
    put("about.html", "<h1>about</h1>\n");
    put("css/app.css", "body { color: black; }\n");
    await project.init({ config: { "assets:namespace": NS, "assets:siteDir": site } });
  });

  afterAll(async () => {
    await em?.close();
  });

  it("1. deploys the namespace, the assets and the script", async () => {
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    const s = await deployed();
    expect(s.has_assets).toBe(true);
    expect(s.bindings).toEqual([{ name: "ASSETS", type: "assets" }]);
    expect(Object.keys(s.assets.manifest).sort()).toEqual(["/about.html", "/css/app.css", "/index.html"]);
    expect(await blobCount()).toBe(3);
    expect((await project.stackOutputs()).uploadedFiles).toBe(3);
  });

  it("2. makes no request at all on a no-op up", async () => {
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(up.output).toMatch(/4 unchanged/); // the stack, the namespace, the assets, the script
    expect(await em.journal()).toEqual([]);
  });

  it("3. uploads exactly the one changed file: one session, one upload request, one script PUT", async () => {
    const before = await deployed();
    put("about.html", "<h1>about us</h1>\n");
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(await writes()).toEqual([SESSION, UPLOAD, SCRIPT_PUT]);
    expect(await blobCount(), "one new blob: the upload carried one part").toBe(4);
    const after = await deployed();
    expect(after.assets.manifest["/about.html"]).not.toBe(before.assets.manifest["/about.html"]);
    expect(after.assets.manifest["/index.html"]).toBe(before.assets.manifest["/index.html"]);
    expect((await project.stackOutputs()).uploadedFiles).toBe(1);
  });

  it("4. uploads only the added file and drops the removed path from the deployed manifest", async () => {
    put("new/page.html", "<h1>new page</h1>\n");
    rmSync(path.join(site, "css"), { recursive: true });
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(await writes()).toEqual([SESSION, UPLOAD, SCRIPT_PUT]);
    expect(await blobCount()).toBe(5);
    expect(Object.keys((await deployed()).assets.manifest).sort()).toEqual(["/about.html", "/index.html", "/new/page.html"]);
    expect((await project.stackOutputs()).uploadedFiles).toBe(1);
  });

  it("5. applies a config change with a script PUT and no file upload", async () => {
    const manifest = (await deployed()).assets.manifest;
    await project.must(["config", "set", "assets:notFoundHandling", "404-page"]);
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    const w = await writes();
    expect(w).not.toContain(UPLOAD);
    expect(w.filter((x) => x === SCRIPT_PUT)).toHaveLength(1);
    // StaticAssets' digest covers the config, so it opens a session to get a token; the server answers with no buckets.
    expect(w.filter((x) => x === SESSION).length).toBeLessThanOrEqual(1);
    expect(await blobCount()).toBe(5);
    const s = await deployed();
    expect(s.assets.config).toMatchObject({ not_found_handling: "404-page" });
    expect(s.assets.manifest).toEqual(manifest);
    expect((await project.stackOutputs()).uploadedFiles).toBe(0);
  });

  it("keeps the assets on a code-only change: one script PUT (keep_assets), no session", async () => {
    const before = await deployed();
    await project.must(["config", "set", "assets:message", "v2"]);
    await em.clearJournal();
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    expect(await writes()).toEqual([SCRIPT_PUT]);
    const after = await deployed();
    expect(after.etag).not.toBe(before.etag);
    expect(after.has_assets).toBe(true);
    expect(after.assets).toEqual(before.assets); // same manifest and config: kept, not re-sent
    const preview = await project.preview(["--expect-no-changes"]);
    expect(preview.code, preview.output).toBe(0);
  });

  it("converges after a run that uploaded the assets but failed at the script PUT, once its token is stale", async () => {
    // Tokens issued from now on expire (on the provider's clock) in 2 minutes: under the 5 minutes the provider
    // requires, as if the retry came hours after the failed run.
    clockSkewMs = -(3600 - 120) * 1000;
    const oldIndex = (await deployed()).assets.manifest["/index.html"];
    put("index.html", "<h1>home v2</h1>\n");
    await em.fault({
      method: "PUT",
      path: `/client/v4/accounts/${ACCOUNT_ID}/workers/dispatch/namespaces/${NS}/scripts/site`,
      status: 500,
      count: 0,
    });
    await em.clearJournal();
    const failed = await project.up();
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(new RegExp(`UserScript "${NS}/site": update failed.*HTTP 500`));
    expect(await writes()).toContain(UPLOAD); // the new file did go up
    expect((await deployed()).assets.manifest["/index.html"], "the script still serves the old file").toBe(oldIndex);
    const blobs = await blobCount();

    await em.clearFaults();
    await em.clearJournal();
    const retry = await project.up();
    expect(retry.code, retry.output).toBe(0);
    // The stored token is not trusted: a fresh session (empty buckets: the files are there) and the PUT.
    expect(await writes()).toEqual([SESSION, SCRIPT_PUT]);
    expect(await blobCount()).toBe(blobs);
    const s = await deployed();
    const outputs = await project.stackOutputs();
    expect(outputs.assetsDigest).toBe(outputs.digest);
    expect(Object.keys(s.assets.manifest).sort()).toEqual(["/about.html", "/index.html", "/new/page.html"]);
    expect(s.assets.manifest["/index.html"]).not.toBe(oldIndex);

    const preview = await project.preview(["--expect-no-changes"]);
    expect(preview.code, preview.output).toBe(0);
    clockSkewMs = 0;
  });

  it("6. destroy leaves no script in the emulator", async () => {
    const destroy = await project.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    const namespaces = (await em.state()).accounts[ACCOUNT_ID]?.namespaces ?? {};
    expect(Object.values(namespaces).flatMap((n: any) => Object.keys(n.scripts))).toEqual([]);
    expect(namespaces[NS]).toBeUndefined();
  });
});
