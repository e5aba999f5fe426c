/**
 * Static assets as Cloudflare serves them, through the dispatch Worker to user Workers with assets: the four
 * html_handling modes, not_found_handling, _headers, _redirects, run_worker_first, content types, ETags and the
 * assets binding. The tables follow the examples of Cloudflare's static-assets documentation. One emulator.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Harness, start, uniq } from "../helpers/emulator-api";
import { deployOk, get, routesBinding, type Site } from "../helpers/runtime";

const example = (p: string) => readFileSync(new URL(`../../examples/platform/${p}`, import.meta.url), "utf8");

// Anything that reaches the Worker says so; /via-binding/... is served from its assets binding.
const SITE_WORKER = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (url.pathname.startsWith("/via-binding/")) {
    url.pathname = url.pathname.slice("/via-binding".length);
    return env.ASSETS.fetch(new Request(url, request));
  }
  return new Response("worker " + url.pathname, { headers: { "x-from": "worker" } });
} };`;

const HTML_FILES = { "/index.html": "home", "/file.html": "file", "/folder/index.html": "folder" };

const HEADERS = `/secure/*
  X-Frame-Options: DENY
/*
  X-Robots-Tag: noindex
/static/*
  ! X-Robots-Tag
  Cache-Control: public, max-age=31536000
`;

const REDIRECTS = `/home301 / 301
/home302 / 302
/home /
/querystrings /?query=string 301
/twitch https://twitch.tv
/trailing /trailing/ 301
/blog/* https://blog.my.domain/:splat
/products/:code/:name /products?code=:code&name=:name
/en/* /english 200
`;

const SITES: Record<string, Site> = {
  auto: { files: HTML_FILES, config: { html_handling: "auto-trailing-slash" } },
  force: { files: HTML_FILES, config: { html_handling: "force-trailing-slash" } },
  drop: { files: HTML_FILES, config: { html_handling: "drop-trailing-slash" } },
  none: { files: HTML_FILES, config: { html_handling: "none" } },
  page404: {
    files: { "/index.html": "home", "/404.html": "top 404", "/blog/404.html": "blog 404", "/blog/post.html": "post" },
    config: { not_found_handling: "404-page" },
  },
  page404api: {
    files: { "/index.html": "home", "/404.html": "top 404" },
    config: { not_found_handling: "404-page", run_worker_first: ["/api/*"] },
  },
  spa: { files: { "/index.html": "spa shell", "/app.js": "js" }, config: { not_found_handling: "single-page-application" } },
  nothing: { files: { "/index.html": "home" }, config: { not_found_handling: "none" } },
  rules: {
    files: {
      "/index.html": "home",
      "/secure/page.html": "secret page",
      "/static/app.css": "body{}",
      "/static/app.js": "console.log(1)",
      "/data.json": "{}",
      "/image.png": "png",
      "/english.html": "english",
      "/trailing/index.html": "trailing",
    },
    config: { _headers: HEADERS, _redirects: REDIRECTS },
  },
  first: { files: { "/index.html": "home" }, config: { run_worker_first: true } },
  firstlist: {
    files: { "/index.html": "home", "/api/data.html": "api asset", "/api/public/data.html": "public asset" },
    config: { run_worker_first: ["/api/*", "!/api/public/*"] },
  },
};

let h: Harness;
let base: string;
const host = (tenant: string) => `${tenant}.dispatcher.localhost`;
const req = (tenant: string, path: string, headers: Record<string, string> = {}) => get(base, host(tenant), path, headers);

beforeAll(async () => {
  h = await start({ workersPort: 0 });
  base = h.emu.workersUrl!;
  const ns = uniq("assets-rt");
  expect((await h.api("POST", "/dispatch/namespaces", { json: { name: ns } })).status).toBe(200);
  await Promise.all(
    Object.entries(SITES).map(([name, site]) =>
      deployOk(h, ns, name, { "worker.js": { content: SITE_WORKER } }, { bindings: [{ type: "assets", name: "ASSETS" }] }, site),
    ),
  );
  await deployOk(
    h,
    null,
    "dispatcher",
    { "worker.js": { content: example("dispatcher/worker.js") } },
    {
      bindings: [
        { type: "dispatch_namespace", name: "DISPATCHER", namespace: ns },
        { type: "json", name: "PLANS", json: {} },
        await routesBinding(h, {}),
        { type: "plain_text", name: "ROUTING_DOMAIN", text: "dispatcher.localhost" },
      ],
    },
  );
  expect((await h.api("POST", "/scripts/dispatcher/subdomain", { json: { enabled: true } })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

/** [site, path, status, body (200) or location (3xx)]. */
type Row = [string, string, number, string];

const check = async ([site, path, status, expected]: Row) => {
  const r = await req(site, path);
  const got = status >= 300 && status < 400 ? String(r.headers.location) : r.text;
  expect([r.status, got], `${site} ${path}`).toEqual([status, expected]);
};

describe("html_handling", () => {
  const rows: Row[] = [
    ["auto", "/file", 200, "file"],
    ["auto", "/file.html", 307, "/file"],
    ["auto", "/file/", 307, "/file"],
    ["auto", "/folder", 307, "/folder/"],
    ["auto", "/folder/", 200, "folder"],
    ["auto", "/folder/index.html", 307, "/folder/"],
    ["auto", "/", 200, "home"],
    ["force", "/file", 307, "/file/"],
    ["force", "/file/", 200, "file"],
    ["force", "/file.html", 307, "/file/"],
    ["force", "/folder", 307, "/folder/"],
    ["force", "/folder/", 200, "folder"],
    ["drop", "/file", 200, "file"],
    ["drop", "/file/", 307, "/file"],
    ["drop", "/folder", 200, "folder"],
    ["drop", "/folder/", 307, "/folder"],
    ["drop", "/folder/index.html", 307, "/folder"],
    ["none", "/file.html", 200, "file"],
    ["none", "/folder/index.html", 200, "folder"],
    // No asset at these paths: the Worker runs.
    ["none", "/file", 200, "worker /file"],
    ["none", "/folder/", 200, "worker /folder/"],
  ];
  test.each(rows)("%s %s → %i %s", async (...row) => check(row));
});

describe("not_found_handling", () => {
  const rows: Row[] = [
    ["page404", "/blog/post", 200, "post"],
    // With a Worker, a path no asset matches runs the Worker; the 404 page answers its assets binding.
    ["page404", "/blog/missing", 200, "worker /blog/missing"],
    ["page404", "/via-binding/blog/missing", 404, "blog 404"],
    ["page404", "/via-binding/missing", 404, "top 404"],
    ["spa", "/app.js", 200, "js"],
    ["nothing", "/missing", 200, "worker /missing"],
  ];
  test.each(rows)("%s %s → %i %s", async (...row) => check(row));

  test("single-page-application: a navigation gets the shell, other requests reach the Worker", async () => {
    const nav = await req("spa", "/some/route", { "sec-fetch-mode": "navigate" });
    expect([nav.status, nav.text]).toEqual([200, "spa shell"]);
    const api = await req("spa", "/some/route");
    expect(api.text).toBe("worker /some/route");
  });
});

describe("navigation requests (assets_navigation_prefers_asset_serving)", () => {
  const navigate = { "sec-fetch-mode": "navigate" };

  test("404-page: a browser's navigation to a Worker route gets the 404 page, curl gets the Worker", async () => {
    const browser = await req("page404", "/api/user", navigate);
    expect([browser.status, browser.text]).toEqual([404, "top 404"]);
    expect((await req("page404", "/api/user")).text).toBe("worker /api/user");
  });

  test("run_worker_first rules make the Worker answer its routes for every client", async () => {
    const browser = await req("page404api", "/api/user", navigate);
    expect([browser.status, browser.text]).toEqual([200, "worker /api/user"]);
    const elsewhere = await req("page404api", "/missing", navigate);
    expect([elsewhere.status, elsewhere.text]).toEqual([404, "top 404"]);
  });
});

describe("_redirects", () => {
  const rows: Row[] = [
    ["rules", "/home301", 301, "/"],
    ["rules", "/home302", 302, "/"],
    ["rules", "/home", 302, "/"],
    ["rules", "/querystrings", 301, "/?query=string"],
    ["rules", "/twitch", 302, "https://twitch.tv/"],
    ["rules", "/trailing", 301, "/trailing/"],
    ["rules", "/blog/2024/post", 302, "https://blog.my.domain/2024/post"],
    ["rules", "/products/123/shoe", 302, "/products?code=123&name=shoe"],
    // A 200 rule serves the target without redirecting.
    ["rules", "/en/anything", 200, "english"],
  ];
  test.each(rows)("%s %s → %i %s", async (...row) => check(row));
});

describe("_headers, content types, ETag", () => {
  test("rules apply by path, `!` removes a header set by another rule", async () => {
    const secure = await req("rules", "/secure/page");
    expect(secure.headers["x-frame-options"]).toBe("DENY");
    expect(secure.headers["x-robots-tag"]).toBe("noindex");
    const css = await req("rules", "/static/app.css");
    expect(css.headers["x-robots-tag"]).toBeUndefined();
    expect(css.headers["cache-control"]).toBe("public, max-age=31536000");
  });

  test.each([
    ["/", "text/html; charset=utf-8"],
    ["/static/app.css", "text/css; charset=utf-8"],
    ["/static/app.js", "text/javascript; charset=utf-8"],
    ["/data.json", "application/json"],
    ["/image.png", "image/png"],
  ])("%s is served as %s", async (path, type) => {
    expect(String((await req("rules", path)).headers["content-type"])).toBe(type);
  });

  test("an ETag, and If-None-Match answers 304", async () => {
    const first = await req("rules", "/static/app.css");
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await req("rules", "/static/app.css", { "if-none-match": etag });
    expect([again.status, again.text]).toEqual([304, ""]);
    expect((await req("rules", "/static/app.css", { "if-none-match": '"other"' })).status).toBe(200);
  });
});

describe("run_worker_first and the assets binding", () => {
  const rows: Row[] = [
    ["first", "/", 200, "worker /"],
    ["first", "/via-binding/", 200, "home"],
    ["firstlist", "/", 200, "home"],
    ["firstlist", "/api/data", 200, "worker /api/data"],
    ["firstlist", "/api/public/data", 200, "public asset"],
    ["page404", "/via-binding/blog/post", 200, "post"],
  ];
  test.each(rows)("%s %s → %i %s", async (...row) => check(row));
});
