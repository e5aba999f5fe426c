/**
 * A person with a browser: headless Chromium opens the example tenant acme (its dispatcher and site, from
 * examples/platform) at its own hostname, a custom hostname of the platform's zone resolved to the workers port with
 * `--host-resolver-rules`, and at its subdomain `acme.localhost`, and sees the page styled by its stylesheet, its 404
 * page, and a `_redirects` redirect followed. Chromium is installed on demand (apt-get); without it the test is
 * skipped, saying why.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Browser, ensureChromium } from "../helpers/chromium";
import { ACCOUNT, type Harness, start, uniq } from "../helpers/emulator-api";
import { deployOk, routesBinding } from "../helpers/runtime";

const root = new URL("../../examples/platform/", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), "utf8");
const HOST = "shop.acme.test";

function site(dir: string) {
  const base = new URL(`${dir}/`, root);
  const files: Record<string, string> = {};
  for (const entry of readdirSync(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith(".") || entry.name.startsWith("_") || entry.name.includes(".draft.")) continue;
    const rel = `${entry.parentPath.slice(base.pathname.length - 1)}/${entry.name}`.replace(/^\/+/, "/");
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

const chromium = await ensureChromium();
if ("why" in chromium) console.warn(`browser test skipped: ${chromium.why}`);

describe.skipIf("why" in chromium)("a tenant in a real browser", () => {
  let h: Harness;
  let browser: Browser;
  let port: string;

  beforeAll(async () => {
    h = await start({ workersPort: 0 });
    port = new URL(h.emu.workersUrl!).port;
    const ns = uniq("browser");
    expect((await h.api("POST", "/dispatch/namespaces", { json: { name: ns } })).status).toBe(200);
    await deployOk(
      h,
      ns,
      "acme",
      { "worker.js": { content: read("tenants/acme/worker.js") } },
      { bindings: [{ type: "assets", name: "ASSETS" }] },
      site("tenants/acme/public"),
    );
    await deployOk(
      h,
      null,
      "dispatcher",
      { "worker.js": { content: read("dispatcher/worker.js") } },
      {
        bindings: [
          { type: "dispatch_namespace", name: "DISPATCHER", namespace: ns },
          { type: "json", name: "PLANS", json: { free: { cpuMs: 50, subRequests: 10 } } },
          await routesBinding(h, { acme: "free" }, { [HOST]: "acme" }),
          { type: "plain_text", name: "ROUTING_DOMAIN", text: "localhost" },
        ],
      },
    );
    expect((await h.api("POST", "/scripts/dispatcher/subdomain", { json: { enabled: true } })).status).toBe(200);
    const api = (method: string, p: string, json: unknown) => h.api(method, `${h.apiBase}${p}`, { json });
    const zone = (await api("POST", "/zones", { account: { id: ACCOUNT }, name: "platform.test" })).body.result.id;
    expect((await api("POST", `/zones/${zone}/workers/routes`, { pattern: "*/*", script: "dispatcher" })).status).toBe(200);
    expect((await api("POST", `/zones/${zone}/custom_hostnames`, { hostname: HOST, ssl: { method: "txt", type: "dv" } })).status).toBe(200);
    expect((await fetch(`${h.url}/__emulator/custom-hostnames/${HOST}/activate`, { method: "POST" })).status).toBe(200);
    browser = await Browser.launch((chromium as { path: string }).path, `MAP ${HOST} 127.0.0.1`);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const origins = () => [`http://${HOST}:${port}`, `http://acme.localhost:${port}`];

  test("the home page, styled by its stylesheet, at the tenant's own hostname and at its subdomain", async () => {
    for (const origin of origins()) {
      const page = await browser.open(`${origin}/`);
      expect(page, origin).toMatchObject({ status: 200, title: "Acme", h1: "Acme Corporation", href: `${origin}/` });
      // h1 { color: #c0392b } from /style.css: the stylesheet loaded through the same host.
      expect(page.h1Color, origin).toBe("rgb(192, 57, 43)");
    }
  });

  test("a missing page shows the tenant's 404 page", async () => {
    for (const origin of origins()) {
      const page = await browser.open(`${origin}/no/such/page`);
      expect(page, origin).toMatchObject({ status: 404, title: "Not found", h1: "Nothing here" });
    }
  });

  test("a _redirects rule is followed to the page it names", async () => {
    for (const origin of origins()) {
      const page = await browser.open(`${origin}/home`);
      expect(page, origin).toMatchObject({ status: 200, href: `${origin}/`, title: "Acme" });
    }
  });
});
