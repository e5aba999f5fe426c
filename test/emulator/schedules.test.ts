/**
 * Cron triggers in the emulator's API: `.../scripts/:script/schedules` for user Workers and account-level Workers
 * (the whole list replaced at once, kept across uploads, gone with the script, persisted), and the operator's
 * trigger without a runtime.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { envelopeCodes, type Harness, scriptForm, start, uniq } from "../helpers/emulator-api";
import { startTestEmulator } from "../helpers/emulator";
import { tempDir } from "../helpers/files";

let h: Harness;
let NS: string;
const dataDir = tempDir("schedules-persist");

const upload = (path: string) => h.api("PUT", path, { body: scriptForm({ main_module: "worker.mjs", compatibility_date: "2025-06-01" }) });

describe("schedules", () => {
  beforeAll(async () => {
    h = await start({ validateUploads: false });
  });
  afterAll(async () => h.close());
  beforeEach(async () => {
    await h.reset();
    NS = uniq("ns");
    expect((await h.api("POST", "/dispatch/namespaces", { json: { name: NS } })).status).toBe(200);
  });

  for (const kind of ["namespace", "account"] as const) {
    const path = (script: string) => (kind === "namespace" ? `/dispatch/namespaces/${NS}/scripts/${script}` : `/scripts/${script}`);

    it(`${kind}: none at first, a PUT replaces the list, created_on kept for a cron kept, an upload keeps them`, async () => {
      expect((await upload(path("cron"))).status).toBe(200);
      const empty = await h.api("GET", `${path("cron")}/schedules`);
      expect(empty.body).toMatchObject({ success: true, result: { schedules: [] } });

      const put = await h.api("PUT", `${path("cron")}/schedules`, { json: [{ cron: "*/5 * * * *" }, { cron: "0 17 * * sun" }] });
      expect(put.status).toBe(200);
      expect(put.body.result.schedules.map((s: { cron: string }) => s.cron)).toEqual(["*/5 * * * *", "0 17 * * sun"]);
      const first = put.body.result.schedules[0];
      expect(first.created_on).toMatch(/^\d{4}-\d\d-\d\dT/);

      const again = await h.api("PUT", `${path("cron")}/schedules`, { json: [{ cron: "*/5 * * * *" }] });
      expect(again.body.result.schedules).toEqual([first]);

      expect((await upload(path("cron"))).status).toBe(200);
      expect((await h.api("GET", `${path("cron")}/schedules`)).body.result.schedules).toEqual([first]);

      const cleared = await h.api("PUT", `${path("cron")}/schedules`, { json: [] });
      expect(cleared.body.result.schedules).toEqual([]);
    });

    it(`${kind}: a bad cron is 10100 naming it, and changes nothing`, async () => {
      await upload(path("cron"));
      await h.api("PUT", `${path("cron")}/schedules`, { json: [{ cron: "0 * * * *" }] });
      for (const body of [[{ cron: "61 * * * *" }], [{ cron: "* * * *" }], { cron: "* * * * *" }, [{ schedule: "* * * * *" }]]) {
        const r = await h.api("PUT", `${path("cron")}/schedules`, { json: body });
        expect(r.status).toBe(400);
        expect(envelopeCodes(r.body)).toEqual([10100]);
      }
      const r = await h.api("PUT", `${path("cron")}/schedules`, { json: [{ cron: "61 * * * *" }] });
      expect(r.body.errors[0].message).toMatch(/"61 \* \* \* \*".*minute: 61 is out of range 0-59/);
      expect((await h.api("GET", `${path("cron")}/schedules`)).body.result.schedules.map((s: { cron: string }) => s.cron)).toEqual([
        "0 * * * *",
      ]);
    });

    it(`${kind}: a missing script answers its scope's code; a deleted script's schedules go with it`, async () => {
      const code = kind === "namespace" ? 10092 : 10007;
      for (const method of ["GET", "PUT"]) {
        const r = await h.api(method, `${path("nope")}/schedules`, method === "PUT" ? { json: [] } : {});
        expect(r.status).toBe(404);
        expect(envelopeCodes(r.body)).toEqual([code]);
      }
      await upload(path("cron"));
      await h.api("PUT", `${path("cron")}/schedules`, { json: [{ cron: "0 * * * *" }] });
      expect((await h.api("DELETE", path("cron"))).status).toBe(200);
      await upload(path("cron"));
      expect((await h.api("GET", `${path("cron")}/schedules`)).body.result.schedules).toEqual([]);
    });
  }

  it("the operator's trigger: 404 for no Worker, 409 without a runtime", async () => {
    const trigger = (q: string) => fetch(`${h.url}/__emulator/scheduled?${q}`, { method: "POST" });
    expect((await trigger(`namespace=${NS}&script=none`)).status).toBe(404);
    expect((await trigger("")).status).toBe(400);
    await upload(`/dispatch/namespaces/${NS}/scripts/cron`);
    const r = await trigger(`namespace=${NS}&script=cron&cron=*/5+*+*+*+*`);
    expect(r.status).toBe(409);
    expect(await r.text()).toMatch(/--workers-port/);
    // Loopback only, as every operator endpoint.
    const foreign = await fetch(`${h.url}/__emulator/scheduled?namespace=${NS}&script=cron`, {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
  });
});

it("schedules survive a restart of a persistent emulator", async () => {
  const one = await startTestEmulator({ dataDir, validateUploads: false });
  await one.api("PUT", "/scripts/cron", { body: scriptForm({ main_module: "worker.mjs", compatibility_date: "2025-06-01" }) });
  await one.api("PUT", "/scripts/cron/schedules", { json: [{ cron: "0 3 * * *" }] });
  await one.close();
  const two = await startTestEmulator({ dataDir, validateUploads: false });
  try {
    expect((await two.api("GET", "/scripts/cron/schedules")).body.result.schedules.map((s: { cron: string }) => s.cron)).toEqual([
      "0 3 * * *",
    ]);
  } finally {
    await two.close();
  }
});
