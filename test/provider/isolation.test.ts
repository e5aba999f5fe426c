/**
 * Tenant isolation of static assets in a shared namespace: with per-tenant salts (StaticAssets
 * `isolationSalt`, which Tenant sets to the tenant id) one tenant's upload session never reports another
 * tenant's blobs as already present, so a tenant can neither reuse nor probe for another's files. And the same
 * bytes under different extensions never share a blob (the extension is part of the hash, so each keeps its
 * own content type).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { buildManifest, clearHashCache } from "../../provider/assets/manifest";
import type { StaticAssetsInputs, StaticAssetsOutputs } from "../../provider/resources/static-assets";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID } from "../helpers/emulator";
import { tempDir, writeTree } from "../helpers/files";
import { useEmulator } from "../helpers/provider";

const NS = "isolation-ns";
const tmpRoot = tempDir("isolation");
const emu = useEmulator({ namespaces: [NS] });
const { StaticAssets: staticAssetsProvider } = emu.providers;
const assets = driver<StaticAssetsInputs, StaticAssetsOutputs>(staticAssetsProvider);

/** The same public files every tenant ships (think of a shared theme). */
const SHARED = {
  "index.html": "<h1>welcome</h1>\n",
  "app.js": "console.log('shared bundle');\n",
  "logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
};

const site = (files: Record<string, string>) => writeTree(tmpRoot, files);

async function deployAssets(scriptName: string, directory: string, isolationSalt?: string): Promise<StaticAssetsOutputs> {
  return (await assets.create({ namespace: NS, scriptName, directory, ...(isolationSalt !== undefined ? { isolationSalt } : {}) })).outs;
}

/** Opens an upload session as the provider would, and returns the hashes the server says it lacks. */
async function sessionBuckets(
  scriptName: string,
  directory: string,
  isolationSalt?: string,
): Promise<{ hashes: string[]; missing: string[] }> {
  const manifest = await buildManifest({ directory, isolationSalt, useCache: false });
  const body = { manifest: Object.fromEntries(manifest.files.map((f) => [f.path, { hash: f.hash, size: f.size }])) };
  const res = await emu.api("POST", `/dispatch/namespaces/${NS}/scripts/${scriptName}/assets-upload-session`, { json: body });
  expect(res.status).toBe(200);
  const { result } = res.body as { result: { buckets: string[][] } };
  return { hashes: manifest.files.map((f) => f.hash).sort(), missing: result.buckets.flat().sort() };
}

const blobsOf = async (): Promise<string[]> => (await emu.state()).accounts[ACCOUNT_ID].namespaces[NS].blobs;
const uploads = async () => (await emu.journal()).filter((e) => e.path.endsWith("/workers/assets/upload"));

beforeEach(() => clearHashCache());

describe("per-tenant salts isolate uploads in a shared namespace", () => {
  it("without salts (the control), B's session reports A's identical files as present: the leak salts prevent", async () => {
    const a = await site(SHARED);
    const b = await site(SHARED);
    await deployAssets("tenant-a", a);
    const session = await sessionBuckets("tenant-b", b);
    expect(session.missing).toEqual([]);
  });

  it("tenant B's session never reports tenant A's blobs as present, and B uploads every file itself", async () => {
    const a = await site(SHARED);
    const b = await site(SHARED);
    const outA = await deployAssets("tenant-a", a, "tenant-a");
    expect(outA.uploadedFiles).toBe(3);
    const blobsA = await blobsOf();
    expect(blobsA).toHaveLength(3);

    // B's session, opened by hand: every hash of B's manifest is in a bucket, none is A's.
    const session = await sessionBuckets("tenant-b", b, "tenant-b");
    expect(session.missing).toEqual(session.hashes);
    expect(session.hashes.filter((h) => blobsA.includes(h))).toEqual([]);

    // And through the provider: B uploads its 3 files (journal: a bucket POST carried them), now 6 blobs.
    await emu.clearJournal();
    const outB = await deployAssets("tenant-b", b, "tenant-b");
    expect(outB.uploadedFiles).toBe(3);
    expect((await uploads()).filter((e) => e.status === 201 || e.status === 202).length).toBeGreaterThan(0);
    const blobsAfter = await blobsOf();
    expect(blobsAfter).toHaveLength(6);

    // The other way round: A's fresh session (same salt, same files) finds only its own blobs, never B's.
    const again = await sessionBuckets("tenant-a", a, "tenant-a");
    expect(again.missing).toEqual([]);
    expect(again.hashes).toEqual(blobsA);
    const bOnly = blobsAfter.filter((h) => !blobsA.includes(h));
    expect(again.hashes.filter((h) => bOnly.includes(h))).toEqual([]);
  });

  it("a tenant cannot probe for another tenant's file by guessing its contents", async () => {
    // A uploads a private file; B builds a manifest with the exact bytes it guesses, under its own salt.
    const secret = { "invoice-2024.pdf": "%PDF-1.7 acme confidential\n" };
    await deployAssets("tenant-a", await site(secret), "tenant-a");
    const probe = await sessionBuckets("tenant-b", await site(secret), "tenant-b");
    expect(probe.missing).toEqual(probe.hashes); // "missing": the session reveals nothing about A
  });
});

describe("the same bytes under different extensions", () => {
  it("are different blobs, each with its own content type", async () => {
    const bytes = "same bytes\n";
    const dir = await site({ "a.txt": bytes, "a.html": bytes, "a.css": bytes, "b.txt": bytes });
    const out = await deployAssets("ext", dir, "tenant-a");
    // a.txt and b.txt share a blob (same bytes, same extension); .html and .css each get their own.
    expect(out.uploadedFiles).toBe(3);
    const state = (await emu.state()).accounts[ACCOUNT_ID].namespaces[NS];
    expect(state.blobs).toHaveLength(3);
    const types = Object.values(state.blob_content_types as Record<string, string>)
      .map((t) => t.split(";")[0])
      .sort();
    expect(types).toEqual(["text/css", "text/html", "text/plain"]);
    const manifest = await buildManifest({ directory: dir, isolationSalt: "tenant-a", useCache: false });
    const byPath = Object.fromEntries(manifest.files.map((f) => [f.path, f.hash]));
    expect(new Set([byPath["/a.txt"], byPath["/a.html"], byPath["/a.css"]]).size).toBe(3);
    expect(byPath["/a.txt"]).toBe(byPath["/b.txt"]);
  });
});
