/**
 * The fault table's rows that need no real engine (docs/reliability.md), at the provider level: the resources of
 * the example platform (a namespace, a tenant `site` with static assets, a tenant `billing` with two secrets) are
 * driven as `pulumi up` drives them (test/helpers/driver.ts), in a namespace of their own, against the emulator's
 * fault injection. Each row shows what the user sees (the error, the retry warnings) and that a re-run converges:
 * nothing left to change, with and without refresh, and the emulator holds exactly what is declared (no orphan,
 * nothing lost). Retries wait through an injected sleep that records each wait instead of sleeping.
 * The rows that need the engine (log visibility, the emulator restarted, SIGKILL) are in test/e2e/faults.test.ts.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CloudflareApiError } from "../../provider/api/errors";
import { scriptPath } from "../../provider/api/scripts";
import { DrivenResource } from "../helpers/driver";
import { tempDir, writeFiles } from "../helpers/files";
import { captureProviderLog, recordWaits, useEmulator } from "../helpers/provider";
import { ScenarioReport } from "../helpers/report";

const SECRET_NAMES = ["STRIPE_KEY", "WEBHOOK_SECRET"];
const SMALL_SITE = { "index.html": "<h1>site</h1>\n", "about.html": "<h1>about</h1>\n" };
/** Files in the large site: more than two 2,000-file buckets. */
const LARGE_SITE_FILES = 4100;
/** The attempts docs/reliability.md quotes (`failed after 4 attempts`). */
const POLICY = { maxAttempts: 4 };

const tmp = tempDir("faults");
const report = new ScenarioReport(path.resolve(__dirname, "../../.wfp/provider/faults-report.txt"));
const emu = useEmulator({ client: { policy: POLICY } });
const {
  DispatchNamespace: dispatchNamespaceProvider,
  ScriptSecret: scriptSecretProvider,
  StaticAssets: staticAssetsProvider,
  UserScript: userScriptProvider,
} = emu.providers;

beforeAll(() => report.start());

const worker = (name: string) => `export default { async fetch() { return new Response(${JSON.stringify(name)}); } };\n`;

/** The platform example's resources for tenants `site` (static assets) and `billing` (two secrets) in namespace `ns`. */
function platform(ns: string, options: { largeSite?: boolean } = {}) {
  const dir = path.join(tmp, ns);
  const files: Record<string, string> = { ...SMALL_SITE };
  for (let i = 0; options.largeSite && i < LARGE_SITE_FILES - 2; i++) files[`files/${String(i).padStart(4, "0")}.txt`] = `file ${i}\n`;
  writeFiles(path.join(dir, "site/public"), files);
  writeFiles(dir, { "site/worker.js": worker("site"), "billing/worker.js": worker("billing") });
  const secrets: Record<string, string> = {
    STRIPE_KEY: `sk_live_${randomBytes(12).toString("hex")}`,
    WEBHOOK_SECRET: `whsec_${randomBytes(12).toString("hex")}`,
  };
  const script = (id: string, plan: string, cpuMs: number) => ({
    namespace: ns,
    name: id,
    modules: [{ name: "worker.js", path: path.join(dir, id, "worker.js") }],
    compatibilityDate: "2025-06-01",
    tags: [`tenant-${id}`, `plan-${plan}`],
    limits: { cpuMs },
  });
  const namespace = new DrivenResource(dispatchNamespaceProvider, () => ({ name: ns }));
  const assets = new DrivenResource(staticAssetsProvider, () => ({
    namespace: ns,
    scriptName: "site",
    directory: path.join(dir, "site/public"),
    isolationSalt: "site",
  }));
  const site = new DrivenResource(userScriptProvider, () => ({
    ...script("site", "free", 50),
    bindings: [{ type: "assets", name: "ASSETS" }],
    assets: assets.outs?.attachment,
  }));
  const billing = new DrivenResource(userScriptProvider, () => script("billing", "pro", 500));
  const secretResources = SECRET_NAMES.map(
    (name) => new DrivenResource(scriptSecretProvider, () => ({ namespace: ns, scriptName: "billing", name, text: secrets[name] })),
  );
  const all = [namespace, assets, site, billing, ...secretResources];

  /** One resource's step; a failure is collected and its dependents are skipped, as the engine does. */
  const step = async (r: DrivenResource, errors: Error[], steps: string[]) => {
    try {
      steps.push(await r.up());
      return true;
    } catch (error) {
      errors.push(error as Error);
      return false;
    }
  };
  return {
    ns,
    dir,
    secrets,
    sitePaths: Object.keys(files)
      .map((f) => `/${f}`)
      .sort(),
    all,
    assets,
    site,
    stripeKey: secretResources[0]!,
    /** `pulumi up`: the namespace, then both tenants side by side; returns the errors and each step's result. */
    async up(): Promise<{ errors: Error[]; steps: string[] }> {
      const errors: Error[] = [];
      const steps: string[] = [];
      if (await step(namespace, errors, steps)) {
        await Promise.all([
          (async () => (await step(assets, errors, steps)) && (await step(site, errors, steps)))(),
          (async () => {
            if (await step(billing, errors, steps)) for (const s of secretResources) await step(s, errors, steps);
          })(),
        ]);
      }
      return { errors, steps };
    },
  };
}
type Platform = ReturnType<typeof platform>;

/** One `pulumi up` that must fail with one error matching `message`; returns it. */
async function failingUp(p: Platform, message: RegExp): Promise<CloudflareApiError> {
  const { errors } = await p.up();
  expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(message)]);
  expect(errors[0]).toBeInstanceOf(CloudflareApiError);
  return errors[0] as CloudflareApiError;
}

/** A re-run converges, previews show no changes, the emulator holds exactly what is declared. Returns the re-run's steps. */
async function expectConverges(p: Platform): Promise<string[]> {
  await emu.clearFaults();
  const rerun = await p.up();
  expect(rerun.errors).toEqual([]);
  for (const r of p.all) {
    expect(await r.changes(), "preview --expect-no-changes").toBe(false);
    expect(await r.changes(true), "preview --refresh --expect-no-changes").toBe(false);
  }
  const ns = await emu.namespace(p.ns);
  expect(Object.keys(ns.scripts).sort(), "exactly the declared scripts: no orphan").toEqual(["billing", "site"]);
  expect(ns.scripts.billing.secrets.sort(), "no secret lost").toEqual(SECRET_NAMES);
  expect(ns.scripts.site.has_assets).toBe(true);
  expect(Object.keys(ns.scripts.site.assets.manifest).sort()).toEqual(p.sitePaths);
  expect(ns.scripts.site.bindings).toContainEqual({ name: "ASSETS", type: "assets" });
  return rerun.steps;
}

const count = (steps: string[], what: string) => steps.filter((s) => s === what).length;
const apiPath = (rest: string) => `/client/v4/accounts/${emu.credentials.accountId}/workers${rest}`;
const scriptPut = (p: Platform, script: string) => apiPath(scriptPath({ namespace: p.ns, script }));

describe("fault table at the provider level", () => {
  it("a 429 storm: each retry waits the Retry-After (in seconds, or retry-after-ms) and is logged; the run succeeds", async () => {
    const waits = recordWaits(emu, { policy: POLICY });
    const log = captureProviderLog(emu);
    const p = platform("faults-storm");
    await emu.fault({ method: "POST", path: apiPath("/dispatch/namespaces"), status: 429, retryAfter: 1, count: 3 });
    await emu.fault({
      method: "PUT",
      path: scriptPut(p, "billing"),
      status: 429,
      retryAfter: 9,
      headers: { "retry-after-ms": "250" },
      count: 1,
    });
    expect((await p.up()).errors).toEqual([]);
    expect(waits, "Retry-After: 1 three times, then retry-after-ms over Retry-After").toEqual([1000, 1000, 1000, 250]);
    const storm = log.filter((l) =>
      /^warning: DispatchNamespace "faults-storm": create: HTTP 429, Cloudflare error 971: .*; retrying in 1\.0 s/.test(l),
    );
    expect(storm).toEqual([2, 3, 4].map((n) => expect.stringContaining(`(attempt ${n} of 4)`)));
    report.add("429 storm with Retry-After: 1", storm);
    expect(await expectConverges(p)).toEqual(p.all.map(() => "unchanged"));
  });

  it("a response slower than the client timeout: the attempt is abandoned and sent again; the late duplicate is harmless", async () => {
    recordWaits(emu, { policy: { ...POLICY, timeoutMs: 500 } });
    const log = captureProviderLog(emu);
    const p = platform("faults-slow");
    // Held 1.5 s, then let through: the server also applies the abandoned attempt.
    await emu.fault({ method: "POST", path: "*/workers/assets/upload", delayMs: 1500, count: 1 });
    expect((await p.up()).errors).toEqual([]);
    const retried = log.filter((l) => l.includes("retrying"));
    expect(retried).toEqual([
      expect.stringMatching(
        /^warning: StaticAssets "faults-slow\/site": upload assets bucket 1\/1 \(2 files\): no response: Request timed out\.; retrying/,
      ),
    ]);
    report.add("a response slower than the client timeout", retried);
    await expectConverges(p);
    expect((await emu.namespace(p.ns)).blobs).toHaveLength(2);
  });

  it("a 429 asking for a longer wait than the provider allows: fails at once, naming resource and operation; the re-run creates it", async () => {
    const waits = recordWaits(emu, { policy: POLICY });
    const p = platform("faults-429-long");
    await emu.fault({ method: "PUT", path: scriptPut(p, "site"), status: 429, retryAfter: 3600, count: 1 });
    const error = await failingUp(
      p,
      /^UserScript "faults-429-long\/site": create failed: HTTP 429, Cloudflare error 971: .* \(the API asked to wait 3600 s, more than the 300 s this provider waits\)$/,
    );
    expect(waits, "no wait at all").toEqual([]);
    report.add("429 with a long Retry-After", [`error: ${error.message}`]);
    await emu.clearJournal();
    const steps = await expectConverges(p);
    expect([count(steps, "created"), count(steps, "unchanged")]).toEqual([1, 5]);
    const uploads = (await emu.journal()).filter((e) => e.path.includes("assets-upload") || e.path.endsWith("/assets/upload"));
    expect(uploads, "the assets uploaded by the failed run are reused").toEqual([]);
  });

  it("an asset upload that fails after one bucket: the run fails, no script without its assets; the re-run uploads only the missing files", async () => {
    const log = captureProviderLog(emu);
    const p = platform("faults-buckets", { largeSite: true });
    await emu.fault({ method: "POST", path: "*/workers/assets/upload", status: 500, count: 0, after: 1 });
    const error = await failingUp(
      p,
      /^StaticAssets "faults-buckets\/site": upload assets bucket [123]\/3 \(\d+ files\) failed after 4 attempts: HTTP 500, Cloudflare error 10013: Injected fault$/,
    );
    report.add("asset upload fails after one bucket", [`error: ${error.message}`]);
    const stored = (await emu.namespace(p.ns)).blobs.length;
    expect(stored, "one bucket's files were stored").toBeGreaterThan(0);
    expect(stored).toBeLessThan(LARGE_SITE_FILES);
    expect((await emu.namespace(p.ns)).scripts.site, "no script deployed without its assets").toBeUndefined();

    await emu.clearJournal();
    log.length = 0;
    await expectConverges(p);
    const uploads = (await emu.journal()).filter((e) => e.method === "POST" && e.path.endsWith("/assets/upload"));
    expect(uploads.length, "the re-run sends only the buckets still missing").toBeLessThan(3);
    expect((await emu.namespace(p.ns)).blobs).toHaveLength(LARGE_SITE_FILES);
    const resumed = log.filter((l) => /StaticAssets "faults-buckets\/site": uploaded \d+ of \d+ files .*already uploaded/.test(l));
    expect(resumed).toHaveLength(1);
    report.add("asset upload fails after one bucket: the re-run", resumed);
  });

  it("a script PUT that fails after the assets were uploaded: the re-run deploys with the stored token, uploading nothing", async () => {
    const p = platform("faults-script-put");
    await emu.fault({ method: "PUT", path: scriptPut(p, "site"), status: 500, count: 0 });
    const error = await failingUp(
      p,
      /^UserScript "faults-script-put\/site": create failed after 4 attempts: HTTP 500, Cloudflare error 10013: Injected fault$/,
    );
    report.add("script PUT fails after the assets upload", [`error: ${error.message}`]);
    const ns = await emu.namespace(p.ns);
    expect(ns.blobs).toHaveLength(2);
    expect(ns.scripts.site).toBeUndefined();
    expect(p.assets.outs?.scriptName, "the StaticAssets is in the state").toBe("site");

    await emu.clearJournal();
    const steps = await expectConverges(p);
    expect([count(steps, "created"), count(steps, "unchanged")]).toEqual([1, 5]);
    const journal = await emu.journal();
    expect(
      journal.filter((e) => e.path.includes("assets-upload") || e.path.endsWith("/assets/upload")),
      "the stored completion token is reused",
    ).toEqual([]);
  });

  it("a secret PUT that fails during a rotation: the old secret stays, the change stays pending, the re-run rotates it", async () => {
    const p = platform("faults-secret-put");
    expect((await p.up()).errors).toEqual([]);
    const rotated = `sk_live_${randomBytes(12).toString("hex")}`;
    p.secrets.STRIPE_KEY = rotated;
    await emu.fault({
      method: "PUT",
      path: apiPath(`${scriptPath({ namespace: p.ns, script: "billing" })}/secrets`),
      status: 500,
      count: 0,
    });
    const error = await failingUp(
      p,
      /^ScriptSecret "faults-secret-put\/billing\/STRIPE_KEY": update failed after 4 attempts: HTTP 500, Cloudflare error 10013: Injected fault$/,
    );
    expect(error.message).not.toContain(rotated);
    report.add("secret PUT fails during a rotation", [`error: ${error.message}`]);
    expect((await emu.namespace(p.ns)).scripts.billing.secrets.sort(), "the old secret is still bound").toEqual(SECRET_NAMES);
    await emu.clearFaults();
    expect(await p.stripeKey.changes(), "the failed rotation is still pending: preview shows it").toBe(true);
    const steps = await expectConverges(p);
    expect([count(steps, "updated"), count(steps, "unchanged")]).toEqual([1, 5]);
  });
});
