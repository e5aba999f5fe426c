import { writeFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import { readSecretsFile, resolveSecrets, SecretsFileError } from "../../examples/platform/secrets";
import { tempDir } from "../helpers/files";

const tmp = tempDir("secrets-file");
let files = 0;
const file = (content: string) => {
  const f = path.join(tmp, `secrets-${++files}.yaml`);
  writeFileSync(f, content);
  return f;
};
const unwrap = (o: pulumi.Output<string>) =>
  new Promise<{ value: string; secret: boolean }>((resolve) => {
    pulumi.all([o, pulumi.isSecret(o)]).apply(([value, secret]) => resolve({ value, secret }));
  });

describe("the platform's secrets file", () => {
  const saved = process.env.PLATFORM_SECRETS_FILE;
  const savedConfig = pulumi.runtime.allConfig();
  afterEach(() => {
    pulumi.runtime.setAllConfig(savedConfig);
    if (saved === undefined) delete process.env.PLATFORM_SECRETS_FILE;
    else process.env.PLATFORM_SECRETS_FILE = saved;
  });

  it("reads a map of keys to string values, JSON or YAML", () => {
    expect([...readSecretsFile(file('{"aKey": "v1", "b": "v2"}'))]).toEqual([
      ["aKey", "v1"],
      ["b", "v2"],
    ]);
    expect([...readSecretsFile(file("aKey: v1\n"))]).toEqual([["aKey", "v1"]]);
  });

  it("refuses other shapes without echoing any value", () => {
    expect(() => readSecretsFile(path.join(tmp, "none.yaml"))).toThrow(/does not exist/);
    expect(() => readSecretsFile(file("- a\n- b\n"))).toThrow(/must be a map of key to value/);
    const bad = file("good: sk_live_hidden\nnum: 12345\n");
    expect(() => readSecretsFile(bad)).toThrow(/the value of num must be a string/);
    try {
      readSecretsFile(bad);
    } catch (error) {
      expect(String(error)).not.toContain("sk_live_hidden");
      expect(String(error)).not.toContain("12345");
      expect(pulumi.RunError.isInstance(error)).toBe(true); // printed without a stack trace
    }
  });

  it("takes a key from the file first, then from the stack's secret config, as Pulumi secrets", async () => {
    pulumi.runtime.setAllConfig({
      "platform:secretsFile": file("fromFile: file-value\nboth: file-wins\n"),
      "platform:fromConfig": "cfg",
      "platform:both": "cfg-loses",
    });
    const refs = [
      { tenant: "a", name: "X", key: "fromFile" },
      { tenant: "b", name: "Y", key: "fromConfig" },
      { tenant: "c", name: "Z", key: "both" },
    ];
    const values = resolveSecrets(refs, new pulumi.Config("platform"), tmp);
    expect(await unwrap(values.get("fromFile") as pulumi.Output<string>)).toEqual({ value: "file-value", secret: true });
    expect((await unwrap(values.get("fromConfig") as pulumi.Output<string>)).value).toBe("cfg");
    expect((await unwrap(values.get("both") as pulumi.Output<string>)).value).toBe("file-wins");
  });

  it("finds the file from PLATFORM_SECRETS_FILE, relative to the project root", async () => {
    const f = file("k: env-value\n");
    process.env.PLATFORM_SECRETS_FILE = path.basename(f);
    const values = resolveSecrets([{ tenant: "a", name: "X", key: "k" }], new pulumi.Config("platform"), tmp);
    expect((await unwrap(values.get("k") as pulumi.Output<string>)).value).toBe("env-value");
  });

  it("lists every missing key at once, with its tenant and secret", () => {
    pulumi.runtime.setAllConfig({ "platform:secretsFile": file("present: v\n") });
    const refs = [
      { tenant: "a", name: "X", key: "present" },
      { tenant: "b", name: "STRIPE_KEY", key: "bStripe" },
      { tenant: "c", name: "HOOK", key: "cHook" },
    ];
    expect(() => resolveSecrets(refs, new pulumi.Config("platform"), tmp)).toThrow(SecretsFileError);
    expect(() => resolveSecrets(refs, new pulumi.Config("platform"), tmp)).toThrow(
      /2 secret value\(s\) missing, neither in .* nor in the stack's config:\n {2}- tenant b, secret STRIPE_KEY: key "bStripe" \(npm run secret -- b STRIPE_KEY <value>\)\n {2}- tenant c, secret HOOK: key "cHook" \(npm run secret -- c HOOK <value>\)/,
    );
  });
});
