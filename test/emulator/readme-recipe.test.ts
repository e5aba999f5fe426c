/**
 * The README's "Your project against the emulator", run as written: its commands are read from README.md, `npx <bin>`
 * runs the package's own bin (package.json), and the ports it names become the free ports the emulator got. In place
 * of `pulumi up`, the resources the section describes are deployed through the API.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { apiCall } from "../helpers/emulator";
import { tempDir } from "../helpers/files";
import type { Harness } from "../helpers/emulator-api";
import { deployOk } from "../helpers/runtime";

const ROOT = path.resolve(__dirname, "../..");
const HEADING = "### Your project against the emulator";
const bins: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).bin;
const project = tempDir("readme-recipe");
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill();
});

/** The shell commands of the README's section, a line each (continuations joined, comments left out). */
function recipe(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n${HEADING}\n`);
  expect(start, `README.md has no section "${HEADING}"`).toBeGreaterThan(0);
  const rest = readme.slice(start + HEADING.length + 2);
  const section = rest.slice(0, rest.search(/\n#{2,3} /));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.replace(/\\\n\s*/g, "").split("\n"))
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** `npx <bin> args…` as the package's bin runs it: node, the bin's file, the arguments (none quoted in the README). */
function npx(command: string): string[] {
  const [, bin, ...args] = command.split(/\s+/);
  expect(bins, `package.json has no bin ${bin}`).toHaveProperty(bin!);
  return [path.join(ROOT, bins[bin!]!), ...args];
}

/** The emulator's two addresses, `HOST:PORT` of the API and of the Workers, from its first two lines. */
function addresses(emulator: ChildProcess): Promise<{ api: string; workers: string }> {
  return new Promise((resolve, reject) => {
    let out = "";
    emulator.stdout!.on("data", (d: Buffer) => {
      out += d;
      const m = /^listening on http:\/\/(\S+)\nworkers on http:\/\/(\S+)\n/.exec(out);
      if (m) resolve({ api: m[1]!, workers: m[2]! });
    });
    emulator.on("exit", (code) => reject(new Error(`the emulator exited (${code}) before printing its addresses: ${out}`)));
  });
}

function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("bash", ["-c", script], { cwd: project }, (error, stdout, stderr) =>
      error ? reject(new Error(`${script}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

/** What `pulumi up` of the section's program leaves: the namespace, acme, the dispatch Worker, its route, the hostname. */
async function deployTheProgram(env: Record<string, string>): Promise<void> {
  const base = env.CLOUDFLARE_BASE_URL!;
  const workers = `${base}/accounts/${env.CLOUDFLARE_ACCOUNT_ID}/workers`;
  const api = (method: string, p: string, init = {}) => apiCall(workers, method, p, { ...init, token: env.CLOUDFLARE_API_TOKEN! });
  const h = { api } as unknown as Harness;
  expect((await api("POST", "/dispatch/namespaces", { json: { name: "customers" } })).status).toBe(200);
  const acme = `export default {
    fetch(request) { console.log("acme saw", request.headers.get("host")); return new Response("acme at " + new URL(request.url).host); },
    scheduled(controller) { console.log("acme's cron ran"); },
  };`;
  await deployOk(h, "customers", "acme", { "worker.js": { content: acme } });
  const dispatcher = `export default { fetch(request, env) { return env.DISPATCHER.get("acme").fetch(request); } };`;
  await deployOk(
    h,
    null,
    "dispatcher",
    { "worker.js": { content: dispatcher } },
    {
      bindings: [{ type: "dispatch_namespace", name: "DISPATCHER", namespace: "customers" }],
    },
  );
  const zone = (await api("GET", `${base}/zones?name=platform.com`)).body.result[0];
  const route = await api("POST", `${base}/zones/${zone.id}/workers/routes`, { json: { pattern: "*/*", script: "dispatcher" } });
  expect(route.status).toBe(200);
  const hostname = await api("POST", `${base}/zones/${zone.id}/custom_hostnames`, {
    json: { hostname: "shop.acme.com", ssl: { method: "txt", type: "dv" } },
  });
  expect(hostname.body.result.status).toBe("pending");
}

test("the README's recipe for one's own project runs as written", { timeout: 120_000 }, async () => {
  const commands = recipe();
  let ports: Record<string, string> = {};
  const local = (command: string) => command.replace(/127\.0\.0\.1:(8787|8788)/g, (_, port: string) => ports[port] ?? port);
  const exports: string[] = [];
  let tail = "";
  const outputs: Record<string, string> = {};

  for (const command of commands) {
    if (command.startsWith("npx wfp-emulator ")) {
      const args = npx(command);
      expect(args.slice(1)).toEqual(["--port", "8787", "--workers-port", "8788", "--data-dir", ".wfp-emulator"]);
      const emulator = spawn(process.execPath, [args[0]!, "--port", "0", "--workers-port", "0", "--data-dir", ".wfp-emulator"], {
        cwd: project,
        stdio: ["ignore", "pipe", "ignore"],
      });
      children.push(emulator);
      const { api, workers } = await addresses(emulator);
      ports = { 8787: api, 8788: workers };
    } else if (command.startsWith("npx wfp-tail ")) {
      const follower = spawn(process.execPath, npx(local(command)), { stdio: ["ignore", "pipe", "ignore"] });
      children.push(follower);
      follower.stdout!.on("data", (d: Buffer) => (tail += d));
    } else if (command.startsWith("export ")) {
      exports.push(local(command));
    } else if (command === "pulumi up") {
      const env = Object.fromEntries(
        (await sh(`${exports.join("\n")}\nenv`))
          .split("\n")
          .filter((l) => l.startsWith("CLOUDFLARE_"))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      expect(Object.keys(env).sort()).toEqual(["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL"]);
      await deployTheProgram(env);
    } else {
      outputs[command] = await sh(`${exports.join("\n")}\n${local(command)}`);
    }
  }

  const answer = (part: string) => {
    const command = Object.keys(outputs).find((c) => c.includes(part));
    expect(command, `the recipe has no command with ${part}`).toBeDefined();
    return outputs[command!]!;
  };
  expect(JSON.parse(answer("/zones"))).toMatchObject({ success: true, result: { name: "platform.com" } });
  expect(JSON.parse(answer("/activate"))).toEqual({ ok: true });
  expect(answer("Host: shop.acme.com")).toBe("acme at shop.acme.com");
  expect(JSON.parse(answer("/__emulator/scheduled"))).toEqual({ outcome: "ok", noRetry: false });
  // The tail may have connected after the recipe's request: the same request again until it shows one.
  const request = Object.keys(outputs).find((c) => c.includes("Host: shop.acme.com"))!;
  await expect
    .poll(
      async () => {
        if (!tail.includes("acme saw")) await sh(local(request));
        return tail;
      },
      { timeout: 60_000, interval: 200 },
    )
    .toMatch(/customers\/acme GET \/ 200[\s\S]*acme saw shop\.acme\.com/);
});
