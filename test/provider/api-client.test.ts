import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, ACCOUNT_ID, TEST_TOKEN, type TestEmulator } from "../helpers/emulator";
import { thinProvider, type ResourceKind } from "../../provider/resources/thin-provider";
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

  it.each<ResourceKind>(["DispatchNamespace", "UserScript", "ScriptSecret"])(
    "the serialized %s provider holds neither the token nor the account id",
    async (kind) => {
      resolveCredentials(); // credentials are set and have been read in this process
      const { text } = await pulumi.runtime.serializeFunction(() => thinProvider(kind), { allowSecrets: true });
      expect(text).toContain("pulumi-cloudflare-wfp/dynamic");
      expect(text).not.toContain(TEST_TOKEN);
      expect(text).not.toContain(ACCOUNT_ID);
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
