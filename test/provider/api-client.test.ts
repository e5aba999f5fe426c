import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, ACCOUNT_ID, TEST_TOKEN, type TestEmulator } from "../helpers/emulator";
import { providerSource, type ResourceKind } from "../../provider/resources/thin-provider";
import { providers } from "../../provider/dynamic";
import Module from "node:module";
import path from "node:path";
import { resolveCredentials } from "../../provider/config";
import { CloudflareApi } from "../../provider/api/client";
import { getScript, listScriptNames, paths } from "../../provider/api/workers";
import { buildScriptUploadForm } from "../../provider/api/multipart";

let emu: TestEmulator;
const op = { resource: "test", operation: "read" };

describe("API helpers and serialization", () => {
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => emu.close());

  it.each<ResourceKind>(["DispatchNamespace", "UserScript", "ScriptSecret", "StaticAssets"])(
    "the %s provider stored in state holds neither the token nor the account id, and loads the right provider",
    async (kind) => {
      resolveCredentials(); // credentials are set and have been read in this process
      const source = providerSource(kind);
      expect(source).not.toContain(TEST_TOKEN);
      expect(source).not.toContain(ACCOUNT_ID);
      // Load it the way Pulumi's dynamic-provider host does: a module compiled from the string.
      const mod = new Module("__provider") as Module & { _compile(code: string, file: string): void };
      mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
      mod._compile(source, path.join(process.cwd(), "__provider.js"));
      const provider = (mod.exports as { handler(): pulumi.dynamic.ResourceProvider }).handler();
      expect(Object.keys(provider).sort()).toEqual(["check", "configure", "create", "delete", "diff", "read", "update"]);
      // The compiled package's provider (dist/, resolved by name) behaves like the source's.
      const bad = { namespace: "Not A Name", name: "Not A Name", scriptName: "x" };
      expect((await provider.check!({}, bad)).failures?.length).toBeGreaterThan(0);
      expect((await providers[kind].check!({}, bad)).failures?.length).toBeGreaterThan(0);
    },
  );

  it("lists script names and reports a missing script as undefined", async () => {
    await emu.api("POST", "/dispatch/namespaces", { json: { name: "many" } });
    for (const name of ["a", "b", "c"]) {
      const form = buildScriptUploadForm({ main_module: "i.js" }, [{ name: "i.js", type: "application/javascript+module", content: "export default {}" }]);
      expect((await emu.api("PUT", `/dispatch/namespaces/many/scripts/${name}`, { body: form })).status).toBe(200);
    }
    const api = new CloudflareApi(resolveCredentials());
    expect(await listScriptNames(api, "many", op)).toEqual(["a", "b", "c"]);
    expect(await getScript(api, "many", "zzz", op)).toBeUndefined();
    expect(await getScript(api, "nope", "zzz", op)).toBeUndefined();
    expect((await getScript(api, "many", "a", op))?.id).toBe("a");
    expect(paths.secret("n s", "x", "A/B")).toBe("/dispatch/namespaces/n%20s/scripts/x/secrets/A%2FB");
  });
});
