/**
 * Accounts are tenants of the emulator too: what one account's Workers store must not reach another's. KV
 * namespaces are named by id in bindings, and two accounts binding the same id get two stores.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { apiCall } from "../helpers/emulator";
import { ACCOUNT, type Harness, scriptForm, start } from "./helpers";
import { get } from "./runtime-helpers";

const OTHER_ACCOUNT = "fedcba9876543210fedcba9876543210";
const KV_ID = "0f2ac74b498b48028cb68387c421e279";
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

/** An account-level Worker with workers.dev on, binding the shared KV id. */
async function deployReader(account: string, name: string): Promise<void> {
  const workers = `${h.apiBase}/accounts/${account}/workers`;
  const put = await apiCall(workers, "PUT", `/scripts/${name}`, {
    body: scriptForm(
      { main_module: "w.mjs", compatibility_date: "2025-06-01", bindings: [{ type: "kv_namespace", name: "KV", namespace_id: KV_ID }] },
      { "w.mjs": { content: WORKER } },
    ),
  });
  expect(put.status, put.text).toBe(200);
  const sub = await apiCall(workers, "POST", `/scripts/${name}/subdomain`, { json: { enabled: true } });
  expect(sub.status, sub.text).toBe(200);
}

test("two accounts binding the same KV namespace id do not share its keys", { timeout: 60_000 }, async () => {
  await deployReader(ACCOUNT, "kv-mine");
  await deployReader(OTHER_ACCOUNT, "kv-theirs");
  const base = h.emu.workersUrl!;
  expect((await get(base, "kv-mine.localhost", "/put?v=account-a-only")).text).toBe("stored");
  expect((await get(base, "kv-mine.localhost", "/")).text).toBe("account-a-only");
  expect((await get(base, "kv-theirs.localhost", "/")).text).toBe("null");
});
