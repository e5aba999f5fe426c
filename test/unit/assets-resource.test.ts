import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { jwtExpiry, tokenUsable } from "../../provider/assets/attach";
import { assetConfigFailures, toWireConfig } from "../../provider/assets/serving-config";
import {
  checkStaticAssets,
  diffStaticAssets,
  normalizeDirectory,
  staticAssetsProvider,
  type StaticAssetsInputs,
  type StaticAssetsOutputs,
} from "../../provider/resources/static-assets";
import { AssetDescriptions, sameAssetsDigest } from "../../provider/assets/describe";
import { ProviderRun } from "../../provider/run";
import { declareNamespace } from "../../provider/resources/namespace-preflight";
import { UNKNOWN } from "../../provider/validation";
import { tempDir, writeFiles } from "../helpers/files";

const tmpRoot = tempDir("assets-unit");
const site = (name: string, files: Record<string, string>) => writeFiles(path.join(tmpRoot, name), files);

const reasons = (failures: Array<{ property: string; reason: string }>) => Object.fromEntries(failures.map((f) => [f.property, f.reason]));

describe("asset config", () => {
  it("accepts the documented values and converts to the wire format", () => {
    expect(
      assetConfigFailures({
        htmlHandling: "drop-trailing-slash",
        notFoundHandling: "404-page",
        runWorkerFirst: ["/api/*", "!/api/public/*"],
      }),
    ).toEqual([]);
    expect(assetConfigFailures({ runWorkerFirst: true })).toEqual([]);
    expect(toWireConfig({ htmlHandling: "none", runWorkerFirst: false }, { headers: "h", redirects: "r" })).toEqual({
      html_handling: "none",
      run_worker_first: false,
      _headers: "h",
      _redirects: "r",
    });
  });

  it("rejects bad values, naming the property and what is allowed", () => {
    const r = reasons(
      assetConfigFailures({ htmlHandling: "trailing", notFoundHandling: "spa", runWorkerFirst: ["!/only-negative"], serveDirectly: true }),
    );
    expect(r["config.htmlHandling"]).toMatch(/"auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"/);
    expect(r["config.notFoundHandling"]).toMatch(/"single-page-application"/);
    expect(r["config.runWorkerFirst"]).toMatch(/at least one positive rule/);
    expect(r["config.serveDirectly"]).toMatch(/not a known setting/);
    expect(reasons(assetConfigFailures({ runWorkerFirst: ["api/*"] }))["config.runWorkerFirst"]).toMatch(/starting with "\/" or "!\/"/);
  });
});

describe("check", () => {
  it("normalizes inputs and adds the digest, file count and size", async () => {
    const dir = await site("check-ok", { "index.html": "hello", "a/b.txt": "xy" });
    const run = new ProviderRun();
    declareNamespace(run, "ns"); // as the program's DispatchNamespace would: no lookup, and no API here
    const { inputs, failures } = await staticAssetsProvider(run).check!(
      {},
      {
        namespace: "ns",
        scriptName: "s",
        directory: dir,
        __provider: "x",
        digest: "forged",
      },
    );
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ namespace: "ns", scriptName: "s", maxFiles: 100000, uploadConcurrency: 3, fileCount: 2, totalBytes: 7 });
    expect(inputs.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(inputs.__provider).toBeUndefined();
    const empty = await checkStaticAssets(
      { namespace: "ns", scriptName: "s", directory: dir, include: [], exclude: [] },
      new AssetDescriptions(),
    );
    expect(empty.inputs.include).toBeUndefined();
    expect(empty.inputs.digest).toBe(inputs.digest);
  });

  it("reports every invalid input by property", async () => {
    const { failures } = await checkStaticAssets(
      {
        namespace: "Bad NS",
        scriptName: "",
        include: ["../escape/**", "/abs"],
        maxFiles: 0,
        uploadConcurrency: 100,
        isolationSalt: "a\0b",
        accountId: "nope",
        config: { htmlHandling: "x" },
      },
      new AssetDescriptions(),
    );
    const r = reasons(failures);
    expect(Object.keys(r).sort()).toEqual(
      [
        "accountId",
        "config.htmlHandling",
        "directory",
        "include[0]",
        "include[1]",
        "isolationSalt",
        "maxFiles",
        "namespace",
        "scriptName",
        "uploadConcurrency",
      ].sort(),
    );
    expect(r.directory).toMatch(/is required/);
    expect(r.maxFiles).toMatch(/from 1 to 100000/);
  });

  it("turns manifest problems into failures that name the file", async () => {
    const dir = await site("check-limit", { "a.txt": "1", "b.txt": "2" });
    const { failures } = await checkStaticAssets(
      { namespace: "ns", scriptName: "s", directory: dir, maxFiles: 1 },
      new AssetDescriptions(),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe("maxFiles");
    expect(failures[0]!.reason).toMatch(/\/b\.txt/);
    const missing = await checkStaticAssets(
      { namespace: "ns", scriptName: "s", directory: path.join(tmpRoot, "missing") },
      new AssetDescriptions(),
    );
    expect(missing.failures[0]).toMatchObject({ property: "directory" });
    expect(missing.failures[0]!.reason).toMatch(/does not exist/);
  });

  it("leaves the digest unknown while an input is unknown (preview)", async () => {
    const { inputs, failures } = await checkStaticAssets({ namespace: "ns", scriptName: "s", directory: UNKNOWN }, new AssetDescriptions());
    expect(failures).toEqual([]);
    expect(inputs.digest).toBeUndefined();
    expect(diffStaticAssets({ digest: "d", namespace: "ns", scriptName: "s" }, inputs as Partial<StaticAssetsInputs>).changes).toBe(true);
  });
});

describe("normalizeDirectory", () => {
  it("stores a directory relative to the project when inside it, else absolute", () => {
    expect(normalizeDirectory("/proj/site", "/proj")).toBe("site");
    expect(normalizeDirectory("./site/", "/proj")).toBe("site");
    expect(normalizeDirectory("/proj", "/proj")).toBe(".");
    expect(normalizeDirectory("/elsewhere/site", "/proj")).toBe("/elsewhere/site");
    expect(normalizeDirectory("../sibling", "/proj")).toBe("/sibling");
  });
});

describe("diff", () => {
  const base: Partial<StaticAssetsOutputs> = {
    namespace: "ns",
    scriptName: "s",
    directory: "site",
    maxFiles: 100000,
    uploadConcurrency: 3,
    digest: "d1",
  };

  it("no change when the digest and the source are the same (concurrency is not a change)", () => {
    expect(diffStaticAssets(base, { ...base, uploadConcurrency: 5 } as StaticAssetsInputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
      changedKeys: [],
    });
  });

  it("a new digest is an update; the namespace, script or account is a replacement", () => {
    expect(diffStaticAssets(base, { ...base, digest: "d2" } as StaticAssetsInputs)).toMatchObject({
      changes: true,
      replaces: [],
      changedKeys: ["digest"],
    });
    expect(diffStaticAssets(base, { ...base, scriptName: "t" } as StaticAssetsInputs).replaces).toEqual(["scriptName"]);
    expect(diffStaticAssets(base, { ...base, namespace: "other" } as StaticAssetsInputs).replaces).toEqual(["namespace"]);
    expect(diffStaticAssets(base, { ...base, accountId: "0123456789abcdef0123456789abcdef" } as StaticAssetsInputs).replaces).toEqual([
      "accountId",
    ]);
  });

  it("a changed source description is an update even with the same digest", () => {
    expect(diffStaticAssets(base, { ...base, exclude: ["*.map"] } as StaticAssetsInputs).changes).toBe(true);
    expect(diffStaticAssets(base, { ...base, directory: "dist" } as StaticAssetsInputs).changes).toBe(true);
  });
});

describe("assets digests", () => {
  const whole = "4a8e09fdb67341974c04106b5243e17781bd53e3a076b6fe8931bd43a5868c1e";
  it("a digest's first 64 bits stand for it either way round; fewer bits or another digest do not", () => {
    expect(sameAssetsDigest(whole.slice(0, 16), whole)).toBe(true);
    expect(sameAssetsDigest(whole, whole.slice(0, 16))).toBe(true);
    expect(sameAssetsDigest(whole.slice(0, 15), whole)).toBe(false);
    expect(sameAssetsDigest(whole.slice(0, 16), `0${whole.slice(1)}`)).toBe(false);
    expect(sameAssetsDigest(undefined, whole)).toBe(false);
    expect(sameAssetsDigest(undefined, undefined)).toBe(true);
  });

  it("a run's description is taken once, by its whole digest or its short one", async () => {
    const dir = site("described", { "index.html": "<h1>hi</h1>" });
    const descriptions = new AssetDescriptions();
    const described = await descriptions.describe({ directory: dir }, {});
    expect(descriptions.take(described.digest.slice(0, 16))).toBe(described);
    expect(descriptions.take(described.digest)).toBeUndefined();
    await descriptions.describe({ directory: dir }, {});
    expect(descriptions.take(`${described.digest.slice(0, 16)}${"0".repeat(48)}`)).toBeUndefined();
    expect(descriptions.take(described.digest)?.digest).toBe(described.digest);
  });
});

describe("token expiry", () => {
  const jwt = (exp: number) => `e30.${Buffer.from(JSON.stringify({ exp })).toString("base64url")}.sig`;
  it("decodes exp without verifying and wants 5 minutes of life left", () => {
    const now = 1_700_000_000_000;
    expect(jwtExpiry(jwt(123))).toBe(123);
    expect(jwtExpiry("not a jwt")).toBeUndefined();
    expect(tokenUsable(jwt(now / 1000 + 3600), now)).toBe(true);
    expect(tokenUsable(jwt(now / 1000 + 200), now)).toBe(false);
    expect(tokenUsable(undefined, now)).toBe(false);
  });
});
