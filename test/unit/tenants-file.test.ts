import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadTenantsFile, TenantsFileError, validateTenants } from "../../examples/platform/tenants";
import { tempDir, writeFiles } from "../helpers/files";

const tmp = tempDir("tenants");
let fixtures = 0;

function fixture(): string {
  const dir = writeFiles(path.join(tmp, `fixture-${++fixtures}`), { "w/index.js": "export default {}" });
  mkdirSync(path.join(dir, "site"));
  return dir;
}

const worker = { dir: "w", modules: ["index.js"], compatibilityDate: "2025-06-01" };

function problemsOf(doc: unknown, dir: string): string[] {
  try {
    validateTenants(doc, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(TenantsFileError);
    return (error as TenantsFileError).problems;
  }
  throw new Error("expected the document to be rejected");
}

describe("tenants.yaml validation", () => {
  it("accepts the example file shipped with the platform", () => {
    const tenants = loadTenantsFile(path.resolve(__dirname, "../../examples/platform/tenants.yaml"));
    expect(tenants.map((t) => t.id)).toEqual(["acme", "globex", "initech", "guestbook"]);
    expect(tenants[3].d1Databases).toEqual([{ binding: "DB", migrationsDir: expect.stringMatching(/tenants\/guestbook\/migrations$/) }]);
    expect(tenants[3].r2Buckets).toEqual(["FILES"]);
    expect(tenants[3].durableObjects).toEqual([{ binding: "SIGNATURES", className: "SignatureCounter" }]);
    expect(tenants[0].assets?.directory).toMatch(/tenants\/acme\/public$/);
    expect(tenants[1].secrets).toEqual({ STRIPE_KEY: "globexStripeKey", WEBHOOK_SECRET: "globexWebhookSecret" });
    expect(tenants[2].worker.mainModule).toBe("index.js");
  });

  it("resolves paths against the file and defaults the plan and main module", () => {
    const dir = fixture();
    const [tenant] = validateTenants({ tenants: [{ id: "a1", worker }] }, dir);
    expect(tenant).toMatchObject({
      id: "a1",
      plan: "free",
      worker: { dir: path.join(dir, "w"), mainModule: "index.js" },
      secrets: {},
      tags: [],
    });
  });

  it("reports every problem with the tenant, the field and what is allowed", () => {
    const dir = fixture();
    const problems = problemsOf(
      {
        tenants: [
          { id: "Bad_Id", worker },
          { id: "dup", worker },
          { id: "dup", worker },
          { id: "p", plan: "platinum", worker },
          { id: "m", worker: { ...worker, modules: ["missing.js"] } },
          { id: "mm", worker: { ...worker, mainModule: "other.js" } },
          { id: "d", worker: { ...worker, compatibilityDate: undefined } },
          { id: "a", worker, assets: { directory: "nope" } },
          { id: "s", worker, secrets: { "1BAD": "key", OK: 42 } },
          { id: "x", worker, colour: "red" },
          { id: "up", worker: { ...worker, modules: ["../escape.js"] } },
        ],
      },
      dir,
    );
    const expected = [
      /tenant "Bad_Id": id must be 1-63 lowercase/,
      /tenant "dup": id is a duplicate of tenants\[1\]/,
      /tenant "p": plan must be one of free, pro, enterprise/,
      /tenant "m": worker.modules missing.js does not exist/,
      /tenant "mm": worker.mainModule must be one of worker.modules/,
      /tenant "d": worker.compatibilityDate is required/,
      /tenant "a": assets.directory nope is not a directory/,
      /tenant "s": secrets.1BAD is not a valid secret name/,
      /tenant "s": secrets.OK must name a stack config key/,
      /tenant "x": colour is not a known field/,
      /tenant "up": worker.modules ..\/escape.js must be a relative path inside worker.dir/,
    ];
    for (const pattern of expected)
      expect(
        problems.some((p) => pattern.test(p)),
        `${pattern} in\n${problems.join("\n")}`,
      ).toBe(true);
  });

  it("takes hostnames (unique across tenants) and the tenant's own KV namespaces by binding name", () => {
    const dir = fixture();
    const [a] = validateTenants({ tenants: [{ id: "a", worker, hostnames: ["shop.example.com"], kvNamespaces: ["SESSIONS"] }] }, dir);
    expect(a).toMatchObject({ hostnames: ["shop.example.com"], kvNamespaces: ["SESSIONS"] });
    const problems = problemsOf(
      {
        tenants: [
          { id: "a", worker, hostnames: ["shop.example.com", "Shop.Example.com", "localhost"], kvNamespaces: ["1BAD", "OK", "OK"] },
          { id: "b", worker, hostnames: ["shop.example.com"] },
          { id: "c", worker, hostnames: "shop.example.com" },
        ],
      },
      dir,
    );
    const expected = [
      /tenant "a": hostnames\[1\] "Shop.Example.com" must be a lowercase host name/,
      /tenant "a": hostnames\[2\] "localhost" must be a lowercase host name with a dot/,
      /tenant "a": kvNamespaces\[0\] must be a binding name/,
      /tenant "a": kvNamespaces\[2\] lists OK twice/,
      /tenant "b": hostnames\[0\] shop.example.com is already a hostname of tenant "a"/,
      /tenant "c": hostnames must be a list of host names/,
    ];
    for (const pattern of expected)
      expect(
        problems.some((p) => pattern.test(p)),
        `${pattern} in\n${problems.join("\n")}`,
      ).toBe(true);
  });

  it("takes the tenant's own D1 databases (with a migrations directory) and R2 buckets, binding names unique across its storage", () => {
    const dir = fixture();
    const [a] = validateTenants(
      {
        tenants: [{ id: "a", worker, d1Databases: [{ binding: "DB", migrationsDir: "site" }, { binding: "CACHE" }], r2Buckets: ["FILES"] }],
      },
      dir,
    );
    expect(a).toMatchObject({
      d1Databases: [{ binding: "DB", migrationsDir: path.join(dir, "site") }, { binding: "CACHE" }],
      r2Buckets: ["FILES"],
    });
    const problems = problemsOf(
      {
        tenants: [
          {
            id: "a",
            worker,
            kvNamespaces: ["KV"],
            d1Databases: [{ binding: "KV" }, { binding: "DB", migrationsDir: "nope" }, "DB"],
            r2Buckets: ["1X"],
          },
          { id: "b", worker, d1Databases: "DB", r2Buckets: "FILES" },
        ],
      },
      dir,
    );
    for (const pattern of [
      /tenant "a": d1Databases\[0\].binding KV is already a binding of this tenant's storage/,
      /tenant "a": d1Databases\[1\].migrationsDir nope is not a directory/,
      /tenant "a": d1Databases\[2\] must be \{ binding, migrationsDir\? \}/,
      /tenant "a": r2Buckets\[0\] must be a binding name/,
      /tenant "b": d1Databases must be a list/,
      /tenant "b": r2Buckets must be a list of binding names/,
    ])
      expect(
        problems.some((p) => pattern.test(p)),
        `${pattern} in\n${problems.join("\n")}`,
      ).toBe(true);
  });

  it("takes the Durable Object classes the tenant's Worker exports, each bound under a name unique across its storage", () => {
    const dir = fixture();
    const [a] = validateTenants({ tenants: [{ id: "a", worker, durableObjects: [{ binding: "COUNTER", className: "Counter" }] }] }, dir);
    expect(a?.durableObjects).toEqual([{ binding: "COUNTER", className: "Counter" }]);
    const problems = problemsOf(
      {
        tenants: [
          {
            id: "a",
            worker,
            r2Buckets: ["FILES"],
            durableObjects: [
              { binding: "FILES", className: "A" },
              { binding: "B", className: "my-class" },
              { binding: "C", className: "C" },
              { binding: "D", className: "C" },
              "E",
            ],
          },
          { id: "b", worker, durableObjects: { COUNTER: "Counter" } },
        ],
      },
      dir,
    );
    expect(problems).toEqual([
      expect.stringMatching(/tenant "a": durableObjects\[0\].binding FILES is already a binding of this tenant's storage/),
      expect.stringMatching(/tenant "a": durableObjects\[1\].className must be the name of a class the Worker exports/),
      expect.stringMatching(/tenant "a": durableObjects\[3\].className lists C twice/),
      expect.stringMatching(/tenant "a": durableObjects\[4\] must be \{ binding, className \}/),
      expect.stringMatching(/tenant "b": durableObjects must be a list of \{ binding, className \}/),
    ]);
  });

  it("rejects a file without a tenants list and a missing file", () => {
    const dir = fixture();
    expect(problemsOf({ customers: [] }, dir)).toEqual(["expected a top-level `tenants:` list"]);
    expect(() => loadTenantsFile(path.join(dir, "absent.yaml"))).toThrow(/does not exist/);
    writeFileSync(path.join(dir, "bad.yaml"), "tenants: [\n");
    expect(() => loadTenantsFile(path.join(dir, "bad.yaml"))).toThrow(/not valid YAML/);
  });

  it("reads YAML 1.2: an unquoted date and `on` are strings, a repeated key is refused", () => {
    const dir = fixture();
    const file = path.join(dir, "dates.yaml");
    writeFileSync(
      file,
      "tenants:\n  - id: on\n    plan: pro\n    worker: { dir: w, modules: [index.js], compatibilityDate: 2025-06-01 }\n",
    );
    const [t] = loadTenantsFile(file);
    expect(t).toMatchObject({ id: "on", worker: { compatibilityDate: "2025-06-01" } });
    writeFileSync(file, "tenants:\n  - id: a\n    id: b\n");
    expect(() => loadTenantsFile(file)).toThrow(/not valid YAML: duplicated mapping key at line 3, column 5/);
  });
  it("hostnames: a tenant's own host names, each owned by one tenant", () => {
    const dir = fixture();
    const [a] = validateTenants({ tenants: [{ id: "a1", worker, hostnames: ["shop.acme.com", "acme.com"] }] }, dir);
    expect(a!.hostnames).toEqual(["shop.acme.com", "acme.com"]);
    expect(validateTenants({ tenants: [{ id: "a2", worker }] }, dir)[0]!.hostnames).toEqual([]);
    const problems = problemsOf(
      {
        tenants: [
          { id: "x", worker, hostnames: ["Shop.Acme.com", "localhost"] },
          { id: "y", worker, hostnames: "shop.y.com" },
          { id: "z1", worker, hostnames: ["z.example"] },
          { id: "z2", worker, hostnames: ["z.example"] },
        ],
      },
      dir,
    );
    expect(problems).toEqual([
      'tenant "x": hostnames[0] "Shop.Acme.com" must be a lowercase host name with a dot, such as shop.example.com',
      'tenant "x": hostnames[1] "localhost" must be a lowercase host name with a dot, such as shop.example.com',
      'tenant "y": hostnames must be a list of host names such as shop.example.com',
      'tenant "z2": hostnames[0] z.example is already a hostname of tenant "z1"',
    ]);
  });
});
