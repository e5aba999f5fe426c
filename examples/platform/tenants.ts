/**
 * Reads and validates the platform's tenants.yaml. Every problem is reported at once, each with
 * the tenant, the field and what is allowed, before Pulumi makes any API call.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseYaml, yamlProblem } from "./yaml";
import { HTML_HANDLING, NOT_FOUND_HANDLING } from "../../cloudflare/assets";
import { tenantIdProblem } from "../../provider/resources/tenant/check";
import { compatibilityDateProblem, compatibilityFlagsFailures, MAX_USER_TAGS, tagsFailures } from "../../provider/validation";

/**
 * The one plan table: the custom limits the dispatch Worker passes to `get(name, {}, { limits })`; `cpuMs` is
 * also each tenant script's own CPU limit.
 */
export const PLANS = {
  free: { cpuMs: 50, subRequests: 10 },
  pro: { cpuMs: 500, subRequests: 50 },
  enterprise: { cpuMs: 5000, subRequests: 1000 },
} as const;
export type Plan = keyof typeof PLANS;

export interface TenantWorker {
  /** Absolute directory holding the modules. */
  dir: string;
  /** Module names: paths inside `dir`. */
  modules: string[];
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags?: string[];
  bindings?: Record<string, unknown>[];
}

export interface TenantAssets {
  /** Absolute directory. */
  directory: string;
  htmlHandling?: string;
  notFoundHandling?: string;
  runWorkerFirst?: boolean | string[];
}

export interface TenantEntry {
  id: string;
  plan: Plan;
  worker: TenantWorker;
  assets?: TenantAssets;
  /** Secret name → key of the stack's secret config holding its value. */
  secrets: Record<string, string>;
  tags: string[];
  /** Host names the dispatch Worker routes to this tenant (through the routing KV namespace). */
  hostnames: string[];
  /** Binding names of KV namespaces of the tenant's own (one KvNamespace each). */
  kvNamespaces: string[];
  /** D1 databases of the tenant's own (one D1Database each): binding name and migrations directory (absolute). */
  d1Databases: Array<{ binding: string; migrationsDir?: string }>;
  /** Binding names of R2 buckets of the tenant's own (one R2Bucket each). */
  r2Buckets: string[];
  /** Durable Object classes the tenant's Worker exports (SQLite-backed), each bound under a name. */
  durableObjects: Array<{ binding: string; className: string }>;
}

export class TenantsFileError extends Error {
  override name = "TenantsFileError";
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONFIG_KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const CLASS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const TENANT_KEYS = new Set([
  "id",
  "plan",
  "worker",
  "assets",
  "secrets",
  "tags",
  "hostnames",
  "kvNamespaces",
  "d1Databases",
  "r2Buckets",
  "durableObjects",
]);
const WORKER_KEYS = new Set(["dir", "modules", "mainModule", "compatibilityDate", "compatibilityFlags", "bindings"]);
const ASSETS_KEYS = new Set(["directory", "htmlHandling", "notFoundHandling", "runWorkerFirst"]);

export interface PlatformFile {
  tenants: TenantEntry[];
  /** Hosts the outbound Worker refuses for every tenant (and their subdomains). */
  blockedHosts: string[];
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Reads the file's tenants; throws TenantsFileError listing every problem. */
export function loadTenantsFile(file: string): TenantEntry[] {
  return loadPlatformFile(file).tenants;
}

/** Reads the whole file; throws TenantsFileError listing every problem. */
export function loadPlatformFile(file: string): PlatformFile {
  if (!existsSync(file)) throw new TenantsFileError(file, [`the file does not exist`]);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new TenantsFileError(file, [`not valid YAML: ${yamlProblem(error)}`]);
  }
  return validatePlatform(doc, path.dirname(path.resolve(file)), file);
}

/** Validates a parsed document's tenants; relative paths resolve against `baseDir`. */
export function validateTenants(doc: unknown, baseDir: string, file = "tenants.yaml"): TenantEntry[] {
  return validatePlatform(doc, baseDir, file).tenants;
}

function validatePlatform(doc: unknown, baseDir: string, file: string): PlatformFile {
  const problems: string[] = [];
  if (!isObject(doc) || !Array.isArray(doc.tenants)) {
    throw new TenantsFileError(file, ["expected a top-level `tenants:` list"]);
  }
  for (const key of Object.keys(doc)) {
    if (key !== "tenants" && key !== "blockedHosts") problems.push(`unknown top-level field "${key}" (allowed: tenants, blockedHosts)`);
  }
  const blockedHosts: string[] = [];
  if (doc.blockedHosts !== undefined) {
    if (!Array.isArray(doc.blockedHosts)) problems.push("blockedHosts: must be a list of host names");
    else {
      doc.blockedHosts.forEach((host, i) => {
        if (typeof host !== "string" || !HOSTNAME.test(host))
          problems.push(`blockedHosts[${i}]: must be a lowercase host name such as evil.example`);
        else blockedHosts.push(host);
      });
    }
  }

  const seen = new Map<string, number>();
  const hostOwners = new Map<string, string>();
  const tenants: TenantEntry[] = [];
  doc.tenants.forEach((raw: unknown, index: number) => {
    const where = `tenants[${index}]`;
    if (!isObject(raw)) {
      problems.push(`${where}: expected a mapping with id, plan and worker`);
      return;
    }
    const label = typeof raw.id === "string" ? `tenant "${raw.id}"` : where;
    const problem = (field: string, text: string) => problems.push(`${label}: ${field} ${text}`);
    unknownKeys(raw, TENANT_KEYS, (k) => problem(k, `is not a known field (allowed: ${[...TENANT_KEYS].join(", ")})`));

    const idProblem = tenantIdProblem(raw.id);
    if (idProblem) {
      problem("id", idProblem);
    } else if (seen.has(raw.id as string)) {
      problem("id", `is a duplicate of tenants[${seen.get(raw.id as string)}]`);
    } else {
      seen.set(raw.id as string, index);
    }

    const plan = raw.plan ?? "free";
    if (typeof plan !== "string" || !(plan in PLANS)) problem("plan", `must be one of ${Object.keys(PLANS).join(", ")}`);

    const worker = validateWorker(raw.worker, baseDir, problem);
    const assets = raw.assets === undefined ? undefined : validateAssets(raw.assets, baseDir, problem);

    const secrets: Record<string, string> = {};
    if (raw.secrets !== undefined) {
      if (!isObject(raw.secrets)) problem("secrets", "must map secret names to stack config keys");
      else {
        for (const [name, key] of Object.entries(raw.secrets)) {
          if (!SECRET_NAME.test(name))
            problem(`secrets.${name}`, "is not a valid secret name (letters, digits, _; not starting with a digit)");
          if (typeof key !== "string" || !CONFIG_KEY.test(key))
            problem(`secrets.${name}`, "must name a stack config key (letters, digits, . _ -)");
          else secrets[name] = key;
        }
      }
    }

    const tags: string[] = [];
    if (raw.tags !== undefined) {
      if (!Array.isArray(raw.tags) || raw.tags.some((t) => typeof t !== "string")) problem("tags", "must be a list of strings");
      else {
        // The script also carries tenant-<id>, plan-<plan> and the owner tag: three of the 8 tags Cloudflare allows.
        const extra = MAX_USER_TAGS - 2;
        if (raw.tags.length > extra)
          problem(
            "tags",
            `must hold at most ${extra} tags (the script also carries tenant-<id>, plan-<plan> and the stack's owner tag; got ${raw.tags.length})`,
          );
        for (const f of tagsFailures("tags", raw.tags)) if (f.property !== "tags") problem(f.property, f.reason);
        tags.push(...(raw.tags as string[]));
      }
    }

    const hostnames: string[] = [];
    if (raw.hostnames !== undefined) {
      if (!Array.isArray(raw.hostnames)) problem("hostnames", "must be a list of host names such as shop.example.com");
      else
        raw.hostnames.forEach((host, i) => {
          if (typeof host !== "string" || !HOSTNAME.test(host) || !host.includes("."))
            problem(`hostnames[${i}]`, `${JSON.stringify(host)} must be a lowercase host name with a dot, such as shop.example.com`);
          else if (hostOwners.has(host)) problem(`hostnames[${i}]`, `${host} is already a hostname of tenant "${hostOwners.get(host)}"`);
          else {
            hostOwners.set(host, String(raw.id));
            hostnames.push(host);
          }
        });
    }

    const kvNamespaces: string[] = [];
    if (raw.kvNamespaces !== undefined) {
      if (!Array.isArray(raw.kvNamespaces)) problem("kvNamespaces", "must be a list of binding names, such as [SESSIONS]");
      else
        raw.kvNamespaces.forEach((name, i) => {
          if (typeof name !== "string" || !SECRET_NAME.test(name))
            problem(`kvNamespaces[${i}]`, "must be a binding name (letters, digits, _; not starting with a digit)");
          else if (kvNamespaces.includes(name)) problem(`kvNamespaces[${i}]`, `lists ${name} twice`);
          else kvNamespaces.push(name);
        });
    }

    // Storage of its own: binding names unique across KV, D1 and R2.
    const storageNames = new Set(kvNamespaces);
    const bindingName = (field: string, name: unknown): name is string => {
      if (typeof name !== "string" || !SECRET_NAME.test(name))
        problem(field, "must be a binding name (letters, digits, _; not starting with a digit)");
      else if (storageNames.has(name)) problem(field, `${name} is already a binding of this tenant's storage`);
      else return !!storageNames.add(name);
      return false;
    };
    const d1Databases: TenantEntry["d1Databases"] = [];
    if (raw.d1Databases !== undefined) {
      if (!Array.isArray(raw.d1Databases)) problem("d1Databases", "must be a list of { binding, migrationsDir? }");
      else
        raw.d1Databases.forEach((db, i) => {
          if (!isObject(db) || Object.keys(db).some((k) => k !== "binding" && k !== "migrationsDir")) {
            problem(`d1Databases[${i}]`, "must be { binding, migrationsDir? }");
          } else if (bindingName(`d1Databases[${i}].binding`, db.binding)) {
            if (db.migrationsDir === undefined) d1Databases.push({ binding: db.binding });
            else {
              const dir = typeof db.migrationsDir === "string" ? path.resolve(baseDir, db.migrationsDir) : undefined;
              if (!dir || !isDirectory(dir)) problem(`d1Databases[${i}].migrationsDir`, `${String(db.migrationsDir)} is not a directory`);
              else d1Databases.push({ binding: db.binding, migrationsDir: dir });
            }
          }
        });
    }
    const r2Buckets: string[] = [];
    if (raw.r2Buckets !== undefined) {
      if (!Array.isArray(raw.r2Buckets)) problem("r2Buckets", "must be a list of binding names, such as [FILES]");
      else
        raw.r2Buckets.forEach((name, i) => {
          if (bindingName(`r2Buckets[${i}]`, name)) r2Buckets.push(name);
        });
    }

    const durableObjects: TenantEntry["durableObjects"] = [];
    if (raw.durableObjects !== undefined) {
      if (!Array.isArray(raw.durableObjects)) problem("durableObjects", "must be a list of { binding, className }");
      else
        raw.durableObjects.forEach((d, i) => {
          if (!isObject(d) || Object.keys(d).some((k) => k !== "binding" && k !== "className"))
            problem(`durableObjects[${i}]`, "must be { binding, className }");
          else if (typeof d.className !== "string" || !CLASS_NAME.test(d.className))
            problem(`durableObjects[${i}].className`, "must be the name of a class the Worker exports");
          else if (durableObjects.some((o) => o.className === d.className))
            problem(`durableObjects[${i}].className`, `lists ${d.className} twice`);
          else if (bindingName(`durableObjects[${i}].binding`, d.binding))
            durableObjects.push({ binding: d.binding, className: d.className });
        });
    }

    if (worker && typeof raw.id === "string" && typeof plan === "string" && plan in PLANS) {
      tenants.push({
        id: raw.id,
        plan: plan as Plan,
        worker,
        assets,
        secrets,
        tags,
        hostnames,
        kvNamespaces,
        d1Databases,
        r2Buckets,
        durableObjects,
      });
    }
  });
  if (problems.length > 0) throw new TenantsFileError(file, problems);
  return { tenants, blockedHosts };
}

function validateWorker(raw: unknown, baseDir: string, problem: (field: string, text: string) => void): TenantWorker | undefined {
  if (!isObject(raw)) {
    problem("worker", "is required: a mapping with dir, modules and compatibilityDate");
    return undefined;
  }
  unknownKeys(raw, WORKER_KEYS, (k) => problem(`worker.${k}`, `is not a known field (allowed: ${[...WORKER_KEYS].join(", ")})`));
  const dir = typeof raw.dir === "string" ? path.resolve(baseDir, raw.dir) : undefined;
  if (!dir) problem("worker.dir", "is required: the directory holding the modules");
  else if (!isDirectory(dir)) problem("worker.dir", `${raw.dir} is not a directory`);

  let ok = !!dir;
  const modules: string[] = [];
  if (!Array.isArray(raw.modules) || raw.modules.length === 0 || raw.modules.some((m) => typeof m !== "string")) {
    problem("worker.modules", "must be a non-empty list of file paths inside worker.dir");
    ok = false;
  } else {
    for (const name of raw.modules as string[]) {
      if (modules.includes(name)) problem("worker.modules", `lists ${name} twice`);
      else if (path.isAbsolute(name) || name.split(/[\\/]/).includes(".."))
        problem("worker.modules", `${name} must be a relative path inside worker.dir`);
      else if (dir && !existsSync(path.join(dir, name))) problem("worker.modules", `${name} does not exist in ${raw.dir}`);
      modules.push(name);
    }
  }
  const mainModule = raw.mainModule ?? modules[0];
  if (typeof mainModule !== "string" || !modules.includes(mainModule)) {
    problem("worker.mainModule", "must be one of worker.modules");
    ok = false;
  }
  if (typeof raw.compatibilityDate !== "string") {
    problem("worker.compatibilityDate", 'is required, as a quoted "YYYY-MM-DD" date');
    ok = false;
  } else {
    const dateProblem = compatibilityDateProblem(raw.compatibilityDate);
    if (dateProblem) problem("worker.compatibilityDate", dateProblem);
  }
  if (
    raw.compatibilityFlags !== undefined &&
    (!Array.isArray(raw.compatibilityFlags) || raw.compatibilityFlags.some((f) => typeof f !== "string"))
  ) {
    problem("worker.compatibilityFlags", "must be a list of strings");
  } else {
    for (const f of compatibilityFlagsFailures("worker.compatibilityFlags", raw.compatibilityFlags)) problem(f.property, f.reason);
  }
  if (raw.bindings !== undefined && (!Array.isArray(raw.bindings) || raw.bindings.some((b) => !isObject(b)))) {
    problem("worker.bindings", "must be a list of mappings, each with a type and a name");
  }
  if (!ok || !dir) return undefined;
  return {
    dir,
    modules,
    mainModule: mainModule as string,
    compatibilityDate: raw.compatibilityDate as string,
    compatibilityFlags: raw.compatibilityFlags as string[] | undefined,
    bindings: raw.bindings as Record<string, unknown>[] | undefined,
  };
}

function validateAssets(raw: unknown, baseDir: string, problem: (field: string, text: string) => void): TenantAssets | undefined {
  if (!isObject(raw) || typeof raw.directory !== "string") {
    problem("assets.directory", "is required: the directory of static files");
    return undefined;
  }
  unknownKeys(raw, ASSETS_KEYS, (k) => problem(`assets.${k}`, `is not a known field (allowed: ${[...ASSETS_KEYS].join(", ")})`));
  const directory = path.resolve(baseDir, raw.directory);
  if (!isDirectory(directory)) problem("assets.directory", `${raw.directory} is not a directory`);
  const oneOf = (field: string, allowed: readonly string[]) => {
    if (raw[field] !== undefined && !allowed.includes(raw[field] as string))
      problem(`assets.${field}`, `must be one of ${allowed.join(", ")}`);
  };
  oneOf("htmlHandling", HTML_HANDLING);
  oneOf("notFoundHandling", NOT_FOUND_HANDLING);
  const rwf = raw.runWorkerFirst;
  if (
    rwf !== undefined &&
    typeof rwf !== "boolean" &&
    (!Array.isArray(rwf) || rwf.some((r) => typeof r !== "string" || !/^!?\//.test(r)))
  ) {
    problem("assets.runWorkerFirst", 'must be true, false or a list of route rules starting with "/" or "!/"');
  }
  return {
    directory,
    htmlHandling: raw.htmlHandling as string | undefined,
    notFoundHandling: raw.notFoundHandling as string | undefined,
    runWorkerFirst: raw.runWorkerFirst as boolean | string[] | undefined,
  };
}

function unknownKeys(value: Record<string, unknown>, allowed: Set<string>, report: (key: string) => void): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) report(key);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
