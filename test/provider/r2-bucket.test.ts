/**
 * R2Bucket against the emulator: lifecycle, jurisdictions, storage class in place, objects kept from accidental
 * deletes (forceDestroy empties the bucket first), adoption, import, gone only by 10006, and the calls each step costs.
 */
import { describe, expect, it } from "vitest";
import { ACCOUNT_ID } from "../helpers/emulator";
import { useEmulator } from "../helpers/provider";
import type { R2BucketInputs, R2BucketOutputs } from "../../provider/resources/r2/bucket";

const emu = useEmulator();
const { R2Bucket: bp } = emu.providers;
const r2Path = (p = "") => `${emu.apiBase}/accounts/${ACCOUNT_ID}/r2/buckets${p}`;
const calls = async () => (await emu.journal()).map((e) => `${e.method} ${e.path.replace(/^.*\/r2\/buckets/, "r2")}`);

async function check(news: Record<string, unknown>): Promise<R2BucketInputs> {
  const r = await bp.check!({}, news);
  expect(r.failures).toEqual([]);
  return r.inputs as R2BucketInputs;
}
/** Puts an object through the documented objects API. */
async function put(bucket: string, key: string, body: string, jurisdiction?: string): Promise<void> {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (jurisdiction) headers["cf-r2-jurisdiction"] = jurisdiction;
  const r = await emu.api("PUT", r2Path(`/${bucket}/objects/${encodeURIComponent(key)}`), { body, headers });
  expect(r.status).toBe(200);
}

describe("R2Bucket", () => {
  it("creates in one call, reads back in one without drift, no call on a no-op, updates the storage class in place, deletes", async () => {
    const inputs = await check({ name: "tenant-files", locationHint: "weur" });
    const created = await bp.create(inputs);
    expect(await calls()).toEqual(["POST r2"]);
    expect(created.id).toBe("tenant-files");
    expect(created.outs).toMatchObject({
      name: "tenant-files",
      jurisdiction: "default",
      storageClass: "Standard",
      locationHint: "weur",
      location: "weur",
    });
    expect((await bp.diff!(created.id, created.outs, inputs)).changes).toBe(false);
    await emu.clearJournal();
    const read = await bp.read!(created.id, created.outs);
    expect(await calls()).toEqual(["GET r2/tenant-files"]);
    expect((await bp.diff!(created.id, read.props, inputs)).changes).toBe(false);

    const infrequent = await check({ name: "tenant-files", locationHint: "weur", storageClass: "InfrequentAccess" });
    expect(await bp.diff!(created.id, created.outs, infrequent)).toMatchObject({ changes: true, replaces: [] });
    const updated = await bp.update!(created.id, created.outs, infrequent);
    expect(updated.outs).toMatchObject({ storageClass: "InfrequentAccess" });
    expect((await emu.api("GET", r2Path("/tenant-files"))).body.result.storage_class).toBe("InfrequentAccess");

    await bp.delete!(created.id, updated.outs);
    expect((await emu.api("GET", r2Path("/tenant-files"))).status).toBe(404);
    expect(await bp.read!(created.id, updated.outs)).toEqual({});
    await bp.delete!(created.id, updated.outs); // already gone: success
  });

  it("a bucket in a jurisdiction: its id carries it, every call sends it, import takes it", async () => {
    const created = await bp.create(await check({ name: "eu-files", jurisdiction: "eu" }));
    expect(created.id).toBe("eu/eu-files");
    expect((await emu.api("GET", r2Path("/eu-files"), { headers: { "cf-r2-jurisdiction": "eu" } })).status).toBe(200);
    expect((await emu.api("GET", r2Path("/eu-files"))).status).toBe(404);
    const imported = await bp.read!("eu/eu-files", {});
    expect(imported).toMatchObject({ id: "eu/eu-files", inputs: { name: "eu-files", jurisdiction: "eu" } });
    await bp.delete!(created.id, created.outs);
    expect((await emu.api("GET", r2Path("/eu-files"), { headers: { "cf-r2-jurisdiction": "eu" } })).status).toBe(404);
  });

  it("deleting a bucket holding objects is refused, naming forceDestroy; with forceDestroy its objects go first", async () => {
    const created = await bp.create(await check({ name: "precious" }));
    await put("precious", "a.txt", "a");
    await put("precious", "dir/b.txt", "b");
    const err = (await bp.delete!(created.id, created.outs).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/delete refused: the bucket holds objects.*10008.*forceDestroy: true/);
    expect((await emu.api("GET", r2Path("/precious"))).status).toBe(200);

    const forced = await check({ name: "precious", forceDestroy: true });
    await emu.clearJournal();
    const updated = await bp.update!(created.id, created.outs, forced);
    expect(await emu.journal()).toEqual([]); // forceDestroy lives in state only
    await bp.delete!(created.id, updated.outs);
    expect((await emu.api("GET", r2Path("/precious"))).status).toBe(404);
  });

  it("a name taken by an empty bucket is adopted; one holding objects is refused with the import command", async () => {
    await emu.api("POST", r2Path(), { json: { name: "left-over" } });
    const adopted = await bp.create(await check({ name: "left-over" }));
    expect(adopted.id).toBe("left-over");
    await put("left-over", "k", "v");
    const err = (await bp.create(await check({ name: "left-over" })).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/holds objects.*pulumi import 'pulumi-nodejs:dynamic\/wfp:R2Bucket' <resource name> left-over/);
  });

  it("a 404 that is not Cloudflare's 10006 is an error, never gone; check refuses bad names and values without a call", async () => {
    const created = await bp.create(await check({ name: "guarded" }));
    await emu.fault({
      method: "GET",
      path: `/client/v4/accounts/${ACCOUNT_ID}/r2/buckets/guarded`,
      status: 404,
      code: 7003,
      message: "Could not route",
    });
    await expect(bp.read!(created.id, created.outs)).rejects.toThrow(/7003/);
    await emu.clearJournal();
    for (const [news, property] of [
      [{ name: "Upper" }, "name"],
      [{ name: "ab" }, "name"],
      [{ name: "ok-name", jurisdiction: "uk" }, "jurisdiction"],
      [{ name: "ok-name", storageClass: "Glacier" }, "storageClass"],
      [{ name: "ok-name", locationHint: "mars" }, "locationHint"],
    ] as const) {
      expect((await bp.check!({}, news)).failures[0], JSON.stringify(news)).toMatchObject({ property });
    }
    expect(await emu.journal()).toEqual([]);
  });

  it("diff: name, jurisdiction and location hint replace (the old one first when the name stays)", async () => {
    const outs: R2BucketOutputs = { name: "a-b", jurisdiction: "default", storageClass: "Standard", forceDestroy: false };
    expect(await bp.diff!("a-b", outs, await check({ name: "a-b" }))).toMatchObject({ changes: false });
    expect(await bp.diff!("a-b", outs, await check({ name: "c-d" }))).toMatchObject({ replaces: ["name"], deleteBeforeReplace: false });
    expect(await bp.diff!("a-b", outs, await check({ name: "a-b", jurisdiction: "eu" }))).toMatchObject({
      replaces: ["jurisdiction"],
      deleteBeforeReplace: true,
    });
  });
});
