/**
 * StaticAssets provider methods and prepareAssetsForDeploy against the in-process emulator: the engine's
 * sequence (check → diff → create/update) is driven by hand, and the emulator's journal and state show what
 * went over the wire.
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { prepareAssetsForDeploy, jwtExpiry } from "../../provider/assets/attach";
import { clearHashCache } from "../../provider/assets/manifest";
import * as walk from "../../provider/assets/walk";
import type { StaticAssetsInputs, StaticAssetsOutputs } from "../../provider/resources/static-assets";
import type { UserScriptInputs, UserScriptOutputs } from "../../provider/resources/user-script";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID, startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { tempDir, writeTree } from "../helpers/files";
import { boundProviders, recordWaits, useEmulator } from "../helpers/provider";

const NS = "assets-ns";
const tmpRoot = tempDir("assets-provider");
// The state is kept across tests: each uses files of its own, so earlier tests' blobs are not reused.
const emu = useEmulator({ namespaces: [NS], each: "journal" });
const { StaticAssets: provider, UserScript: userScriptProvider } = emu.providers;
const { check, create, up } = driver<StaticAssetsInputs, StaticAssetsOutputs>(provider);

const site = (files: Record<string, string | Buffer>) => writeTree(tmpRoot, files);

const assetCalls = async () => (await emu.journal()).filter((e) => /assets/.test(e.path));
const sessions = async () => (await emu.journal()).filter((e) => e.path.endsWith("/assets-upload-session"));
const uploads = async () => (await emu.journal()).filter((e) => e.path.endsWith("/workers/assets/upload"));
const blobs = async (ns = NS): Promise<string[]> => (await emu.state()).accounts[ACCOUNT_ID].namespaces[ns].blobs;

async function createNamespace(name: string) {
  const res = await emu.api("POST", "/dispatch/namespaces", { json: { name } });
  expect(res.status).toBe(200);
}

/** `n` small files whose contents are unique to `tag` (so earlier tests' blobs are not reused). */
function manyFiles(n: number, tag: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`f/${String(i).padStart(5, "0")}.txt`] = `${tag} file ${i}`;
  return files;
}

beforeEach(() => clearHashCache());

describe("StaticAssets provider", () => {
  it("creates, then a no-op makes zero API calls, then a 1-file change uploads exactly one file", async () => {
    const dir = await site({ "index.html": "<h1>v1</h1>", "a.css": "a{}", "b.js": "export {}", "img/x.png": Buffer.from([1, 2, 3]) });
    const args = { namespace: NS, scriptName: "site-a", directory: dir, config: { htmlHandling: "none" } };
    const { id, outs } = await create(args);
    expect(id).toBe(`${NS}/site-a`);
    expect(outs.fileCount).toBe(4);
    expect(outs.uploadedFiles).toBe(4);
    expect(outs.hashFormula).toBe("sha256-salted-ext-v1");
    expect(outs.attachment.digest).toBe(outs.digest);
    expect(outs.attachment.config).toEqual({ html_handling: "none" });
    expect(jwtExpiry(outs.attachment.completionToken!)).toBeGreaterThan(Date.now() / 1000);
    expect((await sessions()).length).toBe(1);
    expect((await uploads()).map((e) => e.status)).toEqual([201]);
    const state = (await emu.state()).accounts[ACCOUNT_ID].namespaces[NS];
    const pngHash = Object.values(state.blob_content_types).includes("image/png");
    expect(pngHash).toBe(true);
    expect(Object.values(state.blob_content_types)).toContain("text/html; charset=utf-8");

    // No-op: check + diff only, and neither touches the API.
    await emu.clearJournal();
    const noop = await up(id, outs, args);
    expect(noop.changed).toBe(false);
    expect(await emu.journal()).toEqual([]);

    // One file changed: one session, one upload request, one new blob.
    const before = await blobs();
    await fsp.writeFile(path.join(dir, "a.css"), "a{color:red}");
    const changed = await up(id, outs, args);
    expect(changed.changed).toBe(true);
    expect(changed.outs.uploadedFiles).toBe(1);
    expect(changed.outs.digest).not.toBe(outs.digest);
    expect((await sessions()).length).toBe(1);
    expect((await uploads()).length).toBe(1);
    const after = await blobs();
    expect(after.filter((h) => !before.includes(h))).toHaveLength(1);
  });

  it("a file added and one removed uploads only the added one; a config change uploads nothing", async () => {
    const dir = await site({ "index.html": "1", "old.txt": "old" });
    const args = { namespace: NS, scriptName: "site-b", directory: dir };
    const { id, outs } = await create(args);
    await fsp.rm(path.join(dir, "old.txt"));
    await fsp.writeFile(path.join(dir, "new.txt"), "new");
    await emu.clearJournal();
    const next = await up(id, outs, args);
    expect(next.changed).toBe(true);
    expect(next.outs.uploadedFiles).toBe(1);
    expect(next.outs.fileCount).toBe(2);

    await emu.clearJournal();
    const configured = await up(id, next.outs, { ...args, config: { notFoundHandling: "single-page-application" } });
    expect(configured.changed).toBe(true);
    expect(configured.outs.uploadedFiles).toBe(0);
    expect(configured.outs.attachment.config).toEqual({ not_found_handling: "single-page-application" });
    expect((await sessions()).length).toBe(1); // a fresh completion token for the new config
    expect(await uploads()).toEqual([]);
  });

  it("moving the checkout is not a change when the directory is given relative to the project", async () => {
    const files = { "index.html": "same" };
    const a = await site(files);
    const b = await site(files);
    const cwd = process.cwd();
    try {
      process.chdir(path.dirname(a));
      const { id, outs } = await create({ namespace: NS, scriptName: "site-c", directory: path.basename(a) });
      expect(outs.directory).toBe(path.basename(a));
      await emu.clearJournal();
      // Same content elsewhere, under another name: a cheap update (no session) that records the new source.
      const moved = await up(id, outs, { namespace: NS, scriptName: "site-c", directory: b });
      expect(moved.changed).toBe(true);
      expect(moved.outs.digest).toBe(outs.digest);
      expect(moved.outs.attachment.source.directory).toBe(path.basename(b));
      expect(await emu.journal()).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  it("recovers from a session token refused mid-upload (401) by opening a fresh session", async () => {
    const dir = await site(manyFiles(2100, "refused")); // two buckets
    await emu.fault({ method: "POST", path: "*/workers/assets/upload", status: 401, count: 1, message: "Expired JWT" });
    const { outs } = await create({ namespace: NS, scriptName: "site-d", directory: dir, uploadConcurrency: 1 });
    expect(outs.uploadedFiles).toBe(2100);
    expect((await sessions()).length).toBe(2);
    const statuses = (await uploads()).map((e) => e.status);
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(201);
  });

  it("recovers in the same run when the last bucket answers without the completion JWT", async () => {
    const dir = await site({ "index.html": "<h1>withheld</h1>", "app.js": "console.log(1)" });
    await emu.fault({ method: "POST", path: "*/workers/assets/upload", withholdCompletionJwt: true, count: 0 });
    const { outs } = await create({ namespace: NS, scriptName: "site-withheld", directory: dir });
    expect(outs.uploadedFiles).toBe(2);
    // The second session lists nothing to upload: its JWT is the completion token.
    expect((await sessions()).map((e) => e.status)).toEqual([200, 200]);
    expect((await uploads()).map((e) => e.status)).toEqual([202]);
    expect(outs.attachment.completionToken).toBeTruthy();
  });

  it("recovers from a session JWT that really expired (short TTL)", async () => {
    // The emulator's clock jumps past the session token's 2 s lifetime as the first bucket arrives (the journal
    // records a request before it is handled), so the token has expired when the emulator checks it.
    let short: TestEmulator | undefined;
    const bucketArrived = () => short?.emu.emulator.journal.some((e) => e.path.endsWith("/workers/assets/upload")) ?? false;
    short = await startTestEmulator({ jwtTtlSeconds: 2, now: () => Date.now() + (bucketArrived() ? 3000 : 0) });
    const shortRun = short.providerRun();
    const onShort = driver<StaticAssetsInputs, StaticAssetsOutputs>(boundProviders(() => shortRun).StaticAssets);
    try {
      const res = await short.api("POST", "/dispatch/namespaces", { json: { name: NS } });
      expect(res.status).toBe(200);
      const dir = await site(manyFiles(20, "expired"));
      const { outs } = await onShort.create({ namespace: NS, scriptName: "site-e", directory: dir });
      expect(outs.uploadedFiles).toBe(20);
      const journal = await short.journal();
      expect(journal.filter((e) => e.path.endsWith("/assets-upload-session")).length).toBeGreaterThanOrEqual(2);
      expect(journal.some((e) => e.path.endsWith("/workers/assets/upload") && e.status === 401)).toBe(true);
    } finally {
      await short.close();
    }
  });

  it("a 429 in the middle of the buckets is retried after Retry-After and completes", async () => {
    const dir = await site(manyFiles(4100, "throttled")); // three buckets: 2000, 2000, 100
    const waits = recordWaits(emu);
    await emu.fault({ method: "POST", path: "*/workers/assets/upload", status: 429, retryAfter: 1, count: 1, after: 1 });
    const { outs } = await create({ namespace: NS, scriptName: "site-f", directory: dir, uploadConcurrency: 1 });
    expect(waits, "the advertised second").toEqual([1000]);
    expect(outs.uploadedFiles).toBe(4100);
    expect((await uploads()).map((e) => e.status)).toEqual([202, 429, 202, 201]);
    expect((await sessions()).length).toBe(1);
    expect((await blobs()).length).toBeGreaterThanOrEqual(4100);
  });

  it("two tenants with the same file and different salts both upload it; without salts the second reuses it", async () => {
    await createNamespace("tenants-ns");
    const dir = await site({ "logo.svg": "<svg/>", "index.html": "shared" });
    const t1 = await create({ namespace: "tenants-ns", scriptName: "t1", directory: dir, isolationSalt: "tenant-1" });
    const t2 = await create({ namespace: "tenants-ns", scriptName: "t2", directory: dir, isolationSalt: "tenant-2" });
    expect(t1.outs.uploadedFiles).toBe(2);
    expect(t2.outs.uploadedFiles).toBe(2);
    expect(t1.outs.digest).not.toBe(t2.outs.digest);
    expect((await blobs("tenants-ns")).length).toBe(4);
    // The emulator reuses a hash it cannot recompute (a salted one) only for the scripts that uploaded its bytes:
    // another script with tenant-1's salt sends them again, and they join the blobs already there.
    const t3 = await create({ namespace: "tenants-ns", scriptName: "t3", directory: dir, isolationSalt: "tenant-1" });
    expect(t3.outs.uploadedFiles).toBe(2);
    expect((await blobs("tenants-ns")).length).toBe(4);
    const t1Again = await create({ namespace: "tenants-ns", scriptName: "t1", directory: dir, isolationSalt: "tenant-1" });
    expect(t1Again.outs.uploadedFiles).toBe(0);
  });

  it("read returns the stored outputs while the namespace exists and {} once it is gone", async () => {
    await createNamespace("doomed-ns");
    const dir = await site({ "index.html": "x" });
    const { id, outs } = await create({ namespace: "doomed-ns", scriptName: "s", directory: dir });
    const read = await provider.read!(id, outs);
    expect(read.id).toBe(id);
    expect(read.props).toEqual(outs);
    expect(read.inputs).toMatchObject({ namespace: "doomed-ns", scriptName: "s", digest: outs.digest });
    expect((read.inputs as Record<string, unknown>).attachment).toBeUndefined();
    expect((await emu.api("DELETE", "/dispatch/namespaces/doomed-ns")).status).toBe(200);
    expect(await provider.read!(id, outs)).toEqual({});
    await expect(provider.delete!(id, outs)).resolves.toBeUndefined();
  });

  it("a missing namespace fails check on namespace, and create (gone since) with an error naming the resource", async () => {
    const dir = await site({ "index.html": "x" });
    const news = { namespace: "no-such-ns", scriptName: "s", directory: dir };
    expect((await provider.check!({}, news)).failures).toEqual([
      { property: "namespace", reason: expect.stringContaining('names no dispatch namespace of the account ("no-such-ns")') },
    ]);
    await createNamespace("no-such-ns");
    const inputs = await check(news);
    expect((await emu.api("DELETE", "/dispatch/namespaces/no-such-ns")).status).toBe(200);
    await expect(provider.create(inputs)).rejects.toThrow(/StaticAssets "no-such-ns\/s": open assets upload session failed/);
  });
});

describe("prepareAssetsForDeploy", () => {
  const api = () => emu.client();
  const expiredJwt = () => `e30.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) - 60 })).toString("base64url")}.sig`;

  async function putScript(script: string, assets: Record<string, unknown>) {
    const form = new FormData();
    form.append(
      "metadata",
      new Blob([JSON.stringify({ main_module: "index.js", compatibility_date: "2025-01-01", assets })], { type: "application/json" }),
    );
    form.append(
      "index.js",
      new File(["export default { fetch() { return new Response('x') } }"], "index.js", { type: "application/javascript+module" }),
    );
    return emu.api("PUT", `/dispatch/namespaces/${NS}/scripts/${script}`, { body: form });
  }

  it("returns a fresh stored token without any API call", async () => {
    const dir = await site({ "index.html": "fresh" });
    const { outs } = await create({ namespace: NS, scriptName: "p1", directory: dir });
    await emu.clearJournal();
    const prepared = await prepareAssetsForDeploy(api(), emu.run.assets, { namespace: NS, script: "p1" }, outs.attachment);
    expect(prepared.jwt).toBe(outs.attachment.completionToken);
    expect(await emu.journal()).toEqual([]);
    expect((await putScript("p1", { jwt: prepared.jwt, config: prepared.config })).status).toBe(200);
  });

  it("with an expired token, opens a fresh session (nothing to upload) and returns a token the script PUT accepts", async () => {
    const dir = await site({ "index.html": "later", "app.js": "1" });
    const { outs } = await create({ namespace: NS, scriptName: "p2", directory: dir });
    await emu.clearJournal();
    const stale = { ...outs.attachment, completionToken: expiredJwt() };
    const prepared = await prepareAssetsForDeploy(api(), emu.run.assets, { namespace: NS, script: "p2" }, stale);
    expect(prepared.jwt).not.toBe(stale.completionToken);
    expect(prepared.config).toEqual(outs.attachment.config);
    expect((await sessions()).length).toBe(1);
    expect(await uploads()).toEqual([]);
    expect((await putScript("p2", { jwt: prepared.jwt, config: prepared.config })).status).toBe(200);
    const script = (await emu.state()).accounts[ACCOUNT_ID].namespaces[NS].scripts.p2;
    expect(Object.keys(script.assets.manifest).sort()).toEqual(["/app.js", "/index.html"]);
  });

  it("refuses when the directory changed since StaticAssets ran and the token expired", async () => {
    const dir = await site({ "index.html": "v1" });
    const { outs } = await create({ namespace: NS, scriptName: "p3", directory: dir });
    await fsp.writeFile(path.join(dir, "index.html"), "v2");
    await emu.clearJournal();
    await expect(
      prepareAssetsForDeploy(api(), emu.run.assets, { namespace: NS, script: "p3" }, { ...outs.attachment, completionToken: undefined }),
    ).rejects.toThrow(/changed since StaticAssets last ran.*Run `pulumi up` again/);
    expect(await assetCalls()).toEqual([]);
  });
});

describe("one manifest per run", () => {
  /** Walks of `dir` from here on (the directory listing of a manifest build). */
  function countWalks(dir: string): () => number {
    const spy = vi.spyOn(walk, "walkTree");
    onTestFinished(() => spy.mockRestore());
    return () => spy.mock.calls.filter(([root]) => root === dir).length;
  }
  const expired = () => `e30.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) - 60 })).toString("base64url")}.sig`;
  const script = driver<UserScriptInputs, UserScriptOutputs>(userScriptProvider);

  it("check's manifest serves the upload, and a later run's fresh session when the token has expired", async () => {
    const dir = await site({ "index.html": "walked once", "app.js": "console.log('once')" });
    const walks = countWalks(dir);
    const args = { namespace: NS, scriptName: "w1", directory: dir };
    const { id, outs } = await create(args); // run 1: check, then the upload
    expect(walks()).toBe(1);

    // Run 2, hours later: the site is unchanged and the stored token has expired.
    clearHashCache();
    expect((await up(id, outs, args)).changed).toBe(false); // check walks once more
    await emu.clearJournal();
    await script.create({
      namespace: NS,
      name: "w1",
      modules: [{ name: "index.js", content: "export default { fetch(r, env) { return env.ASSETS.fetch(r) } }" }],
      compatibilityDate: "2025-06-01",
      bindings: [{ name: "ASSETS", type: "assets" }],
      assets: { ...outs.attachment, completionToken: expired() },
    });
    expect((await sessions()).length).toBe(1); // a fresh session, from the manifest check made
    expect(await uploads()).toEqual([]);
    expect(walks()).toBe(2);
  });
});
