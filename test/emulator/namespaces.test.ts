/** Dispatch namespaces: CRUD through the SDK where it has methods, raw requests elsewhere. */
import Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startEmulator } from "../../emulator/index";
import { ACCOUNT, envelopeCodes, scriptForm, start, uniq, type Harness } from "../helpers/emulator-api";

let h: Harness;
beforeAll(async () => {
  h = await start();
});
afterAll(async () => {
  await h.emu.close();
});

const ns = () => h.cf.workersForPlatforms.dispatch.namespaces;

describe("namespaces", () => {
  test("create, get and list through the SDK", async () => {
    const name = uniq("ns");
    const created = await ns().create({ account_id: ACCOUNT, name });
    expect(created.namespace_name).toBe(name);
    expect(created.namespace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.script_count).toBe(0);
    expect(created.trusted_workers).toBe(false);
    expect(created.created_on).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(created.created_by).toMatch(/^[0-9a-f]{32}$/);
    const got = await ns().get(name, { account_id: ACCOUNT });
    expect(got).toEqual(created);
    const names: string[] = [];
    for await (const n of ns().list({ account_id: ACCOUNT })) names.push(n.namespace_name!);
    expect(names).toContain(name);
  });

  test("duplicate name → 400 100120", async () => {
    const name = uniq("dup");
    await ns().create({ account_id: ACCOUNT, name });
    const err = (await ns()
      .create({ account_id: ACCOUNT, name })
      .catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
    expect(err).toBeInstanceOf(Cloudflare.BadRequestError);
    expect(err.errors[0]!.code).toBe(100120);
    expect(err.errors[0]!.message).toMatch(/already exists/);
  });

  test("missing namespace → 404 100119 for GET, PUT, PATCH, DELETE and scripts", async () => {
    const err = (await ns()
      .get("does-not-exist", { account_id: ACCOUNT })
      .catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
    expect(err).toBeInstanceOf(Cloudflare.NotFoundError);
    expect(err.errors[0]!.code).toBe(100119);
    for (const [method, path] of [
      ["PUT", "/dispatch/namespaces/does-not-exist"],
      ["PATCH", "/dispatch/namespaces/does-not-exist"],
      ["DELETE", "/dispatch/namespaces/does-not-exist"],
      ["GET", "/dispatch/namespaces/does-not-exist/scripts"],
      ["GET", "/dispatch/namespaces/does-not-exist/scripts/x"],
    ] as const) {
      const r = await h.api(method, path, method === "PUT" || method === "PATCH" ? { json: {} } : {});
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(envelopeCodes(r.body)).toEqual([100119]);
    }
  });

  test("invalid names and malformed JSON are rejected", async () => {
    for (const name of ["Upper", "has space", "-lead", "a".repeat(64), "under_score", 42]) {
      const r = await h.api("POST", "/dispatch/namespaces", { json: { name } });
      expect(r.status, String(name)).toBe(400);
      expect(r.body.success).toBe(false);
    }
    const bad = await h.api("POST", "/dispatch/namespaces", { body: "{not json", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(envelopeCodes(bad.body)).toEqual([6007]);
  });

  test("PUT renames and keeps the id and the scripts; PATCH changes only what it names", async () => {
    const name = uniq("ren");
    const created = await ns().create({ account_id: ACCOUNT, name });
    await h.api("PUT", `/dispatch/namespaces/${name}/scripts/kept`, { body: scriptForm({ main_module: "worker.mjs" }) });
    const patched = await h.api("PATCH", `/dispatch/namespaces/${name}`, { json: { trusted_workers: true } });
    expect(patched.body.result).toMatchObject({ namespace_name: name, trusted_workers: true });
    const renamed = uniq("renamed");
    const put = await h.api("PUT", `/dispatch/namespaces/${name}`, { json: { name: renamed } });
    expect(put.status).toBe(200);
    expect(put.body.result).toMatchObject({
      namespace_id: created.namespace_id,
      namespace_name: renamed,
      script_count: 1,
      trusted_workers: false,
    });
    expect((await h.api("GET", `/dispatch/namespaces/${name}`)).status).toBe(404);
    expect((await h.api("GET", `/dispatch/namespaces/${renamed}/scripts/kept`)).status).toBe(200);
    // Renaming onto an existing name → 100120.
    const other = uniq("other");
    await ns().create({ account_id: ACCOUNT, name: other });
    const clash = await h.api("PUT", `/dispatch/namespaces/${renamed}`, { json: { name: other } });
    expect(clash.status).toBe(400);
    expect(envelopeCodes(clash.body)).toEqual([100120]);
  });

  test("script_count tracks scripts; DELETE cascades by default", async () => {
    const name = uniq("casc");
    await ns().create({ account_id: ACCOUNT, name });
    await h.api("PUT", `/dispatch/namespaces/${name}/scripts/a`, { body: scriptForm({ main_module: "worker.mjs" }) });
    await h.api("PUT", `/dispatch/namespaces/${name}/scripts/b`, { body: scriptForm({ main_module: "worker.mjs" }) });
    expect((await ns().get(name, { account_id: ACCOUNT })).script_count).toBe(2);
    expect(await ns().delete(name, { account_id: ACCOUNT })).toBeNull();
    expect((await h.api("GET", `/dispatch/namespaces/${name}`)).status).toBe(404);
    // Recreating the name starts empty.
    await ns().create({ account_id: ACCOUNT, name });
    expect((await ns().get(name, { account_id: ACCOUNT })).script_count).toBe(0);
  });

  test("namespaceDelete: reject refuses a non-empty namespace with 400 10075", async () => {
    const emu = await startEmulator({ port: 0, namespaceDelete: "reject", rateLimit: false });
    try {
      const cf = new Cloudflare({ apiToken: "local-dev-token", baseURL: emu.apiBase, maxRetries: 0 });
      await cf.workersForPlatforms.dispatch.namespaces.create({ account_id: ACCOUNT, name: "full" });
      const res = await fetch(`${emu.apiBase}/accounts/${ACCOUNT}/workers/dispatch/namespaces/full/scripts/s`, {
        method: "PUT",
        headers: { authorization: "Bearer local-dev-token" },
        body: scriptForm({ main_module: "worker.mjs" }),
      });
      expect(res.status).toBe(200);
      const err = (await cf.workersForPlatforms.dispatch.namespaces
        .delete("full", { account_id: ACCOUNT })
        .catch((e: unknown) => e)) as InstanceType<typeof Cloudflare.APIError>;
      expect(err.status).toBe(400);
      expect(err.errors[0]!.code).toBe(10075);
      await cf.workersForPlatforms.dispatch.namespaces.scripts.delete("s", { account_id: ACCOUNT, dispatch_namespace: "full" });
      expect(await cf.workersForPlatforms.dispatch.namespaces.delete("full", { account_id: ACCOUNT })).toBeNull();
    } finally {
      await emu.close();
    }
  });

  test("POST without a name generates one", async () => {
    const r = await h.api("POST", "/dispatch/namespaces", { json: {} });
    expect(r.status).toBe(200);
    expect(r.body.result.namespace_name).toMatch(/^namespace-[0-9a-f]{8}$/);
  });
});
