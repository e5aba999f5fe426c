/**
 * The example platform's code on the runtime: its dispatch and outbound Workers and the three example tenants
 * (examples/platform/tenants.yaml), uploaded through the API as the provider uploads them, requested through the
 * dispatcher by subdomain, as `npm start` would print them. One emulator for the file.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Harness, start, uniq } from "../helpers/emulator-api";
import { deployOk, get, kvBinding, routesBinding } from "../helpers/runtime";

const root = new URL("../../examples/platform/", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), "utf8");
const js = (content: string) => ({ content });

/** The site as the provider uploads it: every file but `.assetsignore`'s, `_headers` and `_redirects` in the config. */
function site(dir: string) {
  const base = new URL(`${dir}/`, root);
  const ignore = read(`${dir}/.assetsignore`)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((glob) => new RegExp(`^${glob.replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`));
  const files: Record<string, string> = {};
  for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const rel = `${entry.parentPath.slice(base.pathname.length - 1)}/${entry.name}`.replace(/^\/+/, "/");
    if (["/.assetsignore", "/_headers", "/_redirects"].includes(rel) || ignore.some((re) => re.test(entry.name))) continue;
    files[rel] = readFileSync(`${entry.parentPath}/${entry.name}`, "utf8");
  }
  return {
    files,
    config: {
      html_handling: "auto-trailing-slash",
      not_found_handling: "404-page",
      _headers: read(`${dir}/_headers`),
      _redirects: read(`${dir}/_redirects`),
    },
  };
}

let h: Harness;
let base: string;
let ns: string;
const host = (tenant: string) => `${tenant}.localhost`;
const STRIPE = "sk_test_example";
const WEBHOOK = "whsec_example";

beforeAll(async () => {
  h = await start({ workersPort: 0 });
  base = h.emu.workersUrl!;
  ns = uniq("platform");
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: ns } })).status).toBe(200);
  await deployOk(
    h,
    null,
    "outbound",
    { "worker.js": js(read("outbound/worker.js")) },
    {
      bindings: [{ type: "json", name: "BLOCKED_HOSTS", json: ["blocked.example"] }],
    },
  );
  await Promise.all([
    deployOk(
      h,
      ns,
      "acme",
      { "worker.js": js(read("tenants/acme/worker.js")) },
      { bindings: [{ type: "assets", name: "ASSETS" }] },
      site("tenants/acme/public"),
    ),
    deployOk(
      h,
      ns,
      "globex",
      { "worker.js": js(read("tenants/globex/worker.js")) },
      {
        compatibility_flags: ["nodejs_compat"],
        bindings: [
          await kvBinding(h, "SESSIONS"),
          { type: "plain_text", name: "REGION", text: "eu" },
          { type: "secret_text", name: "STRIPE_KEY", text: STRIPE },
          { type: "secret_text", name: "WEBHOOK_SECRET", text: WEBHOOK },
        ],
      },
    ),
    deployOk(
      h,
      ns,
      "initech",
      {
        "index.js": js(read("tenants/initech/src/index.js")),
        "router.js": js(read("tenants/initech/src/router.js")),
        "banner.txt": { content: read("tenants/initech/src/banner.txt"), type: "text/plain" },
      },
      { bindings: [{ type: "json", name: "FEATURES", json: { reports: true, tps: 3 } }] },
    ),
  ]);
  await deployOk(
    h,
    null,
    "dispatcher",
    { "worker.js": js(read("dispatcher/worker.js")) },
    {
      bindings: [
        {
          type: "dispatch_namespace",
          name: "DISPATCHER",
          namespace: ns,
          outbound: { worker: { service: "outbound" }, params: [{ name: "tenant_id" }] },
        },
        { type: "json", name: "PLANS", json: { free: { cpuMs: 50, subRequests: 10 }, pro: { cpuMs: 500, subRequests: 50 } } },
        await routesBinding(h, { acme: "free", globex: "pro", initech: "pro" }, { "shop.globex.example": "globex" }),
        { type: "plain_text", name: "ROUTING_DOMAIN", text: "localhost" },
      ],
    },
  );
  expect((await h.api("POST", "/scripts/dispatcher/subdomain", { json: { enabled: true } })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

test("acme: its site, styles with their _headers, a _redirects rule, the 404 page; the draft is not deployed", async () => {
  const home = await get(base, host("acme"), "/");
  expect([home.status, home.headers["x-frame-options"]]).toEqual([200, "DENY"]);
  expect(home.text).toContain("<h1>Acme Corporation</h1>");
  const css = await get(base, host("acme"), "/style.css");
  expect([css.status, css.headers["cache-control"], String(css.headers["content-type"])]).toEqual([
    200,
    "public, max-age=3600",
    "text/css; charset=utf-8",
  ]);
  expect((await get(base, host("acme"), "/docs")).headers.location).toBe("/docs/");
  expect((await get(base, host("acme"), "/home")).headers.location).toBe("/");
  const missing = await get(base, host("acme"), "/launch.draft");
  expect([missing.status, missing.text]).toEqual([404, read("tenants/acme/public/404.html")]);
});

test("globex: secrets and KV reach its Worker (the response proves it without showing them)", async () => {
  // Without ?session= its Worker asks KV for "" and fails ("Key name cannot be empty."), as on Cloudflare.
  const r = await get(base, host("globex"), "/?session=s1", { "x-signature": WEBHOOK });
  expect(JSON.parse(r.text)).toEqual({ region: "eu", signed: true, session: false, billing: true });
  expect(r.text).not.toContain(STRIPE);
  const unsigned = await get(base, host("globex"), "/?session=s1", { "x-signature": createHash("sha256").update(WEBHOOK).digest("hex") });
  expect(JSON.parse(unsigned.text).signed).toBe(false);
});

test("globex by its own hostname: the dispatcher finds it in the routing KV namespace", async () => {
  const r = await get(base, "shop.globex.example", "/?session=s1", { "x-signature": WEBHOOK });
  expect(r.status, r.text).toBe(200);
  expect(JSON.parse(r.text)).toMatchObject({ region: "eu", signed: true });
  expect((await get(base, "unknown.example", "/")).status).toBe(404);
});

test("initech: several modules, a text module, a JSON binding; path routing reaches it too", async () => {
  const r = await get(base, host("initech"), "/reports");
  expect([r.status, r.text, r.headers["x-banner"]]).toEqual([200, "TPS reports: 3", "Initech: Is this good for the company?"]);
  expect((await get(base, "127.0.0.1", "/initech/")).text).toBe("Initech");
});

test("a tenant that does not exist gets the dispatcher's 404", async () => {
  expect(await get(base, host("hooli"), "/")).toMatchObject({ status: 404, text: 'No tenant "hooli"\n' });
});

test("the README's cron example: acme's scheduled() runs and answers ok", async () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const example = /curl -X POST "http:\/\/127\.0\.0\.1:PORT(\/__emulator\/scheduled\?[^"]+)"/.exec(readme)?.[1];
  expect(example).toBe("/__emulator/scheduled?namespace=platform-tenants&script=acme");
  const r = await fetch(`${h.url}${example!.replace("platform-tenants", ns)}`, { method: "POST" });
  expect(await r.json()).toEqual({ outcome: "ok", noRetry: false });
});
