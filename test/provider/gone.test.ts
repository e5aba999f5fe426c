/**
 * "Gone" means Cloudflare said so, in its envelope, with the code for that thing. Every resource's read and
 * delete is driven against answers that are 404s but not that: a base URL that routes elsewhere, an HTML page,
 * a JSON body that is not an envelope, and Cloudflare's own "could not route" (7003). Each must fail, naming
 * the status (and, when Cloudflare is not the one speaking, the URL), and never report the resource deleted.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderRun } from "../../provider/run";
import { baseUrlProblem } from "../../provider/credentials";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { boundProviders } from "../helpers/provider";

const NO_RETRY = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0, deadlineMs: 10_000, timeoutMs: 5_000 };

/** What the impostor answers every request with. */
interface Answer {
  status: number;
  type: string;
  body: string;
}

const ANSWERS: Record<string, Answer> = {
  "an HTML 404 (a proxy or a wrong host)": { status: 404, type: "text/html", body: "<html><body><h1>404 Not Found</h1></body></html>" },
  "a JSON 404 that is not an envelope": { status: 404, type: "application/json", body: JSON.stringify({ error: "not found" }) },
  "Cloudflare's could-not-route (7003)": {
    status: 404,
    type: "application/json",
    body: JSON.stringify({
      success: false,
      errors: [
        { code: 7003, message: "Could not route to /x, perhaps your object identifier is invalid?" },
        { code: 7000, message: "No route for that URI" },
      ],
      messages: [],
      result: null,
    }),
  },
};

const SCRIPT = { namespace: "customers", name: "acme" };
const ZONE_ID = "0123456789abcdef0123456789abcdef";
const OUTPUTS = {
  DispatchNamespace: { name: "customers", namespaceId: "5f4dcc3b-5aa7-4b2d-9c6f-0123456789ab", trustedWorkers: false, forceDestroy: false },
  UserScript: { ...SCRIPT, modules: [], mainModule: "index.js", etag: "e1", deployedEtag: "e1" },
  ScriptSecret: { namespace: "customers", scriptName: "acme", name: "API_KEY", valueHash: "h" },
  StaticAssets: {
    namespace: "customers",
    scriptName: "acme",
    directory: ".",
    digest: "d",
    maxFiles: 1,
    uploadConcurrency: 1,
    fileCount: 1,
    totalBytes: 1,
  },
  WorkerDomain: { hostname: "app.acme.com", service: "site", zone: "acme.com", zoneId: ZONE_ID, domainId: "d1", adopt: false },
  WorkerRoute: { pattern: "*/*", script: "site", zone: "acme.com", zoneId: ZONE_ID, routeId: "r1", adopt: false },
  CustomHostname: { hostname: "shop.acme.com", zone: "acme.com", zoneId: ZONE_ID, customHostnameId: "c1", sslMethod: "txt", adopt: false },
  KvNamespace: { title: "sessions", namespaceId: "0f2ac74b498b48028cb68387c421e279" },
  KvEntries: { namespaceId: "0f2ac74b498b48028cb68387c421e279", hashes: { "acme.example.com": "h" } },
};
const IDS = {
  DispatchNamespace: OUTPUTS.DispatchNamespace.namespaceId,
  UserScript: "customers/acme",
  ScriptSecret: "customers/acme/API_KEY",
  StaticAssets: "customers/acme",
  WorkerDomain: "d1",
  WorkerRoute: "r1",
  CustomHostname: "c1",
  KvNamespace: "0f2ac74b498b48028cb68387c421e279",
  KvEntries: "0f2ac74b498b48028cb68387c421e279/a1b2c3d4",
};
let server: Server;
let answer: Answer;
let baseUrl: string;
let run: ProviderRun;

const PROVIDERS = boundProviders(() => run);
type Kind = keyof typeof IDS;
const KINDS = Object.keys(IDS) as Kind[];

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
  run = new ProviderRun({ stack: { apiToken: TEST_TOKEN, accountId: ACCOUNT_ID, baseUrl }, client: { policy: NO_RETRY } });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe.each(Object.entries(ANSWERS))("against %s", (_what, a) => {
  const expected = a.body.includes("7003") ? /HTTP 404, Cloudflare error 7003/ : /HTTP 404 from (GET|DELETE|POST) http/;

  it.each(KINDS)("%s read fails instead of reporting the resource gone", async (kind) => {
    answer = a;
    await expect(PROVIDERS[kind].read!(IDS[kind], OUTPUTS[kind] as never)).rejects.toThrow(expected);
  });

  // StaticAssets delete makes no call: Cloudflare has no endpoint to delete assets.
  it.each(KINDS.filter((k) => k !== "StaticAssets"))("%s delete fails instead of succeeding", async (kind) => {
    answer = a;
    await expect(PROVIDERS[kind].delete!(IDS[kind], OUTPUTS[kind] as never)).rejects.toThrow(expected);
  });

  it("names the URL when the answer is not Cloudflare's", async () => {
    answer = a;
    const error = await PROVIDERS.UserScript.read!(IDS.UserScript, OUTPUTS.UserScript as never).catch((e: Error) => e);
    if (a.body.includes("7003")) expect(String(error)).not.toContain(baseUrl);
    else expect(String(error)).toContain(`${baseUrl}/accounts/${ACCOUNT_ID}/workers/dispatch/namespaces/customers/scripts/acme`);
  });
});

describe("the configured base URL", () => {
  it.each([
    ["http://127.0.0.1:8787", /must end in \/client\/v4/],
    ["https://api.cloudflare.com/client/v4/accounts", /must end in \/client\/v4/],
    ["ftp://api.cloudflare.com/client/v4", /http or https/],
    ["not a url", /expected an http\(s\) URL/],
  ])("%s is refused before any request", (url, reason) => {
    expect(baseUrlProblem(url)).toMatch(reason);
  });

  it.each(["https://api.cloudflare.com/client/v4", "http://127.0.0.1:8787/client/v4/", "https://proxy.example/cf/client/v4"])(
    "%s is accepted",
    (url) => {
      expect(baseUrlProblem(url)).toBeUndefined();
    },
  );
});
