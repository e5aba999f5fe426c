import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ACCOUNT_ID, TEST_TOKEN } from "../helpers/emulator";
import { useEmulator } from "../helpers/provider";
import { providerSource, type ResourceKind } from "../../provider/resources/resource-kit";
import { handler, providers } from "../../provider/dynamic";
import Module from "node:module";
import path from "node:path";
import { resolveCredentials, stackConfigFrom } from "../../provider/credentials";
import { getScript, listScripts, scriptPath } from "../../provider/api/scripts";
import { buildScriptUploadForm } from "../../provider/api/multipart";

const op = { resource: "test", operation: "read" };
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
});
