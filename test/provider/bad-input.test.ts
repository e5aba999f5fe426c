/**
 * The bad-input table: every input of every resource, of the Tenant component and of tenants.yaml, tried
 * with invalid values. Each must fail at check time (what `pulumi preview` runs) with a message that names
 * the field and what is allowed, and with zero API calls: the providers' check() runs with a live emulator
 * whose journal must stay empty.
 *
 * docs/bad-input.md is generated from this table: `UPDATE_BAD_INPUT_DOC=1 npx vitest run test/provider/bad-input.test.ts`.
 * Without the variable, the test fails when the doc and the table disagree. Every test stands alone: the doc
 * test runs the whole table itself, so the file passes in any order.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildScriptUploadForm } from "../../provider/api/multipart";
import { MAX_SECRET_BYTES } from "../../provider/resources/script-secret";
import { MAX_MODULE_BYTES } from "../../provider/resources/user-script";
import { MAX_ASSET_SIZE_BYTES } from "../../cloudflare/limits";
import { loadTenantsFile, TenantsFileError } from "../../examples/platform/tenants";
import type { CheckFailure } from "../../provider/validation";
import { failuresForEngine } from "../../provider/check-failures";
import { sparseFile, tempDir, writeFile } from "../helpers/files";
import { ACCOUNT_ID } from "../helpers/emulator";
import { useEmulator } from "../helpers/provider";

const ROOT = path.resolve(__dirname, "../..");
const DOC = path.join(ROOT, "docs", "bad-input.md");
const tmp = tempDir("bad-input");

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: files the rows point at (created in beforeAll).

const F = {
  site: path.join(tmp, "site"),
  twoFiles: path.join(tmp, "two-files"),
  empty: path.join(tmp, "empty"),
  bigAsset: path.join(tmp, "big-asset"),
  workerJs: path.join(tmp, "worker-js"),
  escape: path.join(tmp, "escape"),
  aFile: path.join(tmp, "site", "index.html"),
  module: path.join(tmp, "mod", "index.js"),
  bigModule: path.join(tmp, "mod", "huge.js"),
  tenantsDir: path.join(tmp, "tenants"),
};

function makeFixtures(): void {
  writeFile(path.join(F.site, "index.html"), "<h1>hi</h1>\n");
  writeFile(path.join(F.twoFiles, "a.txt"), "a");
  writeFile(path.join(F.twoFiles, "b.txt"), "b");
  mkdirSync(F.empty, { recursive: true });
  sparseFile(path.join(F.bigAsset, "video.mp4"), MAX_ASSET_SIZE_BYTES + 1);
  writeFile(path.join(F.workerJs, "_worker.js"), "export default {}");
  writeFile(path.join(F.escape, "index.html"), "ok");
  symlinkSync("/etc", path.join(F.escape, "etc-link"));
  writeFile(F.module, "export default { fetch() { return new Response('ok') } }\n");
  sparseFile(F.bigModule, MAX_MODULE_BYTES + 1);
  writeFile(path.join(F.tenantsDir, "w", "index.js"), "export default {}");
  writeFile(path.join(F.tenantsDir, "w", "lib.js"), "export const x = 1");
  writeFile(path.join(F.tenantsDir, "site", "index.html"), "hi");
}

// ---------------------------------------------------------------------------------------------------------------
// The table

type Target =
  | "DispatchNamespace"
  | "UserScript"
  | "Worker"
  | "ScriptSecret"
  | "StaticAssets"
  | "Tenant"
  | "WorkerDomain"
  | "WorkerRoute"
  | "CustomHostname"
  | "KvNamespace"
  | "KvEntries"
  | "D1Database"
  | "R2Bucket"
  | "tenants.yaml";

interface Row {
  resource: Target;
  /** The input (or tenants.yaml field) under test. */
  input: string;
  /** The bad value, as the doc shows it. */
  bad: string;
  /** The inputs (a Tenant's args, a tenants.yaml tenant entry) with the bad value applied to a valid base. */
  value: () => Record<string, unknown>;
  /** The property the failure must name (tenants.yaml: the field in the problem). */
  property: string;
  /** What the message must say is allowed. */
  allowed: RegExp;
}

const NAMESPACE_RULE = /lowercase letters, digits and dashes/;
const SCRIPT_RULE = /lowercase letters, digits, '-' and '_'/;
const IDENT_RULE = /letters, digits and '_', not starting with a digit/;
const ACCOUNT_RULE = /32 lowercase hex characters/;
const long = (n: number, c = "a") => c.repeat(n);
const HOSTNAME_RULE = /lowercase hostname such as shop.example.com/;
const PATTERN_RULE = /route pattern host\/path such as shop.example.com\/\*/;
const KV_ID = "0f2ac74b498b48028cb68387c421e279";
const INSIDE_WORKER_DIR = /must be a relative path inside worker.dir/;

const base = {
  DispatchNamespace: () => ({ name: "ns-ok" }),
  UserScript: () => ({
    namespace: "ns-ok",
    name: "script-ok",
    modules: [{ name: "index.js", content: "export default {}" }],
    compatibilityDate: "2025-06-01",
  }),
  Worker: () => ({
    name: "worker-ok",
    modules: [{ name: "index.js", content: "export default {}" }],
    compatibilityDate: "2025-06-01",
  }),
  ScriptSecret: () => ({ namespace: "ns-ok", scriptName: "script-ok", name: "API_KEY", text: "s3cret" }),
  StaticAssets: () => ({ namespace: "ns-ok", scriptName: "script-ok", directory: F.site }),
  Tenant: (): Record<string, unknown> => ({
    namespace: "ns-ok",
    tenantId: "acme",
    modules: [{ name: "index.js", content: "export default {}" }],
    compatibilityDate: "2025-06-01",
  }),
  WorkerDomain: (): Record<string, unknown> => ({ hostname: "app.example.com", service: "dispatcher", zone: "example.com" }),
  WorkerRoute: (): Record<string, unknown> => ({ pattern: "*/*", script: "dispatcher", zone: "example.com" }),
  CustomHostname: (): Record<string, unknown> => ({ hostname: "shop.acme.com", zone: "example.com" }),
  KvNamespace: () => ({ title: "sessions" }),
  KvEntries: (): Record<string, unknown> => ({ namespaceId: KV_ID, entries: { "acme.example.com": "acme" } }),
  D1Database: (): Record<string, unknown> => ({ name: "acme-db" }),
  R2Bucket: (): Record<string, unknown> => ({ name: "acme-files" }),
  "tenants.yaml": (): Record<string, unknown> => ({
    id: "t1",
    worker: { dir: "w", modules: ["index.js"], compatibilityDate: "2025-06-01" },
  }),
};

/** Rows that set one input to a bad value on the resource's valid base. */
function set(
  resource: Target,
  input: string,
  rows: Array<[bad: string, value: unknown, property: string | undefined, allowed: RegExp]>,
): Row[] {
  return rows.map(([bad, value, property, allowed]) => ({
    resource,
    input,
    bad,
    value: () => {
      const v = base[resource]() as Record<string, unknown>;
      if (value === MISSING) delete v[input];
      else v[input] = typeof value === "function" ? (value as () => unknown)() : value;
      return v;
    },
    property: property ?? input,
    allowed,
  }));
}
const MISSING = Symbol("missing");

/** Rows for a field nested in a tenants.yaml tenant entry (`worker.modules`, `assets.directory`...). */
function yamlRow(input: string, bad: string, edit: (t: Record<string, any>) => void, property: string, allowed: RegExp): Row {
  return {
    resource: "tenants.yaml",
    input,
    bad,
    value: () => {
      const t = structuredClone(base["tenants.yaml"]()) as Record<string, any>;
      edit(t);
      return t;
    },
    property,
    allowed,
  };
}

const module = (m: Record<string, unknown>) => [m];

const ROWS: Row[] = [
  // DispatchNamespace
  ...set("DispatchNamespace", "name", [
    ["(missing)", MISSING, undefined, /is required: the dispatch namespace name/],
    ["42", 42, undefined, NAMESPACE_RULE],
    ['""', "", undefined, NAMESPACE_RULE],
    ["64 characters", long(64), undefined, /at most 63 characters/],
    ['"Tenants_A"', "Tenants_A", undefined, NAMESPACE_RULE],
    ['"-lead"', "-lead", undefined, NAMESPACE_RULE],
    ['"a b"', "a b", undefined, NAMESPACE_RULE],
  ]),
  ...set("DispatchNamespace", "trustedWorkers", [['"yes"', "yes", undefined, /true or false/]]),
  ...set("DispatchNamespace", "forceDestroy", [["1", 1, undefined, /true or false/]]),
  ...set("DispatchNamespace", "accountId", [
    ['"xyz"', "xyz", undefined, ACCOUNT_RULE],
    ["32 upper-case hex", long(32, "A"), undefined, ACCOUNT_RULE],
    ["123", 123, undefined, ACCOUNT_RULE],
  ]),
  ...set("DispatchNamespace", "(unknown input)", [
    ['nmae: "x"', undefined, "nmae", /is not an input of DispatchNamespace; use name, trustedWorkers, forceDestroy, accountId/],
  ]).map((r) => ({ ...r, value: () => ({ ...base.DispatchNamespace(), nmae: "x" }) })),

  // UserScript: identity
  ...set("UserScript", "namespace", [
    ["(missing)", MISSING, undefined, /is required: the dispatch namespace name/],
    ['""', "", undefined, NAMESPACE_RULE],
    ['"Bad NS"', "Bad NS", undefined, NAMESPACE_RULE],
  ]),
  ...set("UserScript", "name", [
    ["(missing)", MISSING, undefined, /is required: the script name/],
    ["7", 7, undefined, SCRIPT_RULE],
    ['""', "", undefined, SCRIPT_RULE],
    ["64 characters", long(64), undefined, /at most 63 characters/],
    ['"my.script"', "my.script", undefined, SCRIPT_RULE],
  ]),
  // UserScript: modules
  ...set("UserScript", "modules", [
    ["(missing)", MISSING, undefined, /is required: at least one module/],
    ["[]", [], undefined, /non-empty list of modules/],
    ['"index.js"', "index.js", undefined, /non-empty list of modules/],
    ['["index.js"]', ["index.js"], "modules[0]", /must be an object \{name, content \| path, type\?\}/],
    ['name ""', module({ name: "", content: "x" }), "modules[0].name", /must not be empty/],
    ['name "../x.js"', module({ name: "../x.js", content: "x" }), "modules[0].name", /relative module path without '\.', '\.\.'/],
    ['name "metadata"', module({ name: "metadata", content: "x", type: "text/plain" }), "modules[0].name", /must not be "metadata"/],
    ["name of 256 characters", module({ name: `${long(253)}.js`, content: "x" }), "modules[0].name", /at most 255 characters/],
    [
      "duplicate names",
      () => [
        { name: "index.js", content: "a" },
        { name: "index.js", content: "b" },
      ],
      "modules[1].name",
      /duplicates the module name "index\.js"/,
    ],
    [
      "both content and path",
      module({ name: "index.js", content: "x", path: F.module }),
      "modules[0]",
      /exactly one of content .* and path/,
    ],
    ["neither content nor path", module({ name: "index.js" }), "modules[0]", /exactly one of content .* and path/],
    ["content 42", module({ name: "index.js", content: 42 }), "modules[0].content", /must be a string/],
    ["unknown field", module({ name: "index.js", content: "x", body: "x" }), "modules[0].body", /use name, content, path or type/],
    [
      'type "text/html"',
      module({ name: "index.js", content: "x", type: "text/html" }),
      "modules[0].type",
      /must be one of application\/javascript\+module/,
    ],
    ['name "index.ts" (type not inferable)', module({ name: "index.ts", content: "x" }), "modules[0].type", /use an extension among/],
    [
      "wasm given as content",
      () => [
        { name: "index.js", content: "x" },
        { name: "a.wasm", content: "x" },
      ],
      "modules[1].content",
      /give path instead/,
    ],
    ['path ""', module({ name: "index.js", path: "" }), "modules[0].path", /non-empty file path/],
    [
      "path to a missing file",
      module({ name: "index.js", path: path.join(tmp, "nope.js") }),
      "modules[0].path",
      /cannot be read \(ENOENT\)/,
    ],
    ["path to a directory", () => module({ name: "index.js", path: F.site }), "modules[0].path", /must be a file/],
    [
      `path to a file over ${MAX_MODULE_BYTES} bytes (sparse)`,
      () => module({ name: "index.js", path: F.bigModule }),
      "modules[0].path",
      /at most \d+ bytes/,
    ],
  ]),
  ...set("UserScript", "mainModule", [
    ['"main.js" (not a module)', "main.js", undefined, /must name one of the modules \(index\.js\)/],
    ["a text module", "index.js", undefined, /must be an ES module or a Python module/],
  ]).map((r) =>
    r.bad === "a text module"
      ? {
          ...r,
          value: () => ({
            ...base.UserScript(),
            modules: [{ name: "index.js", content: "x", type: "text/plain" }],
            mainModule: "index.js",
          }),
        }
      : r,
  ),
  ...set("UserScript", "compatibilityDate", [
    ["(missing)", MISSING, undefined, /is required: a date in the form YYYY-MM-DD/],
    ["20250601", 20250601, undefined, /YYYY-MM-DD/],
    ['"2025/06/01"', "2025/06/01", undefined, /YYYY-MM-DD/],
    ['"2025-02-30"', "2025-02-30", undefined, /real calendar date/],
    ['"2008-12-31"', "2008-12-31", undefined, /not be before 2009/],
    ['"2999-01-01"', "2999-01-01", undefined, /not be in the future/],
  ]),
  ...set("UserScript", "compatibilityFlags", [
    ['"nodejs_compat"', "nodejs_compat", undefined, /list of strings such as nodejs_compat/],
    ['["Node-Compat"]', ["Node-Compat"], "compatibilityFlags[0]", /lowercase letters, digits and '_'/],
    ["duplicate flag", ["nodejs_compat", "nodejs_compat"], "compatibilityFlags[1]", /duplicates the flag nodejs_compat/],
  ]),
  ...set("UserScript", "bindings", [
    ['{name: "X"}', { name: "X" }, undefined, /must be a list of bindings \{name, type, \.\.\.\}/],
    [
      "durable_object_namespace without className",
      [{ name: "COUNTER", type: "durable_object_namespace" }],
      "bindings[0].className",
      /is required for a durable_object_namespace binding/,
    ],
    [
      'className "Counter" not in durableObjects',
      [{ name: "COUNTER", type: "durable_object_namespace", className: "Counter" }],
      "bindings[0].className",
      /names no class of durableObjects.classes \(none\): declare Counter there, or set scriptName/,
    ],
    ['["X"]', ["X"], "bindings[0]", /must be an object \{name, type, \.\.\.\}/],
    ['name "1ABC"', [{ name: "1ABC", type: "plain_text", text: "x" }], "bindings[0].name", IDENT_RULE],
    [
      "duplicate names",
      [
        { name: "A", type: "plain_text", text: "x" },
        { name: "A", type: "plain_text", text: "y" },
      ],
      "bindings[1].name",
      /must be unique/,
    ],
    [
      'type "secret_text"',
      [{ name: "A", type: "secret_text", text: "x" }],
      "bindings[0].type",
      /manage secrets with the ScriptSecret resource/,
    ],
    ['type "kv"', [{ name: "A", type: "kv" }], "bindings[0].type", /must be one of plain_text, json, kv_namespace/],
    [
      "kv_namespace without namespaceId",
      [{ name: "A", type: "kv_namespace" }],
      "bindings[0].namespaceId",
      /is required for a kv_namespace binding/,
    ],
    ["unknown field", [{ name: "A", type: "plain_text", text: "x", value: "y" }], "bindings[0].value", /allowed: name, type, text/],
    ["text 5", [{ name: "A", type: "plain_text", text: 5 }], "bindings[0].text", /must be a string/],
    [
      "KV id of 33 characters",
      [{ name: "A", type: "kv_namespace", namespaceId: long(33, "f") }],
      "bindings[0].namespaceId",
      /at most 32 characters/,
    ],
    [
      'jurisdiction "us"',
      [{ name: "A", type: "r2_bucket", bucketName: "b", jurisdiction: "us" }],
      "bindings[0].jurisdiction",
      /eu, fedramp or fedramp-high/,
    ],
    [
      'ratelimit simple {limit: "10"}',
      [{ name: "A", type: "ratelimit", namespaceId: "1001", simple: { limit: "10", period: 60 } }],
      "bindings[0].simple",
      /\{limit: number, period: number/,
    ],
    ["assets binding without assets", [{ name: "ASSETS", type: "assets" }], "bindings[0].type", /needs the assets input/],
  ]),
  ...set("UserScript", "tags", [
    ['"a,b"', "a,b", undefined, /list of strings/],
    ["8 tags", Array.from({ length: 8 }, (_, i) => `t${i}`), undefined, /at most 7 tags \(got 8\): .*one names the stack that owns it/],
    ['["wfp-owner=p/s"]', ["wfp-owner=p/s"], "tags[0]", /must not start with wfp-owner=/],
    ['""', [""], "tags[0]", /must not be empty/],
    ["1025 characters", [long(1025)], "tags[0]", /at most 1024 characters/],
    ['"a,b"', ["a,b"], "tags[0]", /must not contain ',' or '&'/],
    ["duplicate tag", ["x", "x"], "tags[1]", /duplicates the tag "x"/],
  ]),
  ...set("UserScript", "usageModel", [['"free"', "free", undefined, /standard, bundled, unbound/]]),
  ...set("UserScript", "limits", [
    ["50", 50, undefined, /must be an object \{cpuMs\?\}/],
    ["{memoryMb: 1}", { memoryMb: 1 }, "limits.memoryMb", /use cpuMs/],
    ["cpuMs 0", { cpuMs: 0 }, "limits.cpuMs", /from 1 to 300000/],
    ["cpuMs 300001", { cpuMs: 300_001 }, "limits.cpuMs", /from 1 to 300000/],
    ["cpuMs 1.5", { cpuMs: 1.5 }, "limits.cpuMs", /whole number/],
  ]),
  ...set("UserScript", "logpush", [['"true"', "true", undefined, /true or false/]]),
  ...set("UserScript", "observability", [
    ["true", true, undefined, /enabled: boolean/],
    ['{enabled: "yes"}', { enabled: "yes" }, undefined, /enabled: boolean/],
    ["headSamplingRate 2", { enabled: true, headSamplingRate: 2 }, "observability.headSamplingRate", /from 0 to 1/],
    ["unknown field", { enabled: true, sample: 1 }, "observability.sample", /use enabled, headSamplingRate, logs, traces/],
  ]),
  ...set("UserScript", "placement", [
    ['"smart"', "smart", undefined, /\{mode: "smart"\}, \{region\}, \{hostname\} or \{host\}/],
    ['{mode: "fast"}', { mode: "fast" }, "placement.mode", /"smart" or "targeted"/],
    ["unknown field", { zone: "x" }, "placement.zone", /use mode, region, hostname or host/],
  ]),
  ...set("UserScript", "tailConsumers", [
    ['"logger"', "logger", undefined, /list of \{service, environment\?, namespace\?\}/],
    ['[{service: "Bad Name"}]', [{ service: "Bad Name" }], "tailConsumers[0]", /\{service: <script name>/],
  ]),
  ...set("UserScript", "assets", [
    ['"dist"', "dist", undefined, /StaticAssets attachment .* with a digest/],
    ['{digest: ""}', { digest: "" }, undefined, /StaticAssets attachment .* with a digest/],
  ]),
  ...set("UserScript", "crons", [
    ['"* * * * *"', "* * * * *", undefined, /must be a list of cron expressions/],
    ['["* * * *"]', ["* * * *"], "crons[0]", /has 4 fields, not 5 .*allowed: 5 fields/],
    ['["* * * * 0"]', ["* * * * 0"], "crons[0]", /day of week: 0 is out of range 1-7 \(1 = Sunday\)/],
    ['["0 * * * *", "0 * * * *"]', ["0 * * * *", "0 * * * *"], "crons[1]", /listed twice/],
  ]),
  ...set("UserScript", "durableObjects", [
    ['["Counter"]', ["Counter"], undefined, /must be \{ classes: \[names\], renamedClasses\?: \[\{ from, to \}\], deletedClasses\?/],
    ["{}", {}, "durableObjects.classes", /is required: the classes the Worker exports/],
    ['classes ["my-class"]', { classes: ["my-class"] }, "durableObjects.classes[0]", /a JavaScript identifier/],
    [
      'deletedClasses ["A"] with A in classes',
      { classes: ["A"], deletedClasses: ["A"] },
      "durableObjects.deletedClasses[0]",
      /is also in classes: a class is kept or deleted, not both/,
    ],
    [
      'renamedClasses [{from: "A", to: "C"}], C not in classes',
      { classes: ["B"], renamedClasses: [{ from: "A", to: "C" }] },
      "durableObjects.renamedClasses[0].to",
      /must be in classes/,
    ],
  ]),
  ...set("UserScript", "accountId", [['"acc"', "acc", undefined, ACCOUNT_RULE]]),
  ...set("UserScript", "(unknown input)", [
    ['code: "..."', undefined, "code", /is not an input of UserScript; use namespace, name, modules/],
  ]).map((r) => ({
    ...r,
    value: () => ({ ...base.UserScript(), code: "export default {}" }),
  })),

  // ScriptSecret
  // Optional: without it the secret is for an account-level Worker.
  ...set("ScriptSecret", "namespace", [['"NS"', "NS", undefined, NAMESPACE_RULE]]),
  ...set("ScriptSecret", "scriptName", [
    ["(missing)", MISSING, undefined, /is required: the script name/],
    ['"a/b"', "a/b", undefined, SCRIPT_RULE],
  ]),
  ...set("ScriptSecret", "name", [
    ["(missing)", MISSING, undefined, /is required: the secret's binding name/],
    ['""', "", undefined, IDENT_RULE],
    ['"1KEY"', "1KEY", undefined, IDENT_RULE],
    ['"API-KEY"', "API-KEY", undefined, IDENT_RULE],
    ["256 characters", long(256, "K"), undefined, /at most 255 characters/],
  ]),
  ...set("ScriptSecret", "text", [
    ["(missing)", MISSING, undefined, /is required: the secret value/],
    ["42", 42, undefined, /must be a string/],
    ['""', "", undefined, /must not be empty/],
    [`${MAX_SECRET_BYTES + 1} bytes`, "x".repeat(MAX_SECRET_BYTES + 1), undefined, new RegExp(`at most ${MAX_SECRET_BYTES} bytes`)],
  ]),
  ...set("ScriptSecret", "accountId", [['"acc"', "acc", undefined, ACCOUNT_RULE]]),
  ...set("ScriptSecret", "(unknown input)", [['value: "..."', undefined, "value", /use namespace, scriptName, name, text, accountId/]]).map(
    (r) => ({
      ...r,
      value: () => ({ ...base.ScriptSecret(), value: "x" }),
    }),
  ),

  // StaticAssets
  // Optional: without it the assets are for an account-level Worker.
  ...set("StaticAssets", "namespace", [['"NS"', "NS", undefined, NAMESPACE_RULE]]),
  ...set("StaticAssets", "scriptName", [
    ["(missing)", MISSING, undefined, /is required: the user script/],
    ['"-x"', "-x", undefined, SCRIPT_RULE],
  ]),
  ...set("StaticAssets", "directory", [
    ["(missing)", MISSING, undefined, /is required: the directory to upload/],
    ['""', "", undefined, /non-empty path/],
    ["7", 7, undefined, /non-empty path/],
    ["a missing directory", path.join(tmp, "nope"), undefined, /does not exist/],
    ["a file", F.aFile, undefined, /is not a directory/],
    ["an empty directory", F.empty, undefined, /has no files to upload/],
    [
      `a file over ${MAX_ASSET_SIZE_BYTES} bytes (sparse)`,
      F.bigAsset,
      undefined,
      /larger than the 26214400-byte \(25 MiB\) limit per asset/,
    ],
    ["_worker.js without .assetsignore", F.workerJs, undefined, /would be uploaded as a public asset/],
    ["a symlink out of the directory", F.escape, undefined, /Symlinks are followed only inside the directory/],
  ]),
  ...set("StaticAssets", "maxFiles", [
    ["0", 0, undefined, /whole number from 1 to 100000/],
    ["100001", 100_001, undefined, /whole number from 1 to 100000/],
    ["1.5", 1.5, undefined, /whole number from 1 to 100000/],
    ['"10"', "10", undefined, /whole number from 1 to 100000/],
    ["1, with 2 files", 1, undefined, /more than the limit of 1 .* raise maxFiles/],
  ]).map((r) => (r.bad.startsWith("1,") ? { ...r, value: () => ({ ...base.StaticAssets(), directory: F.twoFiles, maxFiles: 1 }) } : r)),
  ...set("StaticAssets", "include", [
    ['"**"', "**", undefined, /list of glob patterns/],
    ['[""]', [""], "include[0]", /non-empty glob pattern/],
    ['["/etc/*"]', ["/etc/*"], "include[0]", /relative to the directory, without a leading "\/" or "\.\."/],
    ['["../*"]', ["../*"], "include[0]", /relative to the directory, without a leading "\/" or "\.\."/],
  ]),
  ...set("StaticAssets", "exclude", [
    ["[1]", [1], "exclude[0]", /non-empty glob pattern/],
    ['["../secret"]', ["../secret"], "exclude[0]", /without a leading "\/" or "\.\."/],
  ]),
  ...set("StaticAssets", "config", [
    ['"spa"', "spa", undefined, /object with htmlHandling, notFoundHandling and runWorkerFirst/],
    ["unknown setting", { spa: true }, "config.spa", /use one of htmlHandling, notFoundHandling, runWorkerFirst/],
    [
      'htmlHandling "strip"',
      { htmlHandling: "strip" },
      "config.htmlHandling",
      /"auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"/,
    ],
    ['notFoundHandling "404"', { notFoundHandling: "404" }, "config.notFoundHandling", /"none", "404-page", "single-page-application"/],
    ['runWorkerFirst "yes"', { runWorkerFirst: "yes" }, "config.runWorkerFirst", /true, false, or a list of route rules/],
    ['runWorkerFirst ["api/*"]', { runWorkerFirst: ["api/*"] }, "config.runWorkerFirst", /starting with "\/" or "!\/"/],
    ['runWorkerFirst ["!/x"]', { runWorkerFirst: ["!/x"] }, "config.runWorkerFirst", /at least one positive rule/],
  ]),
  ...set("StaticAssets", "isolationSalt", [
    ["42", 42, undefined, /must be a string/],
    ['"a\\0b"', "a\0b", undefined, /must not contain a NUL character/],
  ]),
  ...set("StaticAssets", "uploadConcurrency", [
    ["0", 0, undefined, /whole number from 1 to \d+/],
    ["1000", 1000, undefined, /whole number from 1 to \d+/],
  ]),
  ...set("StaticAssets", "accountId", [['"acc"', "acc", undefined, ACCOUNT_RULE]]),
  ...set("StaticAssets", "(unknown input)", [
    ['dir: "..."', undefined, "dir", /is not an input of StaticAssets; use namespace, scriptName, directory/],
  ]).map((r) => ({
    ...r,
    value: () => ({ ...base.StaticAssets(), dir: "x" }),
  })),

  // Tenant
  ...set("Tenant", "tenantId", [
    ["(missing)", MISSING, undefined, /is required/],
    ['""', "", undefined, /1-63 lowercase letters/],
    ['"Acme Corp"', "Acme Corp", undefined, /1-63 lowercase letters/],
    ["64 characters", long(64), undefined, /1-63 lowercase letters/],
    ['"acme-" (ends in a dash)', "acme-", undefined, /ending with a letter or digit/],
  ]),
  ...set("Tenant", "scriptName", [['"Acme"', "Acme", undefined, SCRIPT_RULE]]),
  ...set("Tenant", "plan", [
    ['"gold,plus"', "gold,plus", undefined, NAMESPACE_RULE],
    ['""', "", undefined, NAMESPACE_RULE],
  ]),
  ...set("Tenant", "tags", [
    ["6 extra tags with a plan", Array.from({ length: 6 }, (_, i) => `t${i}`), undefined, /at most 5 extra tags.*owner/],
    ['["a&b"]', ["a&b"], "tags[0]", /must not contain ',' or '&'/],
    ['["tenant-acme"]', ["tenant-acme"], "tags[0]", /duplicates the tag "tenant-acme"/],
  ]).map((r) =>
    r.bad.startsWith("6")
      ? { ...r, value: () => ({ ...base.Tenant(), plan: "pro", tags: Array.from({ length: 6 }, (_, i) => `t${i}`) }) }
      : r,
  ),
  ...set("Tenant", "durableObjects", [
    ['classes ["Counter", "Counter"]', { classes: ["Counter", "Counter"] }, "durableObjects.classes[1]", /duplicates the class Counter/],
  ]),
  ...set("Tenant", "crons", [['["61 * * * *"]', ["61 * * * *"], "crons[0]", /minute: 61 is out of range 0-59/]]),
  ...set("Tenant", "secrets", [['{"api-key": "..."}', { "api-key": "x" }, "secrets.api-key", IDENT_RULE]]),
  ...set("Tenant", "assets", [
    ["{}", {}, "assets.directory", /is required: the directory of static files/],
    ['{directory: ""}', { directory: "" }, "assets.directory", /non-empty path/],
  ]),

  // WorkerDomain, WorkerRoute, CustomHostname
  ...set("WorkerDomain", "hostname", [
    ["(missing)", MISSING, undefined, /is required: the hostname the Worker serves/],
    ['"App.Example.com"', "App.Example.com", undefined, HOSTNAME_RULE],
    ['"localhost"', "localhost", undefined, HOSTNAME_RULE],
  ]),
  ...set("WorkerDomain", "service", [
    ["(missing)", MISSING, undefined, /is required: the name of the account-level Worker/],
    ['"My Worker"', "My Worker", undefined, SCRIPT_RULE],
  ]),
  ...set("WorkerDomain", "zone", [
    ["(missing, no zoneId)", MISSING, undefined, /is required: the zone's name \(zone\) or its id \(zoneId\)/],
    ['"example"', "example", undefined, HOSTNAME_RULE],
  ]),
  ...set("WorkerDomain", "zoneId", [
    ['"xyz"', "xyz", undefined, /must be a zone id: 32 lowercase hex characters/],
    ["with zone as well", "0123456789abcdef0123456789abcdef", undefined, /either zone \(the zone's name\) or zoneId, not both/],
  ]),
  ...set("WorkerDomain", "environment", [['""', "", undefined, /non-empty string, such as production/]]),
  ...set("WorkerDomain", "adopt", [['"yes"', "yes", undefined, /true or false/]]),
  ...set("WorkerRoute", "pattern", [
    ["(missing)", MISSING, undefined, /is required: the route pattern/],
    ['"example.com"', "example.com", undefined, PATTERN_RULE],
    ['"/api/*"', "/api/*", undefined, PATTERN_RULE],
    ['"Example.com/*"', "Example.com/*", undefined, PATTERN_RULE],
  ]),
  ...set("WorkerRoute", "script", [
    ["(missing)", MISSING, undefined, /is required: the name of the account-level Worker the route runs/],
    ['"a.b"', "a.b", undefined, SCRIPT_RULE],
  ]),
  ...set("WorkerRoute", "adopt", [["1", 1, undefined, /true or false/]]),
  ...set("CustomHostname", "hostname", [
    ["(missing)", MISSING, undefined, /is required: the customer's hostname/],
    ['"shop acme.com"', "shop acme.com", undefined, HOSTNAME_RULE],
    ['"*.acme.com"', "*.acme.com", undefined, HOSTNAME_RULE],
  ]),
  ...set("CustomHostname", "sslMethod", [
    ['"TXT"', "TXT", undefined, /must be one of txt, http, email; did you mean txt\?/],
    ['"dns"', "dns", undefined, /must be one of txt, http, email/],
  ]),
  ...set("CustomHostname", "customMetadata", [["{plan: 1}", { plan: 1 }, undefined, /object of string values/]]),
  ...set("CustomHostname", "customOriginServer", [['"origin"', "origin", undefined, HOSTNAME_RULE]]),
  ...set("CustomHostname", "(unknown input)", [
    ["ssl: {...}", undefined, "ssl", /is not an input of CustomHostname; use hostname, zone, zoneId, sslMethod/],
  ]).map((r) => ({ ...r, value: () => ({ ...base.CustomHostname(), ssl: { method: "txt" } }) })),

  // tenants.yaml (examples/platform/tenants.ts): problems read `tenant "<id>": <field> <what is allowed>`
  yamlRow("id", "(missing)", (t) => delete t.id, "id", /1-63 lowercase letters, digits or dashes/),
  yamlRow("id", '"Acme"', (t) => (t.id = "Acme"), "id", /1-63 lowercase letters, digits or dashes/),
  yamlRow("id", "64 characters", (t) => (t.id = long(64)), "id", /1-63 lowercase letters/),
  yamlRow("id", "7", (t) => (t.id = 7), "id", /1-63 lowercase letters/),
  yamlRow("(unknown field)", "colour: red", (t) => (t.colour = "red"), "colour", /allowed: id, plan, worker, assets, secrets, tags/),
  yamlRow("plan", '"platinum"', (t) => (t.plan = "platinum"), "plan", /one of free, pro, enterprise/),
  yamlRow("worker", "(missing)", (t) => delete t.worker, "worker", /is required: a mapping with dir, modules and compatibilityDate/),
  yamlRow("worker.dir", "(missing)", (t) => delete t.worker.dir, "worker.dir", /is required: the directory holding the modules/),
  yamlRow("worker.dir", "a missing directory", (t) => (t.worker.dir = "nope"), "worker.dir", /is not a directory/),
  yamlRow("worker.modules", "[]", (t) => (t.worker.modules = []), "worker.modules", /non-empty list of file paths inside worker.dir/),
  yamlRow("worker.modules", "[1]", (t) => (t.worker.modules = [1]), "worker.modules", /non-empty list of file paths/),
  yamlRow("worker.modules", "a missing file", (t) => (t.worker.modules = ["nope.js"]), "worker.modules", /does not exist in w/),
  yamlRow("worker.modules", "../x.js", (t) => (t.worker.modules = ["../x.js"]), "worker.modules", INSIDE_WORKER_DIR),
  yamlRow("worker.modules", "/etc/passwd", (t) => (t.worker.modules = ["/etc/passwd"]), "worker.modules", INSIDE_WORKER_DIR),
  yamlRow("worker.modules", "listed twice", (t) => (t.worker.modules = ["index.js", "index.js"]), "worker.modules", /lists index.js twice/),
  yamlRow("worker.mainModule", '"lib2.js"', (t) => (t.worker.mainModule = "lib2.js"), "worker.mainModule", /must be one of worker.modules/),
  yamlRow("worker.compatibilityDate", "(missing)", (t) => delete t.worker.compatibilityDate, "worker.compatibilityDate", /YYYY-MM-DD/),
  yamlRow("worker.compatibilityDate", '"June 1"', (t) => (t.worker.compatibilityDate = "June 1"), "worker.compatibilityDate", /YYYY-MM-DD/),
  yamlRow(
    "worker.compatibilityDate",
    '"2025-13-01"',
    (t) => (t.worker.compatibilityDate = "2025-13-01"),
    "worker.compatibilityDate",
    /real calendar date/,
  ),
  yamlRow(
    "worker.compatibilityFlags",
    '"nodejs_compat"',
    (t) => (t.worker.compatibilityFlags = "nodejs_compat"),
    "worker.compatibilityFlags",
    /list of strings/,
  ),
  yamlRow(
    "worker.compatibilityFlags",
    '["Node Compat"]',
    (t) => (t.worker.compatibilityFlags = ["Node Compat"]),
    "worker.compatibilityFlags[0]",
    /lowercase letters, digits and '_'/,
  ),
  yamlRow("worker.bindings", '"KV"', (t) => (t.worker.bindings = "KV"), "worker.bindings", /list of mappings, each with a type and a name/),
  yamlRow("(unknown worker field)", "entry: x", (t) => (t.worker.entry = "x"), "worker.entry", /allowed: dir, modules, mainModule/),
  yamlRow("assets.directory", "(missing)", (t) => (t.assets = {}), "assets.directory", /is required: the directory of static files/),
  yamlRow("assets.directory", "a missing directory", (t) => (t.assets = { directory: "nope" }), "assets.directory", /is not a directory/),
  yamlRow(
    "assets.htmlHandling",
    '"strip"',
    (t) => (t.assets = { directory: "site", htmlHandling: "strip" }),
    "assets.htmlHandling",
    /auto-trailing-slash, force-trailing-slash, drop-trailing-slash, none/,
  ),
  yamlRow(
    "assets.notFoundHandling",
    '"404"',
    (t) => (t.assets = { directory: "site", notFoundHandling: "404" }),
    "assets.notFoundHandling",
    /none, 404-page, single-page-application/,
  ),
  yamlRow(
    "assets.runWorkerFirst",
    '"api"',
    (t) => (t.assets = { directory: "site", runWorkerFirst: "api" }),
    "assets.runWorkerFirst",
    /true, false or a list of route rules/,
  ),
  yamlRow("secrets", '["KEY"]', (t) => (t.secrets = ["KEY"]), "secrets", /must map secret names to stack config keys/),
  yamlRow(
    "secrets",
    'name "api-key"',
    (t) => (t.secrets = { "api-key": "k" }),
    "secrets.api-key",
    /letters, digits, _; not starting with a digit/,
  ),
  yamlRow(
    "secrets",
    'config key "a b"',
    (t) => (t.secrets = { KEY: "a b" }),
    "secrets.KEY",
    /stack config key \(letters, digits, \. _ -\)/,
  ),
  yamlRow("tags", '"x"', (t) => (t.tags = "x"), "tags", /list of strings/),
  yamlRow("tags", '["a,b"]', (t) => (t.tags = ["a,b"]), "tags[0]", /must not contain ',' or '&'/),
  yamlRow("tags", "1025 characters", (t) => (t.tags = [long(1025)]), "tags[0]", /at most 1024 characters/),
  yamlRow("tags", "6 tags", (t) => (t.tags = Array.from({ length: 6 }, (_, i) => `t${i}`)), "tags", /at most 5 tags/),
  yamlRow("tags", "duplicate tag", (t) => (t.tags = ["x", "x"]), "tags[1]", /duplicates the tag "x"/),
  yamlRow("hostnames", '"shop.example.com"', (t) => (t.hostnames = "shop.example.com"), "hostnames", /list of host names/),
  yamlRow(
    "hostnames",
    '["Shop.Example.com"]',
    (t) => (t.hostnames = ["Shop.Example.com"]),
    "hostnames[0]",
    /lowercase host name with a dot/,
  ),
  yamlRow(
    "kvNamespaces",
    '["sessions-kv"]',
    (t) => (t.kvNamespaces = ["sessions-kv"]),
    "kvNamespaces[0]",
    /binding name \(letters, digits, _/,
  ),
  yamlRow(
    "d1Databases",
    "a missing migrationsDir",
    (t) => (t.d1Databases = [{ binding: "DB", migrationsDir: "nope" }]),
    "d1Databases[0].migrationsDir",
    /nope is not a directory/,
  ),
  yamlRow("r2Buckets", '["files-bucket"]', (t) => (t.r2Buckets = ["files-bucket"]), "r2Buckets[0]", /binding name \(letters, digits, _/),
  yamlRow(
    "durableObjects",
    'className "my-class"',
    (t) => (t.durableObjects = [{ binding: "COUNTER", className: "my-class" }]),
    "durableObjects[0].className",
    /must be the name of a class the Worker exports/,
  ),

  // KvNamespace
  ...set("KvNamespace", "title", [
    ["(missing)", MISSING, undefined, /is required: the namespace's title/],
    ['" "', " ", undefined, /must not be empty or blank/],
    ["513 characters", long(513), undefined, /at most 512 characters/],
  ]),
  ...set("KvNamespace", "accountId", [['"acct"', "acct", undefined, ACCOUNT_RULE]]),
  ...set("KvNamespace", "(unknown input)", [['name: "x"', undefined, "name", /is not an input of KvNamespace; use title, accountId/]]).map(
    (r) => ({ ...r, value: () => ({ ...base.KvNamespace(), name: "x" }) }),
  ),

  // KvEntries
  ...set("KvEntries", "namespaceId", [
    ["(missing)", MISSING, undefined, /is required: the KV namespace's id/],
    ['"sessions"', "sessions", undefined, /32 lowercase hex characters \(a KvNamespace's namespaceId\)/],
  ]),
  ...set("KvEntries", "entries", [
    ["(missing)", MISSING, undefined, /is required: a map of key → string value/],
    ['["a"]', ["a"], undefined, /must be a map of key → string value/],
    ["a 513-byte key", { [long(513, "k")]: "v" }, "entries", /is 513 bytes: KV keys are at most 512 bytes/],
    ["a number", { count: 3 }, "entries.count", /must be a string \(got number\)/],
  ]),

  // D1Database
  ...set("D1Database", "name", [
    ["(missing)", MISSING, undefined, /is required: the database name/],
    ['"-db"', "-db", undefined, /must start with a letter or digit and hold only letters, digits, "_" and "-"/],
  ]),
  ...set("D1Database", "migrationsDir", [['"/no/such/dir"', "/no/such/dir", undefined, /names no directory \(\/no\/such\/dir\)/]]),
  ...set("D1Database", "jurisdiction", [['"uk"', "uk", undefined, /must be one of eu, fedramp, us/]]),
  ...set("D1Database", "primaryLocationHint", [['"mars"', "mars", undefined, /must be one of wnam, enam, weur, eeur, apac, oc/]]),
  ...set("D1Database", "forceDestroy", [['"yes"', "yes", undefined, /must be true or false/]]),

  // R2Bucket
  ...set("R2Bucket", "name", [
    ["(missing)", MISSING, undefined, /is required: the bucket name/],
    ['"Files"', "Files", undefined, /must be 3–63 lowercase letters, digits and "-"/],
  ]),
  ...set("R2Bucket", "jurisdiction", [['"uk"', "uk", undefined, /must be one of default, eu, fedramp/]]),
  ...set("R2Bucket", "storageClass", [['"Glacier"', "Glacier", undefined, /must be one of Standard, InfrequentAccess/]]),
];

// Worker: every script input of UserScript, checked by the same parts, without a namespace; then its own.
const DISPATCH = (outbound: unknown) => [{ name: "DISPATCHER", type: "dispatch_namespace", namespace: "ns-ok", outbound }];
ROWS.push(
  ...ROWS.filter((r) => r.resource === "UserScript" && r.input !== "namespace" && r.input !== "(unknown input)").map(
    (r): Row => ({
      ...r,
      resource: "Worker",
      value: () => {
        const { namespace: _namespace, ...v } = r.value();
        return { ...v, name: v.name === "script-ok" ? "worker-ok" : v.name };
      },
    }),
  ),
  ...set("Worker", "workersDev", [['"yes"', "yes", undefined, /true or false/]]),
  ...set("Worker", "bindings", [
    ['outbound "x"', DISPATCH("x"), "bindings[0].outbound", /must be an object \{ worker: \{ service/],
    ["outbound without worker", DISPATCH({ params: [] }), "bindings[0].outbound.worker", /is required/],
    ['outbound service "Bad"', DISPATCH({ worker: { service: "Bad" } }), "bindings[0].outbound.worker.service", SCRIPT_RULE],
    [
      'outbound param "1x"',
      DISPATCH({ worker: { service: "out" }, params: [{ name: "1x" }] }),
      "bindings[0].outbound.params[0]",
      IDENT_RULE,
    ],
  ]),
  ...set("Worker", "(unknown input)", [['namespace: "ns"', undefined, "namespace", /is not an input of Worker; use name, modules/]]).map(
    (r) => ({ ...r, value: () => ({ ...base.Worker(), namespace: "ns" }) }),
  ),
);

/** Whole-file tenants.yaml rows: duplicates across tenants and YAML-level errors. */
const FILE_ROWS: Array<{ input: string; bad: string; yaml: string; property: string; allowed: RegExp }> = [
  {
    input: "id",
    bad: "two tenants with one id",
    yaml: "tenants:\n  - {id: t1, worker: {dir: w, modules: [index.js], compatibilityDate: '2025-06-01'}}\n  - {id: t1, worker: {dir: w, modules: [index.js], compatibilityDate: '2025-06-01'}}\n",
    property: "id",
    allowed: /is a duplicate of tenants\[0\]/,
  },
  {
    input: "secrets",
    bad: "a secret name twice",
    yaml: "tenants:\n  - id: t1\n    worker: {dir: w, modules: [index.js], compatibilityDate: '2025-06-01'}\n    secrets:\n      KEY: a\n      KEY: b\n",
    property: "(file)",
    allowed: /not valid YAML: duplicated mapping key/,
  },
  { input: "tenants", bad: "(missing)", yaml: "tenant: []\n", property: "(file)", allowed: /expected a top-level `tenants:` list/ },
  { input: "(file)", bad: "a missing file", yaml: "", property: "(file)", allowed: /the file does not exist/ },
];

// ---------------------------------------------------------------------------------------------------------------
// Running a row

let yamlCounter = 0;
function tenantsProblems(yaml: string | undefined): CheckFailure[] {
  const file = path.join(F.tenantsDir, `tenants-${++yamlCounter}.yaml`);
  if (yaml !== undefined) writeFileSync(file, yaml);
  try {
    loadTenantsFile(file);
  } catch (error) {
    if (!(error instanceof TenantsFileError)) throw error;
    // `tenant "t1": worker.modules lists index.js twice` → property worker.modules
    return error.problems.map((p) => {
      const m = /^(?:tenant "[^"]*"|tenants\[\d+\]): (\S+) (.*)$/s.exec(p);
      return m ? { property: m[1]!, reason: m[2]! } : { property: "(file)", reason: p };
    });
  }
  return [];
}

async function failuresOf(row: Row): Promise<CheckFailure[]> {
  const value = row.value();
  if (row.resource === "tenants.yaml") {
    const { dump } = await import("js-yaml");
    return tenantsProblems(dump({ tenants: [value] }));
  }
  const res = await providers[row.resource].check!({}, value);
  return res.failures ?? [];
}

/** The message a user sees, with machine-specific paths and today's date made stable for the doc. */
function shown(f: CheckFailure): string {
  const today = new Date().toISOString().slice(0, 10);
  return `${f.property === "" ? "" : `${f.property}: `}${f.reason}`
    .replaceAll(tmp, "<tmp>")
    .replaceAll(today, "<today>")
    .replace(/\n/g, " ");
}

/** A row's failure that names its property and what is allowed (undefined when none does), and every failure. */
async function resultOf(row: Row): Promise<{ hit?: CheckFailure; failures: CheckFailure[] }> {
  const failures = await failuresOf(row);
  return { hit: failures.find((f) => f.property === row.property && row.allowed.test(f.reason)), failures };
}

/** A resource's failure as the engine gets it: a nested or missing input names its path and value in the reason. */
function asPrinted(row: Row, f: CheckFailure): CheckFailure {
  if (!(row.resource in providers)) return f;
  const [printed] = failuresForEngine([f], row.value());
  return printed.property === "" ? { property: "", reason: printed.reason } : printed;
}

type FileRow = (typeof FILE_ROWS)[number];

async function fileResultOf(row: FileRow): Promise<{ hit?: CheckFailure; failures: CheckFailure[] }> {
  const failures = tenantsProblems(row.bad === "a missing file" ? undefined : row.yaml);
  return { hit: failures.find((f) => f.property === row.property && row.allowed.test(f.reason)), failures };
}

/** The doc's message for a whole-file row: no `(file)` property, no numbered file name. */
const fileMessage = (f: CheckFailure) =>
  shown(f)
    .replace(/^\(file\): /, "")
    .replace(/tenants-\d+\.yaml/, "tenants.yaml");

const emu = useEmulator();
const providers = emu.providers;
beforeAll(() => makeFixtures());

describe("bad input fails at check time, names the field and what is allowed, and makes no API call", () => {
  it("every valid base passes (so each row fails only for its bad value)", async () => {
    // What the hostname resources' check looks up: their zone and their Worker.
    await emu.api("POST", `${emu.apiBase}/zones`, { json: { name: "example.com", account: { id: ACCOUNT_ID } } });
    const form = buildScriptUploadForm({ main_module: "w.js", compatibility_date: "2025-06-01" }, [
      { name: "w.js", type: "application/javascript+module", content: 'export default { fetch: () => new Response("x") }' },
    ]);
    expect((await emu.api("PUT", "/scripts/dispatcher", { body: form })).status).toBe(200);
    for (const resource of Object.keys(providers) as Array<keyof typeof providers>) {
      expect((await providers[resource].check!({}, base[resource]())).failures ?? [], resource).toEqual([]);
    }
    expect(
      tenantsProblems(
        `tenants:\n  - {id: t1, worker: {dir: w, modules: [index.js], compatibilityDate: '2025-06-01'}, assets: {directory: site}}\n`,
      ),
    ).toEqual([]);
  });

  it.each(ROWS.map((r) => [`${r.resource} ${r.input} = ${r.bad}`, r] as const))("%s", async (_title, row) => {
    const { hit, failures } = await resultOf(row);
    expect(hit, `failures were ${JSON.stringify(failures, null, 1)}`).toBeDefined();
    expect(await emu.journal()).toEqual([]);
  });

  it.each(FILE_ROWS.map((r) => [`tenants.yaml ${r.input} = ${r.bad}`, r] as const))("%s", async (_title, row) => {
    const { hit, failures } = await fileResultOf(row);
    expect(hit, `problems were ${JSON.stringify(failures, null, 1)}`).toBeDefined();
  });

  it("a Tenant's bad arguments are check failures, one per problem, each under its own field", async () => {
    const res = await providers.Tenant.check!({}, { ...base.Tenant(), tenantId: "Acme Corp", secrets: { "api-key": "" } });
    expect(res.failures).toEqual([
      { property: "tenantId", reason: expect.stringMatching(/1-63 lowercase letters/) },
      { property: "secrets.api-key", reason: expect.stringMatching(/letters, digits/) },
    ]);
  });

  it("docs/bad-input.md lists every row with its message, and the whole table makes no API call", async () => {
    const results: Array<{ resource: string; input: string; bad: string; message?: string }> = [];
    for (const row of ROWS) {
      const { hit } = await resultOf(row);
      results.push({ resource: row.resource, input: row.input, bad: row.bad, message: hit && shown(asPrinted(row, hit)) });
    }
    for (const row of FILE_ROWS) {
      const { hit } = await fileResultOf(row);
      results.push({ resource: "tenants.yaml", input: row.input, bad: row.bad, message: hit && fileMessage(hit) });
    }
    expect(
      results.filter((r) => r.message === undefined),
      "rows without their failure (see their own tests)",
    ).toEqual([]);
    expect(await emu.journal()).toEqual([]);
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    const lines = [
      "# Bad input",
      "",
      "Generated by `test/provider/bad-input.test.ts` (`UPDATE_BAD_INPUT_DOC=1 npx vitest run test/provider/bad-input.test.ts`); do not edit by hand.",
      "",
      "Every row fails at check time, which is what `pulumi preview` runs, and makes **zero API calls** (the test",
      "runs each check against a live emulator and asserts its request journal stays empty). Pulumi prints each",
      "failure as `<type> resource '<name>': property <input> value {<value>} has a problem: <message>` (a secret",
      "value is shown masked; test/e2e/bad-input.test.ts checks both through the real engine). A nested or missing input",
      "is printed as `<type> resource '<name>' has a problem: <path> = <value>: <message>`, the value shortened and",
      "never shown for `text`, `json`, `content` and other fields that may hold secrets or code (test/e2e/answers.test.ts).",
      "A near miss of an allowed value ends with `did you mean <value>?`. tenants.yaml problems are reported by the",
      'example program before any resource is registered, all at once, as `tenant "<id>": <field> <message>`.',
      "A Tenant's arguments are checked like every resource's: each problem is its own failure, under its own field.",
      "",
      "| resource | input | bad value | message |",
      "|---|---|---|---|",
      ...results.map((r) => `| ${r.resource} | \`${cell(r.input)}\` | ${cell(r.bad)} | ${cell(r.message ?? "")} |`),
      "",
    ];
    const doc = lines.join("\n");
    if (process.env.UPDATE_BAD_INPUT_DOC) writeFileSync(DOC, doc);
    expect(readFileSync(DOC, "utf8")).toBe(doc);
  });
});
