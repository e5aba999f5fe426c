/**
 * @module
 * The script upload pipeline shared by `PUT .../scripts/:name` and `PUT .../content`:
 * 1. {@link parseUploadBody}: the wire shape (multipart, or a legacy raw service-worker body) → metadata + modules;
 * 2. {@link resolveEntry}: which module is the entry point;
 * 3. {@link buildScript}: metadata + previous version → the new stored script.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { HTML_HANDLING, NOT_FOUND_HANDLING } from "../../cloudflare/assets";
import { isModuleType, UNDATED_UPLOAD_COMPATIBILITY_DATE, USAGE_MODELS } from "../../cloudflare/scripts";
import { ApiError, Codes, invalidScript } from "./errors";
import { JsonDepthError, parseBoundedJson } from "./json";
import { mediaType, multipartBoundary } from "./multipart";
import { applyMigrations, exportedNames, type MigrationResult } from "./migrations";
import { type Binding, dict, type DurableObjectClass, type Module, newTag, type Script, type ScriptAssets } from "./store";
import { isObject, parseParts, resolveInherit, validateBindings, validateTags } from "./validate";

export interface ParsedUpload {
  metadata: Record<string, unknown>;
  modules: Module[];
}

const METADATA_UNREADABLE = "could not read content for part metadata";

/**
 * Parses an upload body. `metadataOptional` is for the content endpoint, where the entry can come from headers.
 * Rejects the SDK 7.x shape (multipart labelled application/javascript, bracket-flattened fields) with 10021.
 */
export function parseUploadBody(contentType: string | undefined, body: Buffer, metadataOptional = false): ParsedUpload {
  const type = mediaType(contentType);
  if (type === "application/javascript" || type === "text/javascript") {
    const text = body.toString("utf8");
    if (/^\s*--\S+\r?\n/.test(text) && /content-disposition:\s*form-data/i.test(text)) {
      // What workerd says when it evaluates a multipart body as JavaScript.
      throw invalidScript(
        "Uncaught SyntaxError: Invalid or unexpected token\n  at worker.js:1:4\n (the body looks like multipart/form-data sent with Content-Type " +
          type +
          ")",
      );
    }
    // The legacy service-worker upload: the body is the script.
    return {
      metadata: { body_part: "worker.js" },
      modules: [{ name: "worker.js", type: "application/javascript", data: body.toString("base64") }],
    };
  }
  const boundary = multipartBoundary(contentType);
  if (type !== "multipart/form-data") {
    throw new ApiError(
      400,
      Codes.SCRIPT_INVALID,
      "Content-Type must be one of: application/javascript, text/javascript, multipart/form-data",
    );
  }
  if (!boundary) throw invalidScript("multipart/form-data without a boundary");
  const parts = parseParts(body, boundary, Codes.SCRIPT_INVALID);
  const bracketed = parts.find((p) => /^(metadata|files|settings)\[/.test(p.name));
  if (bracketed) {
    throw invalidScript(`${METADATA_UNREADABLE} (found bracket-flattened field '${bracketed.name}'; send metadata as one JSON part)`);
  }
  const metaParts = parts.filter((p) => p.name === "metadata");
  let metadata: Record<string, unknown> = {};
  if (metaParts.length > 1) throw invalidScript(`${METADATA_UNREADABLE} (more than one metadata part)`);
  if (metaParts.length === 0) {
    if (!metadataOptional) throw invalidScript(METADATA_UNREADABLE);
  } else {
    try {
      const parsed: unknown = parseBoundedJson(metaParts[0]!.data.toString("utf8"));
      if (!isObject(parsed)) throw new Error("not an object");
      metadata = parsed;
    } catch (err) {
      throw invalidScript(err instanceof JsonDepthError ? `${METADATA_UNREADABLE}: ${err.message}` : METADATA_UNREADABLE);
    }
  }
  const modules: Module[] = [];
  const names = new Set<string>();
  for (const p of parts) {
    if (p.name === "metadata") continue;
    const name = p.filename ?? p.name;
    const ct = mediaType(p.contentType);
    if (!isModuleType(ct)) throw invalidScript(`module files has unsupported Content-Type ${p.contentType ?? "(none)"} (module '${name}')`);
    if (names.has(name)) throw invalidScript(`module '${name}' was uploaded more than once`);
    names.add(name);
    modules.push({ name, type: p.contentType!, data: p.data.toString("base64") });
  }
  return { metadata, modules };
}

/** 10027 when the gzip of the modules' bytes, concatenated in upload order, is over `maxBytes`. */
export function assertScriptSize(modules: Module[], maxBytes: number): void {
  const raw = Buffer.concat(modules.map((m) => Buffer.from(m.data, "base64")));
  // Deflate grows incompressible input by well under 1%, so anything smaller cannot be over.
  if (raw.length <= maxBytes * 0.99) return;
  const compressed = gzipSync(raw).length;
  if (compressed > maxBytes) {
    throw new ApiError(
      400,
      Codes.SCRIPT_TOO_LARGE,
      `workers.api.error.script_too_large: ${compressed} bytes compressed, the limit is ${maxBytes}`,
    );
  }
}

export interface Entry {
  main_module?: string;
  body_part?: string;
}

/** The entry point: `main_module` or `body_part` must name a part; with neither, the first module (a heuristic). */
export function resolveEntry(metadata: Record<string, unknown>, modules: Module[]): Entry {
  const { main_module, body_part } = metadata;
  if (main_module !== undefined && body_part !== undefined) throw invalidScript("specify only one of main_module and body_part");
  for (const [key, v] of [
    ["main_module", main_module],
    ["body_part", body_part],
  ] as const) {
    if (v === undefined) continue;
    if (typeof v !== "string") throw invalidScript(`${key} must be a string`);
    if (!modules.some((m) => m.name === v)) throw invalidScript(`Uncaught Error: No such module "${v}".`);
    return key === "main_module" ? { main_module: v } : { body_part: v };
  }
  const first = modules.find((m) => mediaType(m.type) !== "application/source-map");
  if (!first) return {};
  return mediaType(first.type).endsWith("+module") || mediaType(first.type).startsWith("text/x-python")
    ? { main_module: first.name }
    : { body_part: first.name };
}

const HANDLERS = ["fetch", "scheduled", "queue", "email", "tail", "trace"];

/** [I] A heuristic scan of the entry module for the handlers it exports; default ["fetch"]. */
export function detectHandlers(modules: Module[], entry: Entry): string[] {
  const main = modules.find((m) => m.name === (entry.main_module ?? entry.body_part));
  if (!main) return ["fetch"];
  const text = Buffer.from(main.data, "base64").toString("utf8");
  const found = HANDLERS.filter((h) => new RegExp(`\\b(?:async\\s+)?${h}\\s*(?:\\(|:)|addEventListener\\(\\s*["'\`]${h}["'\`]`).test(text));
  return found.length ? found : ["fetch"];
}

/** [I] sha256 over the module names, types and bytes, the entry point and the compatibility date and flags. */
export function computeEtag(
  s: Pick<Script, "modules" | "main_module" | "body_part" | "compatibility_date" | "compatibility_flags" | "assets">,
): string {
  const h = createHash("sha256");
  h.update(JSON.stringify([s.main_module ?? null, s.body_part ?? null, s.compatibility_date, s.compatibility_flags]));
  // The deployed version's asset set is part of its content: another deploy's assets change the etag.
  const manifest = s.assets ? Object.entries(s.assets.manifest).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
  h.update(JSON.stringify(manifest?.map(([path, e]) => [path, e.hash]) ?? null));
  for (const m of s.modules) {
    h.update(`\0${m.name}\0${m.type}\0`);
    h.update(Buffer.from(m.data, "base64"));
  }
  return h.digest("hex");
}

const KNOWN_METADATA = new Set([
  "main_module",
  "body_part",
  "bindings",
  "keep_bindings",
  "assets",
  "keep_assets",
  "tags",
  "compatibility_date",
  "compatibility_flags",
  "usage_model",
  "limits",
  "logpush",
  "observability",
  "placement",
  "tail_consumers",
  "migrations",
]);

/** Validates the documented `assets.config` fields; other fields are stored as sent. */
export function validateAssetsConfig(config: Record<string, unknown>): void {
  const { html_handling, not_found_handling, run_worker_first, serve_directly } = config;
  if (html_handling !== undefined && !(HTML_HANDLING as readonly unknown[]).includes(html_handling)) {
    throw invalidScript(`assets.config.html_handling must be one of ${HTML_HANDLING.join(", ")}`);
  }
  if (not_found_handling !== undefined && !(NOT_FOUND_HANDLING as readonly unknown[]).includes(not_found_handling)) {
    throw invalidScript(`assets.config.not_found_handling must be one of ${NOT_FOUND_HANDLING.join(", ")}`);
  }
  if (run_worker_first !== undefined && typeof run_worker_first !== "boolean") {
    const rules = run_worker_first;
    if (!Array.isArray(rules) || rules.some((r) => typeof r !== "string" || !/^!?\//.test(r))) {
      throw invalidScript("assets.config.run_worker_first must be a boolean or an array of rules starting with '/' or '!/'");
    }
    if (!rules.some((r) => (r as string).startsWith("/")))
      throw invalidScript("assets.config.run_worker_first needs at least one positive rule");
  }
  if (serve_directly !== undefined && typeof serve_directly !== "boolean")
    throw invalidScript("assets.config.serve_directly must be a boolean");
}

export interface BuildInput {
  name: string;
  metadata: Record<string, unknown>;
  modules: Module[];
  previous: Script | undefined;
  strictInherit: boolean;
  maxTags: number;
  /** The assets a verified `assets.jwt` resolved to (undefined when no jwt was sent). */
  uploadedAssets: Record<string, { hash: string; size: number }> | undefined;
  newTag: string;
  now: string;
}

export function validateCompatibility(metadata: Record<string, unknown>): { date?: string; flags?: string[] } {
  const out: { date?: string; flags?: string[] } = {};
  const d = metadata.compatibility_date;
  if (d !== undefined) {
    if (typeof d !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(d))
      throw invalidScript(`invalid compatibility_date ${JSON.stringify(d)}: expected YYYY-MM-DD`);
    out.date = d;
  }
  const f = metadata.compatibility_flags;
  if (f !== undefined) {
    if (!Array.isArray(f) || f.some((x) => typeof x !== "string")) throw invalidScript("compatibility_flags must be an array of strings");
    out.flags = f as string[];
  }
  return out;
}

export function validateUsageModel(v: unknown): string {
  if (typeof v !== "string" || !(USAGE_MODELS as readonly string[]).includes(v))
    throw invalidScript(`invalid usage_model ${JSON.stringify(v)}`);
  return v;
}

/**
 * A Durable Object binding to a class of the script itself (no `script_name`) needs a migration that created it
 * (10061).
 */
export function checkDurableObjectBindings(bindings: Binding[], classes: Record<string, DurableObjectClass>): void {
  for (const b of bindings) {
    if (b.type !== "durable_object_namespace" || b.script_name !== undefined) continue;
    if (typeof b.class_name !== "string") throw invalidScript(`durable_object_namespace binding ${b.name} needs a class_name`);
    if (!Object.hasOwn(classes, b.class_name))
      throw new ApiError(
        400,
        Codes.DO_CLASS_NOT_MIGRATED,
        `Cannot create binding for class '${b.class_name}' because it is not currently configured to implement Durable Objects. Did you forget to apply a Durable Object migration?`,
      );
  }
}

/** Builds the new version of a script from a full upload (PUT .../scripts/:name). */
export function buildScript(input: BuildInput): Script {
  const { metadata: m, modules, previous } = input;
  const entry = resolveEntry(m, modules);
  const previousBindings = previous?.bindings ?? [];

  // Bindings: sent (inherit resolved) ∪ kept-by-type from the previous version, sent names win.
  let bindings: Binding[] = resolveInherit(validateBindings(m.bindings), previousBindings, input.strictInherit);
  if (m.keep_bindings !== undefined) {
    if (!Array.isArray(m.keep_bindings) || m.keep_bindings.some((t) => typeof t !== "string"))
      throw invalidScript("keep_bindings must be an array of binding types");
    const keep = new Set(m.keep_bindings as string[]);
    const sent = new Set(bindings.map((b) => b.name));
    bindings = [...bindings, ...previousBindings.filter((b) => keep.has(b.type) && !sent.has(b.name)).map((b) => ({ ...b }))];
  }

  // Assets: an explicit upload wins over keep_assets; neither → no assets.
  const assetsField = m.assets;
  if (assetsField !== undefined && assetsField !== null && !isObject(assetsField)) throw invalidScript("assets must be an object");
  const config = isObject(assetsField) && assetsField.config !== undefined ? assetsField.config : undefined;
  if (config !== undefined && config !== null && !isObject(config)) throw invalidScript("assets.config must be an object");
  if (isObject(config)) validateAssetsConfig(config);
  if (m.keep_assets !== undefined && typeof m.keep_assets !== "boolean") throw invalidScript("keep_assets must be a boolean");
  let assets: ScriptAssets | null = null;
  if (input.uploadedAssets) {
    assets = { manifest: input.uploadedAssets, config: (config as Record<string, unknown> | undefined) ?? null };
  } else if (m.keep_assets === true && previous?.assets) {
    assets = {
      manifest: previous.assets.manifest,
      config: config !== undefined ? (config as Record<string, unknown> | null) : previous.assets.config,
    };
  }
  if (!assets && bindings.some((b) => b.type === "assets")) throw invalidScript("Cannot use an assets binding without assets");

  const tags = m.tags === undefined ? (previous?.tags ?? []) : validateTags(m.tags, input.maxTags);
  const compat = validateCompatibility(m);
  if (m.logpush !== undefined && typeof m.logpush !== "boolean") throw invalidScript("logpush must be a boolean");
  if (m.observability !== undefined && m.observability !== null && !isObject(m.observability))
    throw invalidScript("observability must be an object");

  const main = modules.find((x) => x.name === entry.main_module);
  const exported = main ? exportedNames(Buffer.from(main.data, "base64").toString("utf8")) : undefined;
  const before: MigrationResult = { classes: previous?.durable_objects ?? {} };
  if (previous?.migration_tag !== undefined) before.tag = previous.migration_tag;
  const migrated = applyMigrations(before, m.migrations, exported, newTag);
  checkDurableObjectBindings(bindings, migrated.classes);

  const extra = dict<unknown>();
  for (const [k, v] of Object.entries(m)) if (!KNOWN_METADATA.has(k)) extra[k] = v;

  const script: Script = {
    name: input.name,
    tag: previous?.tag ?? input.newTag,
    created_on: previous?.created_on ?? input.now,
    modified_on: input.now,
    etag: "",
    modules,
    ...entry,
    bindings,
    tags,
    compatibility_date: compat.date ?? UNDATED_UPLOAD_COMPATIBILITY_DATE,
    compatibility_flags: compat.flags ?? [],
    usage_model: m.usage_model === undefined ? "standard" : validateUsageModel(m.usage_model),
    logpush: (m.logpush as boolean | undefined) ?? false,
    observability: m.observability ?? { enabled: false },
    placement: m.placement ?? {},
    tail_consumers: m.tail_consumers ?? null,
    assets,
    handlers: detectHandlers(modules, entry),
    extra,
  };
  if (m.limits !== undefined) script.limits = m.limits;
  if (previous?.subdomain) script.subdomain = previous.subdomain;
  // Cron triggers are set on their own endpoint; an upload keeps them.
  if (previous?.schedules) script.schedules = previous.schedules;
  if (migrated.tag !== undefined) script.migration_tag = migrated.tag;
  if (Object.keys(migrated.classes).length) script.durable_objects = migrated.classes;
  script.etag = computeEtag(script);
  return script;
}
