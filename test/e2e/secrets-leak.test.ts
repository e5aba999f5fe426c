/**
 * Secrets and credentials over a full run: up, an update that rotates a secret, refresh, a failing
 * rotation, a failing run with a bad token, destroy. Searches the whole project directory (backend, config,
 * PULUMI_HOME, the temp dir given to the CLI), every `pulumi stack export`, and every run's output at the
 * default verbosity and with `-v=9 --logtostderr` (and `-v=9` to log files) for the API token and every
 * secret value. At the default verbosity there must be none. At -v=9, the engine itself logs the
 * plaintext inputs it sends to the dynamic provider (acceptSecrets=false); the test pins that down to the
 * engine's own log lines, and requires that nothing of ours (our messages, our errors) carries a value.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, TEST_TOKEN, type TestEmulator } from "../helpers/emulator";
import { filesUnder } from "../helpers/files";
import { PulumiProject, ROOT, type RunResult } from "../helpers/pulumi-project";

const NS = "e2e-secrets";
const values = {
  stripeKey: `sk_live_${randomBytes(12).toString("hex")}`,
  hookSecret: `whsec_${randomBytes(12).toString("hex")}`,
  rotated: `sk_live_rot1_${randomBytes(12).toString("hex")}`,
  failedRotation: `sk_live_rot2_${randomBytes(12).toString("hex")}`,
  badToken: `bad-token-${randomBytes(12).toString("hex")}`,
};
const SECRETS: Record<string, string> = { token: TEST_TOKEN, ...values };

/**
 * The engine's own property logging at -v=9, a structured log line such as
 * `{"time":"…","level":"INFO","msg":"Unmarshaling property for RPC[Provider[0x…].Check(urn…).inputs]: text={…}","v":9}`,
 * written by MarshalProperties / UnmarshalProperties in pulumi's sdk/go/common/resource/plugin/rpc.go.
 */
function engineRpcLog(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; v?: unknown };
    const m =
      typeof entry.msg === "string" && entry.v === 9 ? /^(?:Un)?[Mm]arshaling property for RPC\[(.*?)(?:\(|\]: )/.exec(entry.msg) : null;
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

interface Hit {
  where: string;
  secret: string;
  line: string;
}

function hitsIn(where: string, text: string): Hit[] {
  const hits: Hit[] = [];
  for (const line of text.split("\n")) {
    for (const [secret, value] of Object.entries(SECRETS)) if (line.includes(value)) hits.push({ where, secret, line });
  }
  return hits;
}

// One scenario: each step builds on the last, so the order holds under --sequence.shuffle.
describe("no token or secret value in plaintext anywhere", { shuffle: false }, () => {
  let em: TestEmulator;
  let project: PulumiProject;
  let tmp: string;
  const defaultRuns: Array<{ name: string; run: RunResult }> = [];
  const verboseRuns: Array<{ name: string; run: RunResult }> = [];
  const exports: string[] = [];

  beforeAll(async () => {
    em = await startTestEmulator();
    project = await PulumiProject.create("secrets", {
      program: "dist/examples/platform",
      env: {
        ...em.env,
        WFP_RETRY_BASE_DELAY_MS: "20",
        WFP_RETRY_MAX_ATTEMPTS: "3",
      },
    });
    // Anything the CLI or its plugins write to the temp dir (glog files at -v) lands here, to be searched.
    tmp = path.join(project.dir, "tmp");
    mkdirSync(tmp);
    project.env.TMPDIR = tmp;
    const dir = path.join(project.dir, "tenants");
    mkdirSync(path.join(dir, "billing"), { recursive: true });
    writeFileSync(path.join(dir, "billing/worker.js"), "export default { fetch: () => new Response('billing') };\n");
    const tenants = [
      {
        id: "billing",
        worker: { dir: "billing", modules: ["worker.js"], compatibilityDate: "2025-06-01" },
        secrets: { STRIPE_KEY: "stripeKey", WEBHOOK_SECRET: "hookSecret" },
      },
    ];
    writeFileSync(path.join(dir, "tenants.yaml"), dump({ tenants }));
    await project.must([
      "config",
      "set-all",
      "--plaintext",
      `platform:namespace=${NS}`,
      "--plaintext",
      `platform:tenantsFile=${path.join(dir, "tenants.yaml")}`,
      "--secret",
      `platform:stripeKey=${values.stripeKey}`,
      "--secret",
      `platform:hookSecret=${values.hookSecret}`,
    ]);
  });

  afterAll(async () => {
    await em?.close();
  });

  const exportNow = async () => exports.push((await project.run(["stack", "export"])).stdout);

  it("runs up, a rotation at -v=9, refresh, a failing rotation, a bad token and destroy", async () => {
    const up = await project.up();
    expect(up.code, up.output).toBe(0);
    defaultRuns.push({ name: "up", run: up });
    await exportNow();

    await project.must(["config", "set", "--secret", "platform:stripeKey", values.rotated]);
    // One transient failure, so that our own retry message is part of the -v=9 output too.
    await em.fault({ method: "PUT", path: `*/dispatch/namespaces/${NS}/scripts/billing/secrets`, status: 503, count: 1 });
    const rotate = await project.up(["-v=9", "--logtostderr", "--logflow"]);
    expect(rotate.code, rotate.output).toBe(0);
    expect(rotate.output).toMatch(/1 updated/);
    expect(rotate.output).toMatch(/Tenant "e2e-secrets\/billing": update: HTTP 503, .*retrying/);
    verboseRuns.push({ name: "up (rotation) -v=9 --logtostderr --logflow", run: rotate });
    await exportNow();

    const refresh = await project.run(["refresh", "--yes", "--skip-preview", "-v=9"]);
    expect(refresh.code, refresh.output).toBe(0);
    verboseRuns.push({ name: "refresh -v=9 (to log files)", run: refresh });
    await exportNow();

    await project.must(["config", "set", "--secret", "platform:stripeKey", values.failedRotation]);
    await em.fault({ method: "PUT", path: `*/dispatch/namespaces/${NS}/scripts/billing/secrets`, status: 500, count: 0 });
    const failing = await project.up();
    expect(failing.code).not.toBe(0);
    expect(failing.output).toMatch(/Tenant "e2e-secrets\/billing": update failed after 3 attempts: HTTP 500/);
    defaultRuns.push({ name: "failing rotation", run: failing });
    await em.clearFaults();

    const badToken = await project.run(["up", "--yes", "--skip-preview"], { CLOUDFLARE_API_TOKEN: values.badToken });
    expect(badToken.code).not.toBe(0);
    expect(badToken.output).toMatch(/Tenant "e2e-secrets\/billing": update failed: HTTP 403/);
    defaultRuns.push({ name: "bad token", run: badToken });
    await exportNow();

    const destroy = await project.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code, destroy.output).toBe(0);
    defaultRuns.push({ name: "destroy", run: destroy });
    await exportNow();
  });

  it("finds none in the project directory (backend, config, PULUMI_HOME, temp dir) except engine log files", () => {
    const hits = filesUnder(project.dir).flatMap((file) => hitsIn(path.relative(project.dir, file), readFileSync(file, "utf8")));
    // Only the log file `pulumi -v=9` (without --logtostderr) writes to the temp dir, and only engine lines.
    const logFiles = /^tmp\/pulumi\.[^/]+\.log\.INFO\.[\d.-]+$/;
    expect(hits.filter((h) => !logFiles.test(h.where) || !engineRpcLog(h.line))).toEqual([]);
    expect(hits.filter((h) => h.secret === "token")).toEqual([]);
    expect(
      readdirSync(tmp).filter((f) => !/^pulumi\./.test(f)),
      "nothing but the -v=9 log in the temp dir",
    ).toEqual([]);
  });

  it("finds none in any stack export", () => {
    expect(exports.flatMap((e, i) => hitsIn(`export ${i}`, e))).toEqual([]);
    expect(exports[1]).toContain("1b47061264138c4ac30d75fd1eb44270"); // the secrets are there, encrypted
  });

  it("finds none in the output of any run at the default verbosity, error messages included", () => {
    expect(defaultRuns.flatMap(({ name, run }) => hitsIn(name, run.output))).toEqual([]);
  });

  it("at -v=9, finds values only in the engine's own log lines", () => {
    const hits = verboseRuns.flatMap(({ name, run }) => hitsIn(name, run.output));
    expect(
      hits.filter((h) => h.secret === "token"),
      "the token is never logged, even at -v=9",
    ).toEqual([]);
    expect(
      hits.filter((h) => !engineRpcLog(h.line)),
      "no line of ours carries a value",
    ).toEqual([]);
    // Our own messages at -v=9 (a retry warning, the resource lines) carry no value either.
    const ours = verboseRuns.flatMap(({ run }) =>
      run.output.split("\n").filter((l) => /(Tenant|ScriptSecret|UserScript|DispatchNamespace) "/.test(l)),
    );
    writeFileSync(
      path.join(ROOT, ".wfp", "e2e", "secrets-report.txt"),
      [
        ...hits.map((h) => `${h.where} | ${h.secret} | ${h.line.replace(/=\{[^}]*\}/, "={…}")}`),
        ...defaultRuns.flatMap(({ name, run }) =>
          run.output
            .split("\n")
            .filter((l) => /^\s+error: /.test(l))
            .map((l) => `${name} | ${l.trim()}`),
        ),
        ...ours.map((l) => `ours | ${l.trim()}`),
      ].join("\n"),
    );
    // What the engine logs (documented in docs/reliability.md): the decrypted config it configures the
    // provider with, the program's registration inputs, and the inputs our Check returns (a dynamic provider
    // does not accept secrets, so the engine hands it and gets back plain values, and re-wraps them).
    const labels = new Set(hits.map((h) => engineRpcLog(h.line)!.replace(/Provider\[0x[0-9a-f]+\]/, "Provider")));
    // A Tenant's secrets are a map: the engine also logs its entries as it marshals the inputs of Diff and Update.
    expect([...labels].sort()).toEqual([
      "Provider.Check",
      "Provider.Configure",
      "Provider.Diff",
      "Provider.Update",
      "ResourceMonitor.RegisterResource",
    ]);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.filter((l) => Object.values(SECRETS).some((v) => l.includes(v)))).toEqual([]);
  });
});
