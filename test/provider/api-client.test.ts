import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { useEmulator } from "../helpers/provider";
import { providerSource, type ResourceKind } from "../../provider/resources/resource-kit";
import { handler, providers } from "../../provider/dynamic";
import { execFile } from "node:child_process";
import Module from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { resolveCredentials, stackConfigFrom } from "../../provider/credentials";
import { getScript, listScripts, scriptPath } from "../../provider/api/scripts";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { ERROR_CODES } from "../../cloudflare/errors";

const op = { resource: "test", operation: "read" };
const ROOT = path.resolve(__dirname, "../..");
const KINDS = Object.keys(providers) as ResourceKind[];
const emptyInputFailures = async (provider: pulumi.dynamic.ResourceProvider) => (await provider.check!({}, {})).failures ?? [];

describe("API helpers and serialization", () => {
  const emu = useEmulator();

  it.each<ResourceKind>(KINDS)(
    "the %s provider stored in state holds neither the token nor the account id, and loads the right provider",
    async (kind) => {
      // Credentials are configured and have been read in this process, as in the provider plugin.
      const config: Record<string, string> = {
        "cloudflare:apiToken": TEST_TOKEN,
        "cloudflare:accountId": ACCOUNT_ID,
        "cloudflare:baseUrl": emu.apiBase,
      };
      resolveCredentials({}, stackConfigFrom({ get: (key) => config[key] }));
      const source = providerSource(kind);
      expect(source).not.toContain(TEST_TOKEN);
      expect(source).not.toContain(ACCOUNT_ID);
      // Load it the way Pulumi's dynamic-provider host does: a module compiled from the string.
      const mod = new Module("__provider") as Module & { _compile(code: string, file: string): void };
      mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
      mod._compile(source, path.join(process.cwd(), "__provider.js"));
      const provider = (mod.exports as { handler(): pulumi.dynamic.ResourceProvider }).handler();
      expect(Object.keys(provider).sort()).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
      // The compiled package's provider (dist/, resolved by name) is this kind's: an empty input fails its check
      // as it fails the source's provider of this kind, and unlike any other kind's.
      const failures = await emptyInputFailures(provider);
      expect(failures.length).toBeGreaterThan(0);
      expect(failures).toEqual(await emptyInputFailures(handler(kind)));
      for (const other of KINDS.filter((k) => k !== kind)) expect(failures).not.toEqual(await emptyInputFailures(handler(other)));
    },
  );

  it("lists script names and reports a missing script as undefined", async () => {
    await emu.api("POST", "/dispatch/namespaces", { json: { name: "many" } });
    for (const name of ["a", "b", "c"]) {
      const form = buildScriptUploadForm({ main_module: "i.js" }, [
        { name: "i.js", type: "application/javascript+module", content: 'export default { fetch() { return new Response("ok"); } }' },
      ]);
      expect((await emu.api("PUT", `/dispatch/namespaces/many/scripts/${name}`, { body: form })).status).toBe(200);
    }
    const api = emu.client();
    expect(await listScripts(api, "many", op)).toEqual(["a", "b", "c"]);
    expect(await getScript(api, { namespace: "many", script: "zzz" }, op)).toBeUndefined();
    expect(await getScript(api, { namespace: "nope", script: "zzz" }, op)).toBeUndefined();
    expect((await getScript(api, { namespace: "many", script: "a" }, op))?.id).toBe("a");
    expect(scriptPath({ namespace: "n s", script: "x/y" })).toBe("/dispatch/namespaces/n%20s/scripts/x%2Fy");
  });

  it("makes its calls with the SDK's client core, loading none of its resource classes nor changing the package for others", async () => {
    await emu.api("POST", "/dispatch/namespaces", { json: { name: "core" } });
    // A fresh process, as the provider host is: the test's own process has loaded the whole SDK.
    const probe = `
      const { CloudflareApi } = require(${JSON.stringify(path.join(ROOT, "dist/provider/api/client.js"))});
      const api = new CloudflareApi(${JSON.stringify(emu.credentials)});
      const op = { resource: "probe", operation: "read" };
      (async () => {
        const names = (await api.call({ method: "get", path: "/dispatch/namespaces", op })).map((n) => n.namespace_name);
        const missing = await api.call({ method: "get", path: "/dispatch/namespaces/nope", op }).catch((e) => e);
        const sdkModules = Object.keys(require.cache).filter((f) => f.includes(${JSON.stringify(`${path.sep}node_modules${path.sep}cloudflare${path.sep}`)}));
        const { default: Cloudflare } = require("cloudflare");
        const whole = typeof new Cloudflare({ apiToken: "t" }).workersForPlatforms.dispatch.namespaces.list;
        process.stdout.write(JSON.stringify({ names, missing: [missing.status, missing.code], sdkModules, whole }));
      })();
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", probe], {
      cwd: ROOT,
      env: { ...process.env, NODE_COMPILE_CACHE: "" },
    });
    const seen = JSON.parse(stdout) as { names: string[]; missing: unknown[]; sdkModules: string[]; whole: string };
    expect(seen.names).toContain("core");
    // The SDK's errors are recognised as such: the API's status and code, not a connection failure.
    expect(seen.missing).toEqual([404, ERROR_CODES.NAMESPACE_NOT_FOUND]);
    const resourceModules = seen.sdkModules.filter((f) => f.includes(`${path.sep}resources${path.sep}`));
    expect(resourceModules).toEqual([]);
    expect(seen.sdkModules.length).toBeGreaterThan(0);
    expect(seen.whole).toBe("function");
  });
});
