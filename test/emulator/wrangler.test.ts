/**
 * The official client against the default emulator (no options but a free port): `wrangler deploy
 * --dispatch-namespace` of a Worker with static assets, first deploy and re-deploy. wrangler is installed on demand,
 * pinned, outside the clone (bench/wrangler.ts), so a fresh CI machine gets it too.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureWrangler } from "../../bench/wrangler";
import { type RunningEmulator, startEmulator } from "../../emulator/index";
import { operator } from "../helpers/emulator";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const TOKEN = "local-dev-token"; // the emulator's default token
const NS = "wrangler-ns";
const SCRIPT = "site";

let cli: string;
let emu: RunningEmulator;
let dir: string;

beforeAll(async () => {
  cli = await ensureWrangler();
  emu = await startEmulator({ port: 0 });
  dir = mkdtempSync(path.join(tmpdir(), "wfp-wrangler-"));
  mkdirSync(path.join(dir, "public"));
  writeFileSync(path.join(dir, "worker.js"), "export default { async fetch(req, env) { return env.ASSETS.fetch(req); } };\n");
  writeFileSync(path.join(dir, "public", "index.html"), "<h1>home</h1>\n");
  writeFileSync(path.join(dir, "public", "style.css"), "body { color: teal; }\n");
  writeFileSync(
    path.join(dir, "wrangler.json"),
    JSON.stringify({
      name: SCRIPT,
      main: "worker.js",
      compatibility_date: "2025-06-01",
      account_id: ACCOUNT,
      assets: { directory: "public", binding: "ASSETS" },
    }),
  );
  // wrangler does not create the namespace.
  const created = await fetch(`${emu.apiBase}/accounts/${ACCOUNT}/workers/dispatch/namespaces`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: NS }),
  });
  expect(created.status).toBe(200);
}, 600_000);

afterAll(async () => {
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function deploy(): Promise<string> {
  const env = {
    ...process.env,
    CLOUDFLARE_API_BASE_URL: emu.apiBase,
    CLOUDFLARE_API_TOKEN: TOKEN,
    CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_LOG_PATH: path.join(dir, "logs"),
    XDG_CONFIG_HOME: path.join(dir, "config"),
    CI: "true",
  };
  try {
    const r = await promisify(execFile)(process.execPath, [cli, "deploy", "--dispatch-namespace", NS], {
      cwd: dir,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return r.stdout + r.stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`wrangler deploy failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

const op = () => operator(emu.url);
const probe = (path: string) => path === `/client/v4/accounts/${ACCOUNT}/workers/dispatch/namespaces/${NS}/scripts/${SCRIPT}`;

// The re-deploy builds on the first deploy: the order holds under --sequence.shuffle.
describe("wrangler deploy --dispatch-namespace against the default emulator", { shuffle: false }, () => {
  test("first deploy: the probe's 10092 reads as new; script, assets binding and files land", { timeout: 180_000 }, async () => {
    await op().clearJournal();
    await deploy();
    const journal = await op().journal();
    expect(journal.find((e) => e.method === "GET" && probe(e.path))?.status).toBe(404);
    expect(journal.filter((e) => e.method === "POST" && e.path.endsWith("/workers/assets/upload")).map((e) => e.status)).toContain(201);
    const ns = await op().namespace(NS);
    const s = ns.scripts[SCRIPT];
    expect(s).toMatchObject({ has_assets: true, has_modules: true });
    expect(Object.keys(s.assets.manifest).sort()).toEqual(["/index.html", "/style.css"]);
    expect(s.bindings).toContainEqual({ name: "ASSETS", type: "assets" });
    expect(ns.blobs).toHaveLength(2);
  });

  test("re-deploy with one file changed: the probe finds the script, only that file is uploaded", { timeout: 180_000 }, async () => {
    const before = (await op().namespace(NS)).scripts[SCRIPT];
    writeFileSync(path.join(dir, "public", "index.html"), "<h1>home, changed</h1>\n");
    await op().clearJournal();
    await deploy();
    const journal = await op().journal();
    expect(journal.find((e) => e.method === "GET" && probe(e.path))?.status).toBe(200);
    const ns = await op().namespace(NS);
    expect(ns.blobs).toHaveLength(3);
    expect(ns.scripts[SCRIPT].etag).not.toBe(before.etag);
    expect(ns.scripts[SCRIPT].assets.manifest["/style.css"]).toBe(before.assets.manifest["/style.css"]);
  });
});
