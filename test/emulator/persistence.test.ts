/** Persistence across restarts with a data directory, and the `wfp-emulator` command. */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator/index";
import { optionsFromArgs } from "../../emulator/cli";
import { ACCOUNT, assetHash, scriptForm } from "../helpers/emulator-api";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "wfp-emu-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const auth = { authorization: "Bearer local-dev-token" };

/** Opens an assets upload session for `script` (a path under `/workers`); returns its result. */
async function openSession(base: string, script: string, manifest: Record<string, { hash: string; size: number }>): Promise<any> {
  const r = await fetch(`${base}${script}/assets-upload-session`, { method: "POST", headers: auth, body: JSON.stringify({ manifest }) });
  return (await r.json()).result;
}

/** Uploads one file with a session JWT; returns the completion JWT. */
async function uploadOne(base: string, jwt: string, content: string): Promise<string> {
  const fd = new FormData();
  fd.append(assetHash(content), new File([Buffer.from(content).toString("base64")], assetHash(content), { type: "text/plain" }));
  const up = await fetch(`${base}/assets/upload?base64=true`, { method: "POST", headers: { authorization: `Bearer ${jwt}` }, body: fd });
  expect(up.status).toBe(201);
  return (await up.json()).result.jwt;
}

describe("persistence", () => {
  test("namespaces, scripts, secrets, tags and asset blobs survive a restart; upload JWTs stay valid", async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, rateLimit: false });
    let base = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
    await fetch(`${base}/dispatch/namespaces`, { method: "POST", headers: auth, body: JSON.stringify({ name: "persist" }) });
    const put = await fetch(`${base}/dispatch/namespaces/persist/scripts/app`, {
      method: "PUT",
      headers: auth,
      body: scriptForm({
        main_module: "worker.mjs",
        tags: ["t1"],
        bindings: [{ name: "SECRET", type: "secret_text", text: "kept-value" }],
      }),
    });
    const before = (await put.json()).result;
    const content = "persisted asset";
    const manifest = { "/a.txt": { hash: assetHash(content), size: content.length } };
    const sess = await openSession(base, "/dispatch/namespaces/persist/scripts/app", manifest);
    const completion = await uploadOne(base, sess.jwt, content);

    // Atomic layout on disk: state.json and a blob named by hash; no temporary files left behind.
    expect(existsSync(join(dataDir, "state.json"))).toBe(true);
    const nsId = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")).accounts[ACCOUNT].namespaces;
    const id = Object.keys(nsId)[0]!;
    expect(readdirSync(join(dataDir, "blobs", id))).toEqual([assetHash(content)]);
    expect(readdirSync(dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    await emu.close();

    emu = await startEmulator({ port: 0, dataDir, rateLimit: false });
    base = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
    try {
      const got = (await (await fetch(`${base}/dispatch/namespaces/persist/scripts/app`, { headers: auth })).json()).result.script;
      expect(got).toMatchObject({ tag: before.tag, etag: before.etag, tags: ["t1"] });
      const secrets = (await (await fetch(`${base}/dispatch/namespaces/persist/scripts/app/secrets`, { headers: auth })).json()).result;
      expect(secrets).toEqual([{ name: "SECRET", type: "secret_text" }]);
      // The blob is still deduped, and the completion token issued before the restart still works.
      const again = await openSession(base, "/dispatch/namespaces/persist/scripts/app", manifest);
      expect(again.buckets).toEqual([]);
      const withAssets = await fetch(`${base}/dispatch/namespaces/persist/scripts/app`, {
        method: "PUT",
        headers: auth,
        body: scriptForm({ main_module: "worker.mjs", keep_bindings: ["secret_text"], assets: { jwt: completion } }),
      });
      expect(withAssets.status).toBe(200);
      expect((await withAssets.json()).result.has_assets).toBe(true);
      const blob = await emu.emulator.ctx.store.readBlob(id, assetHash(content));
      expect(blob?.toString()).toBe(content);
    } finally {
      await emu.close();
    }
  });

  test("account-level Workers, their subdomain and their asset blobs survive a restart", async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, rateLimit: false });
    const base = () => `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
    const content = "dispatcher asset";
    const hash = assetHash(content);
    const sess = await openSession(base(), "/scripts/edge", { "/a": { hash, size: content.length } });
    const jwt = await uploadOne(base(), sess.jwt, content);
    expect(
      (
        await fetch(`${base()}/scripts/edge`, {
          method: "PUT",
          headers: auth,
          body: scriptForm({ main_module: "worker.mjs", assets: { jwt } }),
        })
      ).status,
    ).toBe(200);
    await fetch(`${base()}/scripts/edge/subdomain`, { method: "POST", headers: auth, body: JSON.stringify({ enabled: true }) });
    await emu.close();
    emu = await startEmulator({ port: 0, dataDir, rateLimit: false });
    try {
      expect((await (await fetch(`${base()}/scripts/edge/subdomain`, { headers: auth })).json()).result).toEqual({
        enabled: true,
        previews_enabled: true,
      });
      expect((await emu.emulator.ctx.store.readBlob(`account-${ACCOUNT}`, hash))?.toString()).toBe(content);
    } finally {
      await emu.close();
    }
  });

  test("an upload session stored under its earlier field name (namespaceId) still takes its upload", async () => {
    const dataDir = tempDir();
    let emu = await startEmulator({ port: 0, dataDir, rateLimit: false });
    let base = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
    await fetch(`${base}/dispatch/namespaces`, { method: "POST", headers: auth, body: JSON.stringify({ name: "older" }) });
    const content = "stored by an older emulator";
    const sess = await openSession(base, "/dispatch/namespaces/older/scripts/app", {
      "/a.txt": { hash: assetHash(content), size: content.length },
    });
    await emu.close();
    const file = join(dataDir, "state.json");
    const state = JSON.parse(readFileSync(file, "utf8"));
    for (const s of Object.values(state.sessions) as Array<Record<string, unknown>>)
      [s.namespaceId, s.containerId] = [s.containerId, undefined];
    writeFileSync(file, JSON.stringify(state));
    emu = await startEmulator({ port: 0, dataDir, rateLimit: false });
    try {
      base = `${emu.apiBase}/accounts/${ACCOUNT}/workers`;
      expect(await uploadOne(base, sess.jwt, content)).toMatch(/^ey/);
    } finally {
      await emu.close();
    }
  });

  test("a change whose state.json cannot be replaced is refused and undone; the next change is written", async () => {
    const dataDir = tempDir();
    const emu = await startEmulator({ port: 0, dataDir, validateUploads: false });
    try {
      const namespaces = `${emu.apiBase}/accounts/${ACCOUNT}/workers/dispatch/namespaces`;
      const create = (name: string) => fetch(namespaces, { method: "POST", headers: auth, body: JSON.stringify({ name }) });
      expect((await create("kept")).status).toBe(200);
      // state.json turned into a directory with something in it: the rename over it fails.
      const file = join(dataDir, "state.json");
      rmSync(file);
      mkdirSync(join(file, "in-the-way"), { recursive: true });
      const refused = await create("lost");
      expect(refused.status).toBe(500);
      expect(await refused.text()).toMatch(/EISDIR: illegal operation on a directory, rename/);
      rmSync(file, { recursive: true });
      expect((await create("after")).status).toBe(200);
      const names = (await (await fetch(namespaces, { headers: auth })).json()).result.map(
        (n: { namespace_name: string }) => n.namespace_name,
      );
      expect(names.sort()).toEqual(["after", "kept"]);
      const persisted = JSON.parse(readFileSync(file, "utf8")).accounts[ACCOUNT].namespaces;
      expect(
        Object.values(persisted)
          .map((n: any) => n.name)
          .sort(),
      ).toEqual(["after", "kept"]);
      expect(readdirSync(dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      await emu.close();
    }
  });

  test("malformed persisted state is reported, not silently discarded", async () => {
    const dataDir = tempDir();
    const emu = await startEmulator({ port: 0, dataDir });
    await emu.close();
    writeFileSync(join(dataDir, "state.json"), "{broken");
    await expect(startEmulator({ port: 0, dataDir })).rejects.toThrow();
  });
});

describe("wfp-emulator command", () => {
  test("flags map to options", () => {
    expect(
      optionsFromArgs([
        "--port",
        "0",
        "--host",
        "0.0.0.0",
        "--token",
        "a",
        "--token=b",
        "--data-dir",
        "/tmp/x",
        "--rate-limit",
        "10/2s",
        "--rate-limit-block",
        "5",
        "--namespace-delete",
        "reject",
        "--jwt-ttl",
        "60",
        "--max-asset-files",
        "100000",
        "--max-tags",
        "10",
        "--missing-script-code",
        "10007",
        "--plan",
        "free",
      ]),
    ).toEqual({
      port: 0,
      host: "0.0.0.0",
      tokens: ["a", "b"],
      dataDir: "/tmp/x",
      rateLimit: { limit: 10, windowMs: 2000, blockMs: 5000 },
      namespaceDelete: "reject",
      jwtTtlSeconds: 60,
      maxAssetFiles: 100000,
      maxTagsPerScript: 10,
      missingScriptCode: 10007,
      plan: "free",
    });
    expect(optionsFromArgs(["--no-rate-limit"]).rateLimit).toBe(false);
    expect(optionsFromArgs(["--rate-limit-block", "7"]).rateLimit).toEqual({ limit: 1200, windowMs: 300_000, blockMs: 7000 });
    expect(optionsFromArgs([])).toEqual({ port: 8787 });
  });

  test("prints `listening on` first, serves the API, persists and exits 0 on SIGTERM", { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [CLI, "--port", "0", "--token", "cli-token", "--data-dir", dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = await listening(child);
    const res = await fetch(`${url}/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces`, {
      method: "POST",
      headers: { authorization: "Bearer cli-token" },
      body: JSON.stringify({ name: "from-cli" }),
    });
    expect(res.status).toBe(200);
    const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8"));
    expect(Object.values(state.accounts[ACCOUNT].namespaces).map((n: any) => n.name)).toEqual(["from-cli"]);
    // --help prints the flags and exits 0; an unknown flag exits 2 with the help on stderr.
    const run = promisify(execFile);
    expect((await run(process.execPath, [CLI, "--help"])).stdout).toMatch(/--missing-script-code/);
    const bad = await run(process.execPath, [CLI, "--bogus"]).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/bogus[\s\S]*Usage: wfp-emulator/) });
  });

  test("an acknowledged KV write survives kill -9; node:sqlite's ExperimentalWarning is not printed", { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [CLI, "--port", "0", "--token", "cli-token", "--data-dir", dataDir, "--no-validate-uploads"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const gone = new Promise((r) => child.once("exit", r));
    const api = `${await listening(child)}/client/v4/accounts/${ACCOUNT}/storage/kv/namespaces`;
    const headers = { authorization: "Bearer cli-token" };
    const created = await fetch(api, { method: "POST", headers, body: JSON.stringify({ title: "durable" }) });
    const id = (await created.json()).result.id as string;
    const value = randomBytes(3 * 1024 * 1024);
    const small = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    expect((await fetch(`${api}/${id}/values/big`, { method: "PUT", headers, body: value })).status).toBe(200);
    expect((await fetch(`${api}/${id}/bulk`, { method: "PUT", headers, body: JSON.stringify(small) })).status).toBe(200);
    child.kill("SIGKILL");
    await gone;
    expect(stderr).not.toMatch(/ExperimentalWarning/);
    const emu = await startEmulator({ port: 0, dataDir, tokens: ["cli-token"], rateLimit: false, validateUploads: false });
    try {
      const base = `${emu.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces/${id}`;
      const big = await fetch(`${base}/values/big`, { headers });
      expect(Buffer.from(await big.arrayBuffer()).equals(value)).toBe(true);
      const keys = (await (await fetch(`${base}/keys`, { headers })).json()).result as Array<{ name: string }>;
      expect(keys.map((k) => k.name).sort()).toEqual([...small.map((s) => s.key), "big"].sort());
    } finally {
      await emu.close();
    }
  });
});

/** The emulator's command as the package runs it: compiled in dist/, which the suite's globalSetup keeps current. */
const CLI = join(resolve(__dirname, "../.."), "dist", "emulator", "cli.js");

/** The URL of a spawned emulator, from its first stdout line (`listening on URL`). */
async function listening(child: ReturnType<typeof spawn>): Promise<string> {
  const firstLine = await new Promise<string>((res, rej) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) res(buf.split("\n")[0]!);
    });
    child.once("exit", (code) => rej(new Error(`exited early with ${code}`)));
  });
  expect(firstLine).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
  return firstLine.slice("listening on ".length);
}
