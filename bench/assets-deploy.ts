/**
 * Asset deploy benchmark: a generated site (default 20,000 files, ~500 MB; the generator of bench/assets.ts)
 * deployed as one tenant (one Tenant resource: its site and script) by the REAL Pulumi CLI running the example platform
 * program, beside `wrangler deploy --dispatch-namespace` of the same site against the same emulator in the same run.
 * For each tool: the initial deploy, a no-op re-deploy and a 1-file change, with wall time and the requests the
 * emulator journal saw. Prints a markdown table.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/assets-deploy.js
 *   BENCH_FILES=1000 BENCH_MB=20 node dist/bench/assets-deploy.js
 *
 * Environment: BENCH_FILES, BENCH_MB (default 20,000 and 500; 1,000 and 20 with BENCH_QUICK=1), BENCH_DIR (site
 * directory, shared with bench/assets.ts), BENCH_WRANGLER=0 (skip wrangler), BENCH_KEEP=1, BENCH_COMPILE_CACHE=1
 * (NODE_COMPILE_CACHE for both tools; by default neither gets it).
 *
 * The project is set up as the README recommends: Pulumi.yaml's `nodeargs: --require pulumi-cloudflare-wfp/preload`.
 *
 * wrangler is not a dependency of this project: bench/wrangler.ts installs it on demand (pinned) outside the
 * clone. If that fails, the wrangler column is left out with a note.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { generate, siteDir } from "./assets";
import {
  ACCOUNT_ID,
  benchProject,
  envInt,
  machine,
  pulumiVersion,
  type PulumiProject,
  quick,
  run,
  seconds,
  startTestEmulator,
  summarize,
  table,
  type CallSummary,
} from "./lib";
import { ensureWrangler, WRANGLER_VERSION } from "./wrangler";

const NS_PULUMI = "bench-pulumi";
const NS_WRANGLER = "bench-wrangler";
const SCRIPT = "site";
/** The file the 1-file change rewrites (generated as d0/s0/f0.html). */
const CHANGED = path.join("d0", "s0", "f0.html");
const WORKER = "export default { async fetch(req, env) { return env.ASSETS.fetch(req); } };\n";

interface Step {
  ms: number;
  /** Blobs the namespace gained: files actually uploaded. */
  uploaded: number;
  calls: CallSummary;
  note: string;
}

/** The wrangler CLI entry point, installed on demand; a reason string when it is unavailable. */
async function wranglerCli(): Promise<{ cli: string } | { skipped: string }> {
  if (process.env.BENCH_WRANGLER === "0") return { skipped: "BENCH_WRANGLER=0" };
  try {
    return { cli: await ensureWrangler((line) => console.error(`[assets-deploy] ${line}`)) };
  } catch (err) {
    return { skipped: (err as Error).message };
  }
}

function scriptState(state: any, ns: string): { files: number; blobs: number } {
  const n = state.accounts?.[ACCOUNT_ID]?.namespaces?.[ns];
  return { files: Object.keys(n?.scripts?.[SCRIPT]?.assets?.manifest ?? {}).length, blobs: n?.blobs?.length ?? 0 };
}

async function main(): Promise<void> {
  const files = envInt("BENCH_FILES", quick() ? 1000 : 20_000);
  const mb = envInt("BENCH_MB", quick() ? 20 : 500);
  const site = siteDir(files, mb);
  await generate(site, files, mb * 1024 * 1024);
  const wrangler = await wranglerCli();

  const emu = await startTestEmulator();
  const changedFile = path.join(site, CHANGED);
  const original = readFileSync(changedFile);
  let project: PulumiProject | undefined;
  let work: string | undefined;
  let ok = false;

  /** Runs one deploy step, timing it and collecting the journal; throws when it fails. */
  const step = async (label: string, ns: string, fn: () => Promise<{ code: number; output: string; ms: number }>): Promise<Step> => {
    const before = scriptState(await emu.state(), ns);
    await emu.clearJournal();
    console.error(`[assets-deploy] ${label}`);
    const r = await fn();
    const calls = summarize(await emu.journal());
    if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code}):\n${r.output.slice(-4000)}`);
    const after = scriptState(await emu.state(), ns);
    return { ms: r.ms, calls, uploaded: after.blobs - before.blobs, note: `${after.files} files deployed` };
  };

  try {
    project = await benchProject("assets-deploy", "dist/examples/platform", emu.env);
    work = project.dir;
    const yamlFile = path.join(work, "Pulumi.yaml");
    writeFileSync(
      yamlFile,
      readFileSync(yamlFile, "utf8").replace(/^( +)typescript: false$/m, "$&\n$1nodeargs: --require pulumi-cloudflare-wfp/preload"),
    );
    // The harness caches compiled code for the tests; here each tool gets what its users get, unless both get it.
    const compileCache = process.env.BENCH_COMPILE_CACHE === "1" ? project.env.NODE_COMPILE_CACHE : undefined;
    if (!compileCache) delete project.env.NODE_COMPILE_CACHE;
    writeFileSync(path.join(work, "worker.js"), WORKER);
    const tenants = {
      tenants: [
        {
          id: SCRIPT,
          worker: { dir: ".", modules: ["worker.js"], compatibilityDate: "2025-06-01", bindings: [{ type: "assets", name: "ASSETS" }] },
          assets: { directory: site },
        },
      ],
    };
    writeFileSync(path.join(work, "tenants.yaml"), stringify(tenants));
    await project.must(["config", "set", "platform:namespace", NS_PULUMI]);
    await project.must(["config", "set", "platform:tenantsFile", path.join(work, "tenants.yaml")]);
    const pulumiUp = () => project!.run(["up", "--yes", "--skip-preview", "--suppress-outputs"]);

    let wranglerDir: string | undefined;
    let wranglerDeploy: (() => Promise<{ code: number; output: string; ms: number }>) | undefined;
    if ("cli" in wrangler) {
      wranglerDir = path.join(work, "wrangler");
      mkdirSync(wranglerDir);
      writeFileSync(path.join(wranglerDir, "worker.js"), WORKER);
      writeFileSync(
        path.join(wranglerDir, "wrangler.json"),
        JSON.stringify(
          {
            name: SCRIPT,
            main: "worker.js",
            compatibility_date: "2025-06-01",
            account_id: ACCOUNT_ID,
            assets: { directory: site, binding: "ASSETS" },
          },
          null,
          2,
        ),
      );
      const env = {
        ...process.env,
        ...emu.env,
        // wrangler's name for the base URL.
        CLOUDFLARE_API_BASE_URL: emu.apiBase,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_LOG_PATH: path.join(wranglerDir, "logs"),
        CI: "true",
        NODE_COMPILE_CACHE: compileCache,
      };
      if (!compileCache) delete env.NODE_COMPILE_CACHE;
      wranglerDeploy = () => run("node", [wrangler.cli, "deploy", "--dispatch-namespace", NS_WRANGLER], { cwd: wranglerDir!, env });
      // wrangler does not create the namespace.
      await emu.api("POST", "/dispatch/namespaces", { json: { name: NS_WRANGLER } });
      // Our cache directory is warm from earlier runs: warm wrangler's too, untimed.
      if (compileCache) await run("node", [wrangler.cli, "deploy", "--dry-run"], { cwd: wranglerDir, env });
    }

    const rows: { label: string; ours: Step; theirs?: Step }[] = [];
    const both = async (label: string) => {
      const ours = await step(`pulumi: ${label}`, NS_PULUMI, pulumiUp);
      const theirs = wranglerDeploy ? await step(`wrangler: ${label}`, NS_WRANGLER, wranglerDeploy) : undefined;
      rows.push({ label, ours, theirs });
    };
    await both("initial deploy");
    await both("no-op re-deploy");
    await emu.clearJournal();
    const preview = await project.run(["preview", "--expect-no-changes", "--suppress-outputs"]);
    const previewCalls = summarize(await emu.journal());
    if (preview.code !== 0) throw new Error(`no-op preview reported changes or failed:\n${preview.output.slice(-3000)}`);
    writeFileSync(changedFile, Buffer.concat([original, Buffer.from(`<!-- changed ${Date.now()} -->\n`)]));
    await both("1 file changed");

    const s = (st: Step) => `${seconds(st.ms)}`;
    const calls = (st: Step) => `${st.calls.total}: ${[...st.calls.byKind.entries()].map(([k, n]) => `${n}× ${k}`).join(", ") || "none"}`;
    console.log(`\n### Asset deploy: ${files} files, ${mb} MB, one script (${machine()})\n`);
    console.log(
      `Pulumi CLI ${await pulumiVersion()} running the example platform program (one Tenant resource: site and script, real engine, ` +
        `\`pulumi up --skip-preview\`); ` +
        ("cli" in wrangler
          ? `wrangler ${WRANGLER_VERSION} (\`wrangler deploy --dispatch-namespace\`)`
          : `wrangler skipped: ${wrangler.skipped}`) +
        `. Same emulator (in memory, no rate limit), same run; wall time of the whole CLI command; ` +
        `${compileCache ? "NODE_COMPILE_CACHE set for both" : "NODE_COMPILE_CACHE set for neither"}; ` +
        `our Pulumi.yaml has \`nodeargs: --require pulumi-cloudflare-wfp/preload\`.\n`,
    );
    const header = [
      "Step",
      "Pulumi (ours): wall",
      "requests",
      "files uploaded",
      ...(wranglerDeploy ? ["wrangler: wall", "requests", "files uploaded"] : []),
    ];
    console.log(
      table(
        header,
        rows.map((r) => [
          r.label,
          s(r.ours),
          calls(r.ours),
          r.ours.uploaded,
          ...(r.theirs ? [s(r.theirs), calls(r.theirs), r.theirs.uploaded] : []),
        ]),
      ),
    );
    console.log(`\nNo-op \`pulumi preview\`: ${seconds(preview.ms)}, ${previewCalls.total} requests.`);
    const notes = rows.flatMap((r) => [`${r.label}: ours ${r.ours.note}${r.theirs ? `, wrangler ${r.theirs.note}` : ""}`]);
    console.log(`\nChecked after each step (emulator state): ${notes.join("; ")}.`);
    ok = true;
  } finally {
    writeFileSync(changedFile, original);
    await emu.close();
    if (work && ok && process.env.BENCH_KEEP !== "1") rmSync(work, { recursive: true, force: true });
    else if (work) console.error(`[assets-deploy] project kept in ${work}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
