/**
 * UserScript: a tenant's Worker script uploaded into a dispatch namespace.
 *
 * Lifecycle, top to bottom:
 * - check: validate every input; read `path` modules and record their sha256 (a file change is a diff);
 * - diff (pure): namespace / name / account replace; content, settings, tags, bindings and assets update in place;
 * - create / update: one multipart PUT of the whole script (`?bindings_inherit=strict`), always with
 *   `keep_bindings: ["secret_text","secret_key"]` so that ScriptSecrets survive code deploys;
 * - read: GET script details (existence, etag) and settings (compatibility, bindings without secrets,
 *   limits, logpush, observability, placement, tail consumers, tags);
 * - delete: DELETE; already gone is success.
 */
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { accountIdProblem, resolveCredentials } from "../config";
import { CloudflareApi } from "../api/client";
import { isNotFound, type Operation } from "../api/errors";
import { buildScriptUploadForm, type UploadModule } from "../api/multipart";
import { getScript, getScriptContent, isScriptOrNamespaceGone, paths, type ScriptObject, type ScriptSettings } from "../api/workers";
import type { AssetsAttachment } from "../assets/attach";
import {
  bindingNameProblem,
  booleanProblem,
  compatibilityDateProblem,
  compatibilityFlagsFailures,
  containsUnknown,
  deepEqual,
  isPlainObject,
  isImportCheck,
  isUnknown,
  namespaceNameProblem,
  scriptNameProblem,
  sha256Hex,
  tagsFailures,
  withoutInternalKeys,
  type CheckFailure,
} from "../validation";
import { DynamicResource, type KeyedDiff } from "./thin-provider";

// ---------------------------------------------------------------------------------------------------------------
// Modules

/** Module Content-Types the API accepts. */
export const MODULE_TYPES = [
  "application/javascript+module",
  "text/javascript+module",
  "application/javascript",
  "text/javascript",
  "text/x-python",
  "text/x-python-requirement",
  "application/wasm",
  "text/plain",
  "application/octet-stream",
  "application/source-map",
] as const;
export type ModuleType = (typeof MODULE_TYPES)[number];

/** Types inferred from a module's extension. */
export const EXTENSION_TYPES: Record<string, ModuleType> = {
  ".js": "application/javascript+module",
  ".mjs": "application/javascript+module",
  ".cjs": "application/javascript",
  ".py": "text/x-python",
  ".wasm": "application/wasm",
  ".map": "application/source-map",
  ".txt": "text/plain",
  ".html": "text/plain",
  ".css": "text/plain",
  ".md": "text/plain",
  ".bin": "application/octet-stream",
};

/** Types a main module may have (module syntax only). */
const MAIN_MODULE_TYPES: readonly string[] = ["application/javascript+module", "text/javascript+module", "text/x-python"];
/** Binary types: only from `path`, never inline `content`. */
const BINARY_TYPES: readonly string[] = ["application/wasm", "application/octet-stream"];

/** One module of a script: give exactly one of `content` and `path`. */
export interface ModuleArgs {
  /** The module name the other modules import it by, e.g. `index.js` or `lib/util.js`. */
  name: pulumi.Input<string>;
  /** The module text. */
  content?: pulumi.Input<string>;
  /** A file to read (relative to the Pulumi program's directory); required for binary modules (.wasm, .bin). */
  path?: pulumi.Input<string>;
  /** The Content-Type; inferred from the extension of `name` (or `path`) when omitted. One of {@link MODULE_TYPES}. */
  type?: pulumi.Input<ModuleType>;
}

/** A normalized module input: the type resolved and the content hashed. */
export interface ModuleInput {
  name: string;
  type: string;
  content?: string;
  path?: string;
  /** sha256 hex of the module bytes. */
  sha256: string;
}

/** A module as stored in outputs: no content, just what diffs need. */
export interface ModuleOutput {
  name: string;
  type: string;
  sha256: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Bindings

/** Binding types, their fields (camelCase, as inputs take them) and which fields are required. */
export const BINDING_FIELDS: Record<string, { required: string[]; optional: string[] }> = {
  plain_text: { required: ["text"], optional: [] },
  json: { required: ["json"], optional: [] },
  kv_namespace: { required: ["namespaceId"], optional: [] },
  d1: { required: ["databaseId"], optional: [] },
  r2_bucket: { required: ["bucketName"], optional: ["jurisdiction"] },
  durable_object_namespace: { required: [], optional: ["className", "scriptName", "environment", "dispatchNamespace", "namespaceId"] },
  service: { required: ["service"], optional: ["environment", "entrypoint"] },
  queue: { required: ["queueName"], optional: [] },
  analytics_engine: { required: ["dataset"], optional: [] },
  hyperdrive: { required: ["id"], optional: [] },
  mtls_certificate: { required: ["certificateId"], optional: [] },
  vectorize: { required: ["indexName"], optional: [] },
  workflow: { required: ["workflowName"], optional: ["className", "scriptName"] },
  secrets_store_secret: { required: ["storeId", "secretName"], optional: [] },
  ratelimit: { required: ["namespaceId", "simple"], optional: [] },
  dispatch_namespace: { required: ["namespace"], optional: ["outbound"] },
  pipelines: { required: ["pipeline"], optional: [] },
  send_email: { required: [], optional: ["destinationAddress", "allowedDestinationAddresses", "allowedSenderAddresses"] },
  version_metadata: { required: [], optional: [] },
  assets: { required: [], optional: [] },
  ai: { required: [], optional: [] },
  browser: { required: [], optional: [] },
  images: { required: [], optional: [] },
  media: { required: [], optional: [] },
  inherit: { required: [], optional: ["oldName", "versionId"] },
};

/** Secret binding types: managed by ScriptSecret, never by UserScript, and kept across uploads. */
export const SECRET_BINDING_TYPES = ["secret_text", "secret_key"];

type B<T extends string, F = object> = { name: string; type: T } & F;
/** A binding, in camelCase. Secrets are not bindings here: use {@link ScriptSecret}. */
export type Binding =
  | B<"plain_text", { text: string }>
  | B<"json", { json: unknown }>
  | B<"kv_namespace", { namespaceId: string }>
  | B<"d1", { databaseId: string }>
  | B<"r2_bucket", { bucketName: string; jurisdiction?: "eu" | "fedramp" | "fedramp-high" }>
  | B<"durable_object_namespace", { className?: string; scriptName?: string; environment?: string; dispatchNamespace?: string; namespaceId?: string }>
  | B<"service", { service: string; environment?: string; entrypoint?: string }>
  | B<"queue", { queueName: string }>
  | B<"analytics_engine", { dataset: string }>
  | B<"hyperdrive", { id: string }>
  | B<"mtls_certificate", { certificateId: string }>
  | B<"vectorize", { indexName: string }>
  | B<"workflow", { workflowName: string; className?: string; scriptName?: string }>
  | B<"secrets_store_secret", { storeId: string; secretName: string }>
  | B<"ratelimit", { namespaceId: string; simple: { limit: number; period: number; mitigationTimeout?: number } }>
  | B<"dispatch_namespace", { namespace: string; outbound?: { worker?: { service: string; environment?: string; entrypoint?: string }; params?: Array<{ name: string }> } }>
  | B<"pipelines", { pipeline: string }>
  | B<"send_email", { destinationAddress?: string; allowedDestinationAddresses?: string[]; allowedSenderAddresses?: string[] }>
  | B<"version_metadata" | "assets" | "ai" | "browser" | "images" | "media">
  | B<"inherit", { oldName?: string; versionId?: string }>;

// ---------------------------------------------------------------------------------------------------------------
// Settings

export const USAGE_MODELS = ["standard", "bundled", "unbound"] as const;

export interface ObservabilityArgs {
  enabled: boolean;
  /** 0..1 */
  headSamplingRate?: number;
  logs?: { enabled: boolean; invocationLogs: boolean; headSamplingRate?: number; persist?: boolean; destinations?: string[] };
  traces?: { enabled?: boolean; headSamplingRate?: number; persist?: boolean; destinations?: string[] };
}

export interface PlacementArgs {
  mode?: "smart" | "targeted";
  region?: string;
  hostname?: string;
  host?: string;
}

export interface TailConsumer {
  service: string;
  environment?: string;
  namespace?: string;
}

/** Arguments of a {@link UserScript}. */
export interface UserScriptArgs {
  /** The dispatch namespace name. Changing it replaces the script (created in the new namespace first). */
  namespace: pulumi.Input<string>;
  /** The script name (lowercase letters, digits, `-`, `_`; 1–63). Changing it replaces the script. */
  name: pulumi.Input<string>;
  /** The modules; the first is the main module unless `mainModule` says otherwise. */
  modules: pulumi.Input<pulumi.Input<ModuleArgs>[]>;
  /** The module the runtime starts from (an ES module or Python module). Default: the first module. */
  mainModule?: pulumi.Input<string>;
  /** The Workers compatibility date, YYYY-MM-DD (a real date, not in the future). Required. */
  compatibilityDate: pulumi.Input<string>;
  /** Compatibility flags, e.g. `["nodejs_compat"]`. */
  compatibilityFlags?: pulumi.Input<pulumi.Input<string>[]>;
  /** Bindings (no secrets: use ScriptSecret). Names must be unique identifiers. */
  bindings?: pulumi.Input<pulumi.Input<Binding>[]>;
  /** Script tags: at most 8, each ≤ 1024 characters without `,` or `&`. The stack owns the whole tag set. */
  tags?: pulumi.Input<pulumi.Input<string>[]>;
  /** `standard` (default), `bundled` or `unbound`. */
  usageModel?: pulumi.Input<(typeof USAGE_MODELS)[number]>;
  /** CPU time limit per invocation, in milliseconds (1–300000). */
  limits?: pulumi.Input<{ cpuMs?: pulumi.Input<number> }>;
  /** Whether Workers Logpush is on. Default false. */
  logpush?: pulumi.Input<boolean>;
  /** Workers observability. Default `{ enabled: false }`. */
  observability?: pulumi.Input<ObservabilityArgs>;
  /** Placement: `{ mode: "smart" }`, `{ region }`, `{ hostname }` or `{ host }`. */
  placement?: pulumi.Input<PlacementArgs>;
  /** Tail consumers. */
  tailConsumers?: pulumi.Input<pulumi.Input<TailConsumer>[]>;
  /** Static assets from a StaticAssets resource (`staticAssets.attachment`). Diffs on its digest only. */
  assets?: pulumi.Input<AssetsAttachment>;
  /** The Cloudflare account id; defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

/** The settings fields, shared by inputs and outputs under the same names. */
interface ScriptSettingsShape {
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: Binding[];
  tags: string[];
  usageModel: string;
  limits: { cpuMs?: number };
  logpush: boolean;
  observability: Record<string, unknown>;
  placement: Record<string, unknown>;
  tailConsumers: TailConsumer[];
}

/** Normalized inputs (check's result). */
export interface UserScriptInputs extends ScriptSettingsShape {
  namespace: string;
  name: string;
  modules: ModuleInput[];
  mainModule: string;
  assets?: AssetsAttachment;
  accountId?: string;
}

/** Outputs: the inputs minus module content, plus etags and the deployed assets digest. */
export interface UserScriptOutputs extends ScriptSettingsShape {
  namespace: string;
  name: string;
  modules: ModuleOutput[];
  mainModule: string;
  /** The digest of the assets our last PUT deployed (or, after a refresh, "" if the script has none). */
  assetsDigest?: string;
  accountId?: string;
  /** The script's etag as last observed. */
  etag: string;
  /** The etag our last PUT returned: a different observed etag means someone else deployed. */
  deployedEtag: string;
}

// ---------------------------------------------------------------------------------------------------------------
// check

const MAX_CPU_MS = 300_000;
/**
 * Largest module file read at check time. Cloudflare limits a Worker to 10 MB after compression (Workers Paid);
 * a 64 MiB source cannot fit, and refusing it early keeps check from reading huge files into memory.
 */
export const MAX_MODULE_BYTES = 64 * 1024 * 1024;

function inferType(name: string, filePath?: string): ModuleType | undefined {
  return EXTENSION_TYPES[path.extname(name).toLowerCase()] ?? (filePath ? EXTENSION_TYPES[path.extname(filePath).toLowerCase()] : undefined);
}

function moduleNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return "must be a string such as index.js";
  if (name === "") return "must not be empty";
  if (name.length > 255) return `must be at most 255 characters (got ${name.length})`;
  if (name === "metadata") return "must not be \"metadata\" (the name of the upload's metadata part)";
  if (name.startsWith("/") || name.includes("\\") || name.split("/").some((s) => s === ".." || s === "." || s === "")) {
    return "must be a relative module path without '.', '..', empty segments, a leading '/' or '\\'";
  }
  return undefined;
}

function checkModules(value: unknown, failures: CheckFailure[]): ModuleInput[] {
  if (value === undefined) {
    failures.push({ property: "modules", reason: "is required: at least one module, given as {name, content} or {name, path}" });
    return [];
  }
  if (isUnknown(value)) return value as unknown as ModuleInput[];
  if (!Array.isArray(value) || value.length === 0) {
    failures.push({ property: "modules", reason: "must be a non-empty list of modules {name, content | path, type?}" });
    return [];
  }
  const out: ModuleInput[] = [];
  const seen = new Set<string>();
  value.forEach((raw, i) => {
    const p = `modules[${i}]`;
    if (isUnknown(raw)) {
      out.push(raw as ModuleInput);
      return;
    }
    if (!isPlainObject(raw)) {
      failures.push({ property: p, reason: "must be an object {name, content | path, type?}" });
      return;
    }
    for (const key of Object.keys(raw)) {
      if (!["name", "content", "path", "type", "sha256"].includes(key)) failures.push({ property: `${p}.${key}`, reason: "is not a module field; use name, content, path or type" });
    }
    const { name, content, path: filePath, type } = raw;
    const m: ModuleInput = { name: name as string, type: "", sha256: "" };
    if (!isUnknown(name)) {
      const problem = moduleNameProblem(name);
      if (problem) failures.push({ property: `${p}.name`, reason: problem });
      else if (seen.has(name as string)) failures.push({ property: `${p}.name`, reason: `duplicates the module name ${JSON.stringify(name)}` });
      else seen.add(name as string);
    }
    const hasContent = content !== undefined;
    const hasPath = filePath !== undefined;
    if (hasContent === hasPath) {
      failures.push({ property: p, reason: "must give exactly one of content (the module text) and path (a file to read)" });
    }
    // Type: stated, or inferred from the extension.
    if (type !== undefined) {
      if (isUnknown(type)) m.type = type as string;
      else if (typeof type !== "string" || !(MODULE_TYPES as readonly string[]).includes(type)) {
        failures.push({ property: `${p}.type`, reason: `must be one of ${MODULE_TYPES.join(", ")}` });
      } else m.type = type;
    } else if (typeof name === "string" && !isUnknown(name)) {
      const inferred = inferType(name, typeof filePath === "string" ? filePath : undefined);
      if (inferred) m.type = inferred;
      else {
        failures.push({
          property: `${p}.type`,
          reason: `cannot be inferred from the name ${JSON.stringify(name)}: use an extension among ${Object.keys(EXTENSION_TYPES).join(" ")} or state type (one of ${MODULE_TYPES.join(", ")})`,
        });
      }
    } else m.type = name as string; // unknown during preview
    if (hasContent && !hasPath) {
      if (isUnknown(content)) {
        m.content = content as string;
        m.sha256 = content as string;
      } else if (typeof content !== "string") {
        failures.push({ property: `${p}.content`, reason: "must be a string (use path for binary modules)" });
      } else {
        if (BINARY_TYPES.includes(m.type)) failures.push({ property: `${p}.content`, reason: `cannot hold a binary module (${m.type}): give path instead` });
        m.content = content;
        m.sha256 = sha256Hex(content);
      }
    }
    if (hasPath && !hasContent) {
      if (isUnknown(filePath)) {
        m.path = filePath as string;
        m.sha256 = filePath as string;
      } else if (typeof filePath !== "string" || filePath === "") {
        failures.push({ property: `${p}.path`, reason: "must be a non-empty file path" });
      } else {
        m.path = filePath;
        try {
          // stat first: a directory or a huge (even sparse) file is refused without reading it.
          const st = statSync(path.resolve(filePath));
          if (!st.isFile()) failures.push({ property: `${p}.path`, reason: `must be a file (got a directory or special file): ${path.resolve(filePath)}` });
          else if (st.size > MAX_MODULE_BYTES) {
            failures.push({ property: `${p}.path`, reason: `must be a module of at most ${MAX_MODULE_BYTES} bytes (got ${st.size}): ${path.resolve(filePath)}` });
          } else m.sha256 = sha256Hex(readFileSync(path.resolve(filePath)));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          failures.push({ property: `${p}.path`, reason: `cannot be read (${code ?? "error"}): ${path.resolve(filePath)}` });
        }
      }
    }
    out.push(m);
  });
  return out;
}

const ASSETS_BINDING_NEEDS_ASSETS = "an assets binding needs the assets input (a StaticAssets attachment)";

function checkBindings(value: unknown, failures: CheckFailure[], hasAssets: boolean): Binding[] {
  if (value === undefined) return [];
  if (isUnknown(value)) return value as unknown as Binding[];
  if (!Array.isArray(value)) {
    failures.push({ property: "bindings", reason: "must be a list of bindings {name, type, ...}" });
    return [];
  }
  const seen = new Set<string>();
  value.forEach((b, i) => {
    const p = `bindings[${i}]`;
    if (isUnknown(b)) return;
    if (!isPlainObject(b)) {
      failures.push({ property: p, reason: "must be an object {name, type, ...}" });
      return;
    }
    if (!isUnknown(b.name)) {
      const problem = bindingNameProblem(b.name);
      if (problem) failures.push({ property: `${p}.name`, reason: problem });
      else if (seen.has(b.name as string)) failures.push({ property: `${p}.name`, reason: `duplicates the binding name ${b.name as string}: binding names must be unique` });
      else seen.add(b.name as string);
    }
    if (isUnknown(b.type)) return;
    if (typeof b.type === "string" && SECRET_BINDING_TYPES.includes(b.type)) {
      failures.push({ property: `${p}.type`, reason: `${b.type} is not taken here: manage secrets with the ScriptSecret resource, which survives script updates` });
      return;
    }
    const spec = typeof b.type === "string" ? BINDING_FIELDS[b.type] : undefined;
    if (!spec) {
      failures.push({ property: `${p}.type`, reason: `must be one of ${Object.keys(BINDING_FIELDS).join(", ")}` });
      return;
    }
    const allowed = ["name", "type", ...spec.required, ...spec.optional];
    for (const key of Object.keys(b)) {
      if (!allowed.includes(key)) failures.push({ property: `${p}.${key}`, reason: `is not a field of a ${b.type} binding; allowed: ${allowed.join(", ")}` });
    }
    for (const key of spec.required) {
      if (b[key] === undefined || b[key] === null || b[key] === "") failures.push({ property: `${p}.${key}`, reason: `is required for a ${b.type} binding` });
    }
    for (const key of [...spec.required, ...spec.optional]) {
      const v = b[key];
      if (v === undefined || isUnknown(v) || key === "json" || key === "simple" || key === "outbound") continue;
      if (key.startsWith("allowed")) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) failures.push({ property: `${p}.${key}`, reason: "must be a list of strings" });
      } else if (typeof v !== "string") failures.push({ property: `${p}.${key}`, reason: "must be a string" });
    }
    if (b.type === "kv_namespace" && typeof b.namespaceId === "string" && b.namespaceId.length > 32) {
      failures.push({ property: `${p}.namespaceId`, reason: "must be at most 32 characters (a KV namespace id)" });
    }
    if (b.type === "r2_bucket" && b.jurisdiction !== undefined && !["eu", "fedramp", "fedramp-high"].includes(b.jurisdiction as string)) {
      failures.push({ property: `${p}.jurisdiction`, reason: "must be eu, fedramp or fedramp-high" });
    }
    if (b.type === "ratelimit" && b.simple !== undefined && !isUnknown(b.simple)) {
      const s = b.simple;
      if (!isPlainObject(s) || typeof s.limit !== "number" || typeof s.period !== "number") {
        failures.push({ property: `${p}.simple`, reason: "must be {limit: number, period: number, mitigationTimeout?: number}" });
      }
    }
    if (b.type === "json" && b.json !== undefined && !isUnknown(b.json)) {
      try {
        JSON.stringify(b.json);
      } catch {
        failures.push({ property: `${p}.json`, reason: "must be a JSON value" });
      }
    }
    if (b.type === "assets" && !hasAssets) {
      failures.push({ property: `${p}.type`, reason: ASSETS_BINDING_NEEDS_ASSETS });
    }
  });
  return value as Binding[];
}

function checkSettings(n: Record<string, unknown>, failures: CheckFailure[]): Omit<ScriptSettingsShape, "compatibilityDate" | "compatibilityFlags" | "bindings" | "tags"> {
  const usageModel = n.usageModel ?? "standard";
  if (!isUnknown(usageModel) && !(USAGE_MODELS as readonly unknown[]).includes(usageModel)) {
    failures.push({ property: "usageModel", reason: `must be one of ${USAGE_MODELS.join(", ")}` });
  }
  const limits = n.limits ?? {};
  if (!isUnknown(limits)) {
    if (!isPlainObject(limits)) failures.push({ property: "limits", reason: "must be an object {cpuMs?}" });
    else {
      for (const key of Object.keys(limits)) if (key !== "cpuMs") failures.push({ property: `limits.${key}`, reason: "is not a known limit; use cpuMs" });
      const cpu = limits.cpuMs;
      if (cpu !== undefined && !isUnknown(cpu) && (typeof cpu !== "number" || !Number.isInteger(cpu) || cpu < 1 || cpu > MAX_CPU_MS)) {
        failures.push({ property: "limits.cpuMs", reason: `must be a whole number of milliseconds from 1 to ${MAX_CPU_MS}` });
      }
    }
  }
  const logpushProblem = booleanProblem(n.logpush);
  if (logpushProblem) failures.push({ property: "logpush", reason: logpushProblem });
  const observability = n.observability ?? { enabled: false };
  if (!isUnknown(observability)) {
    if (!isPlainObject(observability) || (!isUnknown(observability.enabled) && typeof observability.enabled !== "boolean")) {
      failures.push({ property: "observability", reason: "must be an object with enabled: boolean (and optionally headSamplingRate, logs, traces)" });
    } else {
      const allowed = ["enabled", "headSamplingRate", "logs", "traces"];
      for (const key of Object.keys(observability)) if (!allowed.includes(key)) failures.push({ property: `observability.${key}`, reason: `is not known; use ${allowed.join(", ")}` });
      const rate = observability.headSamplingRate;
      if (rate !== undefined && !isUnknown(rate) && (typeof rate !== "number" || rate < 0 || rate > 1)) {
        failures.push({ property: "observability.headSamplingRate", reason: "must be a number from 0 to 1" });
      }
      for (const key of ["logs", "traces"]) {
        const v = observability[key];
        if (v !== undefined && !isUnknown(v) && !isPlainObject(v)) failures.push({ property: `observability.${key}`, reason: "must be an object" });
      }
    }
  }
  const placement = n.placement ?? {};
  if (!isUnknown(placement)) {
    if (!isPlainObject(placement)) failures.push({ property: "placement", reason: "must be an object: {mode: \"smart\"}, {region}, {hostname} or {host}" });
    else {
      for (const key of Object.keys(placement)) {
        if (!["mode", "region", "hostname", "host"].includes(key)) failures.push({ property: `placement.${key}`, reason: "is not known; use mode, region, hostname or host" });
        else if (!isUnknown(placement[key]) && typeof placement[key] !== "string") failures.push({ property: `placement.${key}`, reason: "must be a string" });
      }
      if (placement.mode !== undefined && !isUnknown(placement.mode) && !["smart", "targeted"].includes(placement.mode as string)) {
        failures.push({ property: "placement.mode", reason: "must be \"smart\" or \"targeted\"" });
      }
    }
  }
  const tailConsumers = n.tailConsumers ?? [];
  if (!isUnknown(tailConsumers)) {
    if (!Array.isArray(tailConsumers)) failures.push({ property: "tailConsumers", reason: "must be a list of {service, environment?, namespace?}" });
    else {
      tailConsumers.forEach((t, i) => {
        if (isUnknown(t)) return;
        if (!isPlainObject(t) || (!isUnknown(t.service) && scriptNameProblem(t.service) !== undefined)) {
          failures.push({ property: `tailConsumers[${i}]`, reason: "must be {service: <script name>, environment?, namespace?}" });
        }
      });
    }
  }
  return {
    usageModel: usageModel as string,
    limits: stripUndefined(limits) as { cpuMs?: number },
    logpush: (n.logpush as boolean | undefined) ?? false,
    observability: stripUndefined(observability) as Record<string, unknown>,
    placement: stripUndefined(placement) as Record<string, unknown>,
    tailConsumers: (Array.isArray(tailConsumers) ? tailConsumers.map(stripUndefined) : tailConsumers) as TailConsumer[],
  };
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
    return out;
  }
  return value;
}

/** Validates and normalizes UserScript inputs. Reads `path` modules to hash them; no API calls. */
export function checkUserScript(news: Record<string, unknown>, now: Date = new Date()): { inputs: UserScriptInputs; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const n = withoutInternalKeys(news ?? {});
  const known = [
    "namespace", "name", "modules", "mainModule", "compatibilityDate", "compatibilityFlags", "bindings", "tags",
    "usageModel", "limits", "logpush", "observability", "placement", "tailConsumers", "assets", "accountId",
    // outputs seeded as undefined by the resource class
    "etag", "deployedEtag", "assetsDigest",
  ];
  for (const key of Object.keys(n)) if (!known.includes(key)) failures.push({ property: key, reason: `is not an input of UserScript; use ${known.slice(0, 16).join(", ")}` });

  if (n.namespace === undefined) failures.push({ property: "namespace", reason: "is required: the dispatch namespace name" });
  else if (!isUnknown(n.namespace)) {
    const problem = namespaceNameProblem(n.namespace);
    if (problem) failures.push({ property: "namespace", reason: problem });
  }
  if (n.name === undefined) failures.push({ property: "name", reason: "is required: the script name" });
  else if (!isUnknown(n.name)) {
    const problem = scriptNameProblem(n.name);
    if (problem) failures.push({ property: "name", reason: problem });
  }
  const modules = checkModules(n.modules, failures);

  let mainModule = n.mainModule as string | undefined;
  if (mainModule === undefined && Array.isArray(modules) && modules.length > 0) mainModule = modules[0]!.name;
  if (mainModule !== undefined && !isUnknown(mainModule) && Array.isArray(modules) && !containsUnknown(modules.map((m) => m.name))) {
    const main = modules.find((m) => m.name === mainModule);
    if (typeof mainModule !== "string" || !main) {
      failures.push({ property: "mainModule", reason: `must name one of the modules (${modules.map((m) => m.name).join(", ")})` });
    } else if (main.type && !isUnknown(main.type) && !MAIN_MODULE_TYPES.includes(main.type)) {
      failures.push({ property: "mainModule", reason: `must be an ES module or a Python module (${MAIN_MODULE_TYPES.join(", ")}), not ${main.type}` });
    }
  }

  if (n.compatibilityDate === undefined) {
    failures.push({ property: "compatibilityDate", reason: "is required: a date in the form YYYY-MM-DD, e.g. the day you tested the script" });
  } else if (!isUnknown(n.compatibilityDate)) {
    const problem = compatibilityDateProblem(n.compatibilityDate, now);
    if (problem) failures.push({ property: "compatibilityDate", reason: problem });
  }
  failures.push(...compatibilityFlagsFailures("compatibilityFlags", n.compatibilityFlags));
  failures.push(...tagsFailures("tags", n.tags));
  const hasAssets = n.assets !== undefined && n.assets !== null;
  const bindings = checkBindings(n.bindings, failures, hasAssets);
  if (hasAssets && !isUnknown(n.assets)) {
    const a = n.assets;
    if (!isPlainObject(a) || (!isUnknown(a.digest) && (typeof a.digest !== "string" || a.digest === ""))) {
      failures.push({ property: "assets", reason: "must be a StaticAssets attachment (staticAssets.attachment) with a digest" });
    }
  }
  if (!isUnknown(n.accountId)) {
    const problem = accountIdProblem(n.accountId);
    if (problem) failures.push({ property: "accountId", reason: problem });
  }
  const settings = checkSettings(n, failures);

  const inputs: UserScriptInputs = {
    namespace: n.namespace as string,
    name: n.name as string,
    modules,
    mainModule: mainModule as string,
    compatibilityDate: n.compatibilityDate as string,
    compatibilityFlags: (n.compatibilityFlags as string[] | undefined) ?? [],
    bindings: (stripUndefined(bindings) as Binding[]) ?? [],
    tags: (n.tags as string[] | undefined) ?? [],
    ...settings,
  };
  if (hasAssets) inputs.assets = n.assets as AssetsAttachment;
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs, failures };
}

// ---------------------------------------------------------------------------------------------------------------
// diff (pure)

const sortedStrings = (xs: unknown): unknown => (Array.isArray(xs) ? [...xs].map(String).sort() : xs);
const byName = (xs: unknown): unknown =>
  Array.isArray(xs) ? [...xs].sort((a, b) => String((a as { name?: string })?.name).localeCompare(String((b as { name?: string })?.name))) : xs;
const moduleKeys = (xs: unknown): unknown =>
  Array.isArray(xs) ? xs.map((m) => (isPlainObject(m) ? { name: m.name, type: m.type, sha256: m.sha256 } : m)) : xs;

/** Settings compared field by field, each normalized the same way on both sides. */
const SETTINGS_COMPARATORS: Array<[keyof ScriptSettingsShape, (v: unknown) => unknown, unknown]> = [
  ["compatibilityDate", (v) => v, undefined],
  ["compatibilityFlags", sortedStrings, []],
  ["bindings", byName, []],
  ["tags", sortedStrings, []],
  ["usageModel", (v) => v, "standard"],
  ["limits", (v) => v, {}],
  ["logpush", (v) => v, false],
  ["observability", (v) => v, { enabled: false }],
  ["placement", (v) => v, {}],
  ["tailConsumers", (v) => v, []],
];

/**
 * diff(olds = stored outputs, news = normalized inputs). Pure. Refresh calls it as
 * diff(refreshed outputs, stored inputs), so a clean state must produce no changes.
 */
export function diffUserScript(olds: Partial<UserScriptOutputs>, news: UserScriptInputs): KeyedDiff {
  const changes: string[] = [];
  const replaces: string[] = [];
  for (const key of ["namespace", "name"] as const) if (olds[key] !== news[key]) replaces.push(key);
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");

  // Another deploy since ours (its code or its asset set): reported as `etag`, repaired by our upload.
  if (olds.etag !== undefined && olds.deployedEtag !== undefined && olds.etag !== olds.deployedEtag) changes.push("etag");
  if (containsUnknown(news.modules) || !deepEqual(moduleKeys(olds.modules), moduleKeys(news.modules))) changes.push("modules");
  if (olds.mainModule !== news.mainModule) changes.push("mainModule");
  for (const [key, normalize, fallback] of SETTINGS_COMPARATORS) {
    const a = normalize(olds[key] ?? fallback);
    const b = normalize(news[key] ?? fallback);
    if (containsUnknown(b) || !deepEqual(a, b)) changes.push(key);
  }
  const newDigest = news.assets === undefined || news.assets === null ? undefined : isUnknown(news.assets) ? news.assets : news.assets.digest;
  const oldDigest = olds.assetsDigest === "" ? undefined : olds.assetsDigest;
  if (isUnknown(newDigest) || (oldDigest ?? undefined) !== (newDigest ?? undefined)) changes.push("assets");

  const all = [...new Set([...changes, ...replaces])];
  // Names differ on replacement, so the new script can be created before the old one is deleted.
  return { changes: all.length > 0, replaces, deleteBeforeReplace: false, changedKeys: all };
}

// ---------------------------------------------------------------------------------------------------------------
// Wire conversion

const camelToSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const snakeToCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Converts object keys recursively, leaving the value of a `json` key alone. */
function convertKeys(value: unknown, convert: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convertKeys(v, convert));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[convert(k)] = k === "json" ? v : convertKeys(v, convert);
  }
  return out;
}

export function bindingToWire(b: Binding): Record<string, unknown> {
  return convertKeys(b, camelToSnake) as Record<string, unknown>;
}

/** An API binding in input form: camelCase, limited to the fields its type defines. Undefined for secrets. */
export function bindingFromWire(raw: Record<string, unknown>): Binding | undefined {
  if (typeof raw.type !== "string" || SECRET_BINDING_TYPES.includes(raw.type)) return undefined;
  const camel = convertKeys(raw, snakeToCamel) as Record<string, unknown>;
  const spec = BINDING_FIELDS[raw.type];
  if (!spec) return camel as Binding;
  const out: Record<string, unknown> = { name: camel.name, type: camel.type };
  for (const key of [...spec.required, ...spec.optional]) if (camel[key] !== undefined && camel[key] !== null) out[key] = camel[key];
  return out as Binding;
}

/** The upload metadata for a PUT (without assets, added by the caller). */
export function buildMetadata(inputs: UserScriptInputs): Record<string, unknown> {
  const m: Record<string, unknown> = {
    main_module: inputs.mainModule,
    compatibility_date: inputs.compatibilityDate,
    compatibility_flags: inputs.compatibilityFlags,
    bindings: inputs.bindings.map(bindingToWire),
    // ScriptSecrets are bindings too: keep them, or every deploy would wipe them.
    keep_bindings: [...SECRET_BINDING_TYPES],
    tags: inputs.tags,
    logpush: inputs.logpush,
    observability: convertKeys(inputs.observability, camelToSnake),
  };
  if (inputs.usageModel !== "standard") m.usage_model = inputs.usageModel;
  if (inputs.limits.cpuMs !== undefined) m.limits = { cpu_ms: inputs.limits.cpuMs };
  if (Object.keys(inputs.placement).length > 0) m.placement = convertKeys(inputs.placement, camelToSnake);
  if (inputs.tailConsumers.length > 0) m.tail_consumers = inputs.tailConsumers;
  return m;
}

/** Settings as the API returns them → the input/output shape. */
export function settingsFromWire(s: ScriptSettings, tags: string[] | undefined): ScriptSettingsShape {
  const limits: { cpuMs?: number } = {};
  if (s.limits && typeof s.limits.cpu_ms === "number") limits.cpuMs = s.limits.cpu_ms;
  return {
    compatibilityDate: s.compatibility_date ?? "",
    compatibilityFlags: s.compatibility_flags ?? [],
    bindings: (s.bindings ?? []).map(bindingFromWire).filter((b): b is Binding => b !== undefined),
    tags: tags ?? s.tags ?? [],
    usageModel: s.usage_model ?? "standard",
    limits,
    logpush: s.logpush ?? false,
    observability: (convertKeys(s.observability ?? { enabled: false }, snakeToCamel) as Record<string, unknown>) ?? { enabled: false },
    placement: (convertKeys(s.placement ?? {}, snakeToCamel) as Record<string, unknown>) ?? {},
    tailConsumers: (s.tail_consumers ?? []) as unknown as TailConsumer[],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Provider

const label = (ns: string, name: string) => `UserScript "${ns}/${name}"`;
const opFor = (ns: string, name: string, operation: string): Operation => ({ resource: label(ns, name), operation });

function connect(accountId: string | undefined): CloudflareApi {
  return new CloudflareApi(resolveCredentials({ accountId }));
}

/** Module bytes for the upload: `content` as is, `path` read again now. */
function loadModules(modules: ModuleInput[]): { upload: UploadModule[]; outputs: ModuleOutput[] } {
  const upload: UploadModule[] = [];
  const outputs: ModuleOutput[] = [];
  for (const m of modules) {
    const bytes: string | Uint8Array = m.path !== undefined ? readFileSync(path.resolve(m.path)) : (m.content ?? "");
    upload.push({ name: m.name, type: m.type, content: bytes });
    outputs.push({ name: m.name, type: m.type, sha256: sha256Hex(bytes) });
  }
  return { upload, outputs };
}

async function assetsMetadata(
  api: CloudflareApi,
  inputs: UserScriptInputs,
  deployedDigest: string | undefined,
): Promise<Record<string, unknown>> {
  const a = inputs.assets;
  if (!a) return {};
  if (deployedDigest !== undefined && deployedDigest === a.digest) {
    // Same files: no upload session; keep the deployed assets, but resend the config (the PUT replaces it).
    return { keep_assets: true, assets: { config: a.config } };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prepareAssetsForDeploy } = require("../assets/attach") as typeof import("../assets/attach");
  const { jwt, config } = await prepareAssetsForDeploy(api, { namespace: inputs.namespace, scriptName: inputs.name }, a);
  return { assets: { jwt, config } };
}

async function deploy(
  inputs: UserScriptInputs,
  operation: "create" | "update",
  deployedDigest: string | undefined,
): Promise<UserScriptOutputs> {
  const api = connect(inputs.accountId);
  const op = opFor(inputs.namespace, inputs.name, operation);
  const { upload, outputs: modules } = loadModules(inputs.modules);
  const metadata = { ...buildMetadata(inputs), ...(await assetsMetadata(api, inputs, deployedDigest)) };
  const result = await api.call<ScriptObject>({
    method: "put",
    path: paths.script(inputs.namespace, inputs.name),
    query: { bindings_inherit: "strict" },
    body: buildScriptUploadForm(metadata, upload),
    op,
  });
  const etag = result?.etag ?? "";
  const outs: UserScriptOutputs = {
    namespace: inputs.namespace,
    name: inputs.name,
    modules,
    mainModule: inputs.mainModule,
    compatibilityDate: inputs.compatibilityDate,
    compatibilityFlags: inputs.compatibilityFlags,
    bindings: inputs.bindings,
    tags: inputs.tags,
    usageModel: inputs.usageModel,
    limits: inputs.limits,
    logpush: inputs.logpush,
    observability: inputs.observability,
    placement: inputs.placement,
    tailConsumers: inputs.tailConsumers,
    etag,
    deployedEtag: etag,
  };
  if (inputs.assets) outs.assetsDigest = inputs.assets.digest;
  if (inputs.accountId !== undefined) outs.accountId = inputs.accountId;
  return outs;
}

/** Splits a UserScript id `<namespace>/<script>`. */
export function parseUserScriptId(id: string): { namespace: string; name: string } {
  const parts = id.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new Error(`UserScript: invalid id ${JSON.stringify(id)}: expected <namespace>/<script name>`);
  }
  return { namespace: parts[0], name: parts[1] };
}

/** Reads module contents back (import only). */
async function readModules(ns: string, name: string, accountId: string | undefined, op: Operation): Promise<{ modules: ModuleInput[]; entry?: string }> {
  const content = await getScriptContent(connect(accountId), ns, name, op);
  if (!content) return { modules: [] };
  const modules = content.modules.map((m): ModuleInput => {
    const type = m.type || inferType(m.name) || "application/octet-stream";
    const base: ModuleInput = { name: m.name, type, sha256: sha256Hex(m.bytes) };
    // Text modules come back inline; binary ones cannot be inputs without a file, so they keep only their hash.
    if (!BINARY_TYPES.includes(type)) base.content = Buffer.from(m.bytes).toString("utf8");
    return base;
  });
  return { modules, entry: content.entry };
}

export const userScriptProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    const { inputs, failures } = checkUserScript(news);
    // `pulumi import` checks the inputs read back against themselves: they keep a script's assets binding, but
    // not the StaticAssets attachment, which cannot be read back.
    const importCheck = isImportCheck(olds, news, "assets");
    return { inputs, failures: importCheck ? failures.filter((f) => f.reason !== ASSETS_BINDING_NEEDS_ASSETS) : failures };
  },

  async diff(_id: string, olds: UserScriptOutputs, news: UserScriptInputs) {
    return diffUserScript(olds, news);
  },

  async create(inputs: UserScriptInputs) {
    const outs = await deploy(inputs, "create", undefined);
    return { id: `${inputs.namespace}/${inputs.name}`, outs };
  },

  /**
   * Refresh and import. Import id: `<namespace>/<script name>`. Returns `{}` when the script or its
   * namespace is gone. On import (no stored outputs) it also returns inputs rebuilt from the API, with
   * module contents read back from `/content` (main module from its `cf-entrypoint` header, else the first
   * ES/Python module). Binary modules (wasm, data) come back with their hash only: give them a `path` in the program.
   * On refresh it returns no inputs, so the stored inputs (the program's) stay the reference for drift.
   */
  async read(id: string, props?: Partial<UserScriptOutputs>) {
    const stored = withoutInternalKeys((props ?? {}) as Record<string, unknown>) as Partial<UserScriptOutputs>;
    const importing = stored.etag === undefined && stored.modules === undefined;
    const { namespace, name } = stored.namespace && stored.name ? { namespace: stored.namespace, name: stored.name } : parseUserScriptId(id);
    const api = connect(stored.accountId);
    const op = opFor(namespace, name, importing ? "import" : "read");
    const script = await getScript(api, namespace, name, op);
    if (!script) return {};
    let settings: ScriptSettings;
    try {
      settings = (await api.call<ScriptSettings>({ method: "get", path: paths.settings(namespace, name), op })) ?? {};
    } catch (error) {
      if (isScriptOrNamespaceGone(error)) return {};
      throw error;
    }
    let tags = settings.tags ?? undefined;
    if (tags === undefined) tags = (await api.call<string[] | null>({ method: "get", path: paths.tags(namespace, name), op })) ?? [];
    const shape = settingsFromWire(settings, tags);
    const etag = script.etag ?? "";
    let modules = stored.modules ?? [];
    let mainModule = stored.mainModule ?? "";
    let importedModules: ModuleInput[] = [];
    if (importing) {
      const imported = await readModules(namespace, name, stored.accountId, op);
      importedModules = imported.modules;
      modules = importedModules.map((m) => ({ name: m.name, type: m.type, sha256: m.sha256 }));
      mainModule = imported.entry ?? importedModules.find((m) => MAIN_MODULE_TYPES.includes(m.type))?.name ?? importedModules[0]?.name ?? "";
    }
    const outs: UserScriptOutputs = {
      namespace,
      name,
      modules,
      mainModule,
      ...shape,
      etag,
      deployedEtag: importing ? etag : (stored.deployedEtag ?? etag),
    };
    // Assets cannot be listed back: keep our digest while the script still has assets; "" when they are gone.
    if (stored.assetsDigest !== undefined) outs.assetsDigest = script.has_assets === false ? "" : stored.assetsDigest;
    if (stored.accountId !== undefined) outs.accountId = stored.accountId;
    if (!importing) return { id: `${namespace}/${name}`, props: outs };
    const inputs: UserScriptInputs = {
      namespace,
      name,
      modules: importedModules,
      mainModule,
      ...shape,
    };
    return { id: `${namespace}/${name}`, props: outs, inputs };
  },

  async update(_id: string, olds: UserScriptOutputs, news: UserScriptInputs) {
    // keep_assets only keeps what is deployed: after another deploy (etag drift) our assets may be gone.
    const foreignDeploy = olds.etag !== undefined && olds.deployedEtag !== undefined && olds.etag !== olds.deployedEtag;
    const deployed = olds.assetsDigest === "" || foreignDeploy ? undefined : olds.assetsDigest;
    return { outs: await deploy(news, "update", deployed) };
  },

  async delete(id: string, props: UserScriptOutputs) {
    const { namespace, name } = props?.namespace && props?.name ? props : parseUserScriptId(id);
    const api = connect(props?.accountId);
    try {
      await api.call({ method: "delete", path: paths.script(namespace, name), op: opFor(namespace, name, "delete") });
    } catch (error) {
      if (isNotFound(error)) return; // script or namespace already gone
      throw error;
    }
  },
};

/**
 * A Worker script in a dispatch namespace.
 *
 * - Content, settings, tags, bindings and assets changes update the script in place (one PUT).
 * - A change of `namespace` or `name` replaces it; ScriptSecrets on it are replaced along with it
 *   because their `namespace` / `scriptName` inputs change too.
 * - Every upload keeps secret bindings (`keep_bindings`), so ScriptSecrets survive deploys.
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:UserScript <name> <namespace>/<script name>`.
 */
export class UserScript extends DynamicResource {
  declare public readonly namespace: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  /** Module names, types and sha256 hashes (no content). */
  declare public readonly modules: pulumi.Output<ModuleOutput[]>;
  declare public readonly mainModule: pulumi.Output<string>;
  declare public readonly compatibilityDate: pulumi.Output<string>;
  declare public readonly compatibilityFlags: pulumi.Output<string[]>;
  declare public readonly bindings: pulumi.Output<Binding[]>;
  declare public readonly tags: pulumi.Output<string[]>;
  declare public readonly usageModel: pulumi.Output<string>;
  declare public readonly limits: pulumi.Output<{ cpuMs?: number }>;
  declare public readonly logpush: pulumi.Output<boolean>;
  declare public readonly observability: pulumi.Output<Record<string, unknown>>;
  declare public readonly placement: pulumi.Output<Record<string, unknown>>;
  declare public readonly tailConsumers: pulumi.Output<TailConsumer[]>;
  /** The assets digest deployed by the last update (when `assets` is set). */
  declare public readonly assetsDigest: pulumi.Output<string | undefined>;
  declare public readonly accountId: pulumi.Output<string | undefined>;
  /** The script's etag as last observed. */
  declare public readonly etag: pulumi.Output<string>;
  /** The etag of our last deploy. */
  declare public readonly deployedEtag: pulumi.Output<string>;

  constructor(name: string, args: UserScriptArgs, opts?: pulumi.CustomResourceOptions) {
    super("UserScript", name, { ...args, etag: undefined, deployedEtag: undefined, assetsDigest: undefined }, opts);
  }
}
