/**
 * Accounts are tenants of the emulator too: what one account's Workers store must not reach another's. KV
 * namespaces are named by id in bindings: an upload may bind only its own account's namespaces (10041 otherwise,
 * as Cloudflare answers), so another account's id cannot reach its keys.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { apiCall } from "../helpers/emulator";
import { ACCOUNT, type Harness, scriptForm, start } from "../helpers/emulator-api";
import { get } from "../helpers/runtime";

const OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";
const WORKER = `export default { async fetch(req, env) {
  const url = new URL(req.url);
  if (url.pathname === "/put") { await env.KV.put("secret", url.searchParams.get("v")); return new Response("stored"); }
  return new Response(String(await env.KV.get("secret")));
} };`;

let h: Harness;
beforeAll(async () => {
  h = await start({ workersPort: 0, validateUploads: false });
});
afterAll(async () => {
  await h?.close();
});

/** Uploads an account-level Worker binding KV namespace `kvId`, with workers.dev on when the upload passes. */
async function deployReader(account: string, name: string, kvId: string) {
  const workers = `${h.apiBase}/accounts/${account}/workers`;
  const put = await apiCall(workers, "PUT", `/scripts/${name}`, {
    body: scriptForm(
      { main_module: "w.mjs", compatibility_date: "2025-06-01", bindings: [{ type: "kv_namespace", name: "KV", namespace_id: kvId }] },
      { "w.mjs": { content: WORKER } },
    ),
  });
  if (put.status === 200) {
    const sub = await apiCall(workers, "POST", `/scripts/${name}/subdomain`, { json: { enabled: true } });
    expect(sub.status, sub.text).toBe(200);
  }
  return put;
}

test("another account's KV namespace id cannot be bound, so its keys stay out of reach", { timeout: 60_000 }, async () => {
  const created = await apiCall(`${h.apiBase}/accounts/${ACCOUNT}`, "POST", "/storage/kv/namespaces", { json: { title: "mine" } });
  expect(created.status, created.text).toBe(200);
  const kvId: string = created.body.result.id;
  expect((await deployReader(ACCOUNT, "kv-mine", kvId)).status).toBe(200);
  const base = h.emu.workersUrl!;
  expect((await get(base, "kv-mine.localhost", "/put?v=account-a-only")).text).toBe("stored");
  expect((await get(base, "kv-mine.localhost", "/")).text).toBe("account-a-only");

  const theirs = await deployReader(OTHER_ACCOUNT, "kv-theirs", kvId);
  expect([theirs.status, theirs.body.errors]).toEqual([400, [{ code: 10041, message: `KV namespace '${kvId}' not found` }]]);
});
