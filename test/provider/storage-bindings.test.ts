/**
 * A Tenant, UserScript or Worker binding a D1Database and an R2Bucket: the upload carries `d1` and `r2_bucket`
 * bindings Cloudflare accepts, and check looks up (once, read-only, only when the binding changed) a database or
 * bucket the program does not declare, failing the preview on a typo.
 */
import { describe, expect, it } from "vitest";
import { driver } from "../helpers/driver";
import { ACCOUNT_ID } from "../helpers/emulator";
import { useEmulator } from "../helpers/provider";
import type { D1DatabaseInputs } from "../../provider/resources/d1/database";
import type { R2BucketInputs } from "../../provider/resources/r2/bucket";
import type { TenantInputs, TenantOutputs } from "../../provider/resources/tenant/provider";
import { UNKNOWN } from "../../provider/validation";
import { offboardByTag } from "../../provider/offboard";

const NS = "tenants";
const emu = useEmulator({ namespaces: [NS] });
const { Tenant: tp, Worker: wp, D1Database: dp, R2Bucket: bp } = emu.providers;
const tenant = driver<TenantInputs, TenantOutputs>(tp);

const tenantArgs = (bindings: unknown[]) => ({
  namespace: NS,
  tenantId: "acme",
  modules: [{ name: "index.js", content: "export default { fetch() { return new Response('ok') } }" }],
  compatibilityDate: "2025-06-01",
  bindings,
});

async function storage(): Promise<{ databaseId: string; bucket: string }> {
  const db = await dp.create((await dp.check!({}, { name: "acme-db" })).inputs as D1DatabaseInputs);
  await bp.create((await bp.check!({}, { name: "acme-files" })).inputs as R2BucketInputs);
  await emu.clearJournal();
  emu.newRun(); // a later run: one that does not declare them
  return { databaseId: db.id, bucket: "acme-files" };
}

describe("storage bindings", () => {
  it("a Tenant bound to its database and bucket deploys; check looked each up once, and a no-op looks up nothing", async () => {
    const { databaseId, bucket } = await storage();
    const news = tenantArgs([
      { type: "d1", name: "DB", databaseId },
      { type: "r2_bucket", name: "FILES", bucketName: bucket },
    ]);
    const inputs = await tenant.check(news);
    const storageCalls = (await emu.journal()).filter((e) => /\/(d1|r2)\//.test(e.path));
    expect(storageCalls.map((e) => `${e.method} ${e.path.split(`/accounts/${ACCOUNT_ID}`)[1]}`)).toEqual([
      `GET /d1/database/${databaseId}`,
      `GET /r2/buckets/${bucket}`,
    ]);
    await tp.create(inputs);
    const settings = await emu.api("GET", `/dispatch/namespaces/${NS}/scripts/acme/settings`);
    expect(settings.body.result.bindings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "d1", name: "DB" }),
        expect.objectContaining({ type: "r2_bucket", name: "FILES", bucket_name: bucket }),
      ]),
    );
    await emu.clearJournal();
    await tenant.check(news, inputs as unknown as Record<string, unknown>);
    expect(await emu.journal()).toEqual([]);
  });

  it("a binding to a database or bucket the account lacks fails check on that binding, before any write", async () => {
    const failures = await tenant.failures(
      tenantArgs([
        { type: "d1", name: "DB", databaseId: "00000000-0000-4000-8000-000000000000" },
        { type: "r2_bucket", name: "FILES", bucketName: "no-such-bucket", jurisdiction: "eu" },
      ]),
    );
    expect(failures).toEqual([
      { property: "bindings[0].databaseId", reason: expect.stringMatching(/names no D1 database of the account/) },
      {
        property: "bindings[1].bucketName",
        reason: expect.stringMatching(/names no R2 bucket of the account \("no-such-bucket" in jurisdiction eu\)/),
      },
    ]);
    expect(await emu.writes()).toEqual([]);
  });

  it("a bucket the program declares in the run, or a database id not known yet (preview), is not looked up", async () => {
    await bp.check!({}, { name: "declared-bucket" });
    const failures = await driver(wp).failures({
      name: "platform",
      modules: [{ name: "index.js", content: "export default { fetch() { return new Response('ok') } }" }],
      compatibilityDate: "2025-06-01",
      bindings: [
        { type: "r2_bucket", name: "FILES", bucketName: "declared-bucket" },
        { type: "d1", name: "DB", databaseId: UNKNOWN },
      ],
    });
    expect(failures).toEqual([]);
    expect(await emu.journal()).toEqual([]);
  });

  it("offboarding a tenant deletes its script and names the database and bucket it leaves, which keep their data", async () => {
    const { databaseId, bucket } = await storage();
    await tp.create(
      await tenant.check(
        tenantArgs([
          { type: "d1", name: "DB", databaseId },
          { type: "r2_bucket", name: "FILES", bucketName: bucket },
        ]),
      ),
    );
    const result = await offboardByTag({ namespace: NS, tags: { "tenant-acme": true } }, emu.credentials);
    expect(result).toEqual({ scripts: ["acme"], deleted: 1, dryRun: false, leftBehind: [`d1 ${databaseId}`, `r2 ${bucket}`] });
    expect((await emu.api("GET", `${emu.apiBase}/accounts/${ACCOUNT_ID}/d1/database/${databaseId}`)).status).toBe(200);
    expect((await emu.api("GET", `${emu.apiBase}/accounts/${ACCOUNT_ID}/r2/buckets/${bucket}`)).status).toBe(200);
  });
});
