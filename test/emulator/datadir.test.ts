/**
 * The data directory under attack and after crashes: one emulator at a time, private modes, what a SIGKILL leaves
 * behind, a write that fails, and asset sets stored before the layout rules (emulator/model/asset-paths.ts).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/index";
import { ACCOUNT, assetHash, scriptForm } from "../helpers/emulator-api";

/** The API alone: loading uploads on workerd (validateUploads) is the runtime's, tested there. */
const API_ONLY = { rateLimit: false, validateUploads: false } as const;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "wfp-dd-"));
  dirs.push(d);
  return d;
}

const auth = { authorization: "Bearer local-dev-token" };
const workers = (emu: RunningEmulator) => `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
const createNamespace = (emu: RunningEmulator, name: string) =>
  fetch(`${workers(emu)}/dispatch/namespaces`, { method: "POST", headers: auth, body: JSON.stringify({ name }) });
const namespaceNames = async (emu: RunningEmulator): Promise<string[]> =>
  ((await (await fetch(`${workers(emu)}/dispatch/namespaces`, { headers: auth })).json()).result as Array<{ namespace_name: string }>)
    .map((n) => n.namespace_name)
    .sort();

/** A deployed site: one namespace, one script with one asset; returns the container id and the asset's hash. */
async function deploySite(emu: RunningEmulator, ns: string, content: string): Promise<{ id: string; hash: string }> {
  await createNamespace(emu, ns);
  const hash = assetHash(content);
  const path = `${workers(emu)}/dispatch/namespaces/${ns}/scripts/site`;
  const sess = await fetch(`${path}/assets-upload-session`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ manifest: { "/a": { hash, size: content.length } } }),
  });
  const { jwt } = (await sess.json()).result;
  const fd = new FormData();
  fd.append(hash, Buffer.from(content).toString("base64"));
  const up = await fetch(`${workers(emu)}/assets/upload?base64=true`, {
    method: "POST",
    headers: { authorization: `Bearer ${jwt}` },
    body: fd,
  });
  const completion = (await up.json()).result.jwt;
  const put = await fetch(path, {
    method: "PUT",
    headers: auth,
    body: scriptForm({ main_module: "worker.mjs", assets: { jwt: completion } }),
  });
  expect(put.status).toBe(200);
  const state = await (await fetch(`${emu.url}/__emulator/state`)).json();
  return { id: state.accounts[ACCOUNT].namespaces[ns].id, hash };
}

describe("one emulator per data directory", () => {
  test("a second emulator on the same directory fails naming it and the holder's pid; after close it starts", async () => {
    const dataDir = tempDir();
    const first = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    await expect(startEmulator({ port: 0, dataDir, ...API_ONLY })).rejects.toThrow(new RegExp(`${dataDir}.*in use.*pid ${process.pid}`));
    expect((await createNamespace(first, "kept")).status).toBe(200);
    await first.close();
    const second = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    try {
      expect(await namespaceNames(second)).toEqual(["kept"]);
    } finally {
      await second.close();
    }
  });

  test("a lock held by another live process refuses; a stale one (its process gone) is taken over", async () => {
    const dataDir = tempDir();
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      writeFileSync(join(dataDir, "wfp-emulator.lock"), `${holder.pid}\n`);
      await expect(startEmulator({ port: 0, dataDir, ...API_ONLY })).rejects.toThrow(
        new RegExp(`in use by another wfp-emulator \\(pid ${holder.pid}\\)`),
      );
    } finally {
      const gone = new Promise((r) => holder.once("exit", r));
      holder.kill("SIGKILL");
      await gone;
    }
    const emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    try {
      expect(readFileSync(join(dataDir, "wfp-emulator.lock"), "utf8").trim()).toBe(String(process.pid));
    } finally {
      await emu.close();
    }
    expect(existsSync(join(dataDir, "wfp-emulator.lock"))).toBe(false);
  });
});

describe("modes and leftovers", () => {
  test("directories 0700 and files 0600, an older 0644 state.json included", async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    const { id, hash } = await deploySite(emu, "modes", "private bytes");
    await emu.close();
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, "state.json"))).toBe(0o600);
    expect(mode(join(dataDir, "blobs"))).toBe(0o700);
    expect(mode(join(dataDir, "blobs", id))).toBe(0o700);
    expect(mode(join(dataDir, "blobs", id, hash))).toBe(0o600);
    const { chmodSync } = await import("node:fs");
    chmodSync(join(dataDir, "state.json"), 0o644);
    chmodSync(dataDir, 0o755);
    emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    await emu.close();
    expect(mode(join(dataDir, "state.json"))).toBe(0o600);
    expect(mode(dataDir)).toBe(0o700);
  });

  test("temporary files and blobs no state refers to are removed at start; referenced blobs stay", async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    const { id, hash } = await deploySite(emu, "leftovers", "kept bytes");
    await emu.close();
    // What a SIGKILL mid-write leaves: temporary files, a blob written but never recorded, a deleted namespace's dir.
    writeFileSync(join(dataDir, `.state.json.999.0.tmp`), "{");
    writeFileSync(join(dataDir, "blobs", id, `.${"f".repeat(32)}.999.1.tmp`), "x");
    writeFileSync(join(dataDir, "blobs", id, "e".repeat(32)), "orphan");
    mkdirSync(join(dataDir, "blobs", "gone-namespace"));
    writeFileSync(join(dataDir, "blobs", "gone-namespace", "d".repeat(32)), "orphan");
    emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    try {
      expect(readdirSync(dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      expect(readdirSync(join(dataDir, "blobs"))).toEqual([id]);
      expect(readdirSync(join(dataDir, "blobs", id))).toEqual([hash]);
      expect((await emu.emulator.ctx.store.readBlob(id, hash))?.toString()).toBe("kept bytes");
    } finally {
      await emu.close();
    }
  });
});

describe("a write that cannot be persisted changes nothing", () => {
  test("state.json unwritable: 500, the change is not in memory; once writable again, writes persist", async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    try {
      expect((await createNamespace(emu, "before")).status).toBe(200);
      // A non-empty directory where state.json goes: the rename fails.
      rmSync(join(dataDir, "state.json"));
      mkdirSync(join(dataDir, "state.json", "blocker"), { recursive: true });
      const failed = await createNamespace(emu, "lost");
      expect(failed.status).toBe(500);
      expect(await namespaceNames(emu)).toEqual(["before"]);
      expect(readdirSync(dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      rmSync(join(dataDir, "state.json"), { recursive: true });
      expect((await createNamespace(emu, "after")).status).toBe(200);
      await emu.close();
      emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
      expect(await namespaceNames(emu)).toEqual(["after", "before"]);
    } finally {
      await emu.close();
    }
  });
});

describe("asset sets stored before the layout rules", () => {
  test("a stored manifest with '/a' and '/a/b' is dropped with a warning; the Workers runtime starts and serves the rest", {
    timeout: 60_000,
  }, async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, ...API_ONLY });
    await deploySite(emu, "broken", "bytes");
    await deploySite(emu, "fine", "fine bytes");
    await emu.close();
    const file = join(dataDir, "state.json");
    const state = JSON.parse(readFileSync(file, "utf8"));
    const broken = Object.values(state.accounts[ACCOUNT].namespaces).find((n: any) => n.name === "broken") as any;
    const manifest = broken.scripts.site.assets.manifest;
    manifest["/a/b"] = manifest["/a"];
    writeFileSync(file, JSON.stringify(state));
    const warn = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      emu = await startEmulator({ port: 0, dataDir, rateLimit: false, workersPort: 0, validateUploads: false });
      expect(warn.mock.calls.map(([m]) => String(m)).join("")).toMatch(
        /broken\/site: stored assets dropped.*'\/a' is both a file and a directory/,
      );
    } finally {
      warn.mockRestore();
    }
    try {
      const snap = await (await fetch(`${emu.url}/__emulator/state`)).json();
      expect(snap.accounts[ACCOUNT].namespaces.broken.scripts.site.has_assets).toBe(false);
      expect(snap.accounts[ACCOUNT].namespaces.fine.scripts.site.has_assets).toBe(true);
      expect(emu.workersUrl).toMatch(/^http:/);
    } finally {
      await emu.close();
    }
  });
});
