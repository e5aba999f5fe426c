/** A script's modules: their types, check-time validation and hashing, loading for upload, and read-back on import. */
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { isModuleType, MODULE_TYPES, type ModuleType } from "../../../cloudflare/scripts";
import type { CloudflareApi } from "../../api/client";
import type { Operation } from "../../api/errors";
import type { UploadModule } from "../../api/multipart";
import { getScriptContent, type ScriptRef } from "../../api/scripts";
import { containsUnknown, isPlainObject, isUnknown, type CheckFailure } from "../../validation";
import { didYouMean } from "../../did-you-mean";
import { sha256Hex } from "../../sha256";

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
export const MAIN_MODULE_TYPES: readonly string[] = ["application/javascript+module", "text/javascript+module", "text/x-python"];
/** Binary types: only from `path`, never inline `content`. */
export const BINARY_TYPES: readonly string[] = ["application/wasm", "application/octet-stream"];

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
/**
 * Largest module file read at check time. Cloudflare limits a Worker to 10 MB after compression (Workers Paid);
 * a 64 MiB source cannot fit, and refusing it early keeps check from reading huge files into memory.
 */
export const MAX_MODULE_BYTES = 64 * 1024 * 1024;

export function inferType(name: string, filePath?: string): ModuleType | undefined {
  return (
    EXTENSION_TYPES[path.extname(name).toLowerCase()] ?? (filePath ? EXTENSION_TYPES[path.extname(filePath).toLowerCase()] : undefined)
  );
}

function moduleNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return "must be a string such as index.js";
  if (name === "") return "must not be empty";
  if (name.length > 255) return `must be at most 255 characters (got ${name.length})`;
  if (name === "metadata") return 'must not be "metadata" (the name of the upload\'s metadata part)';
  if (name.startsWith("/") || name.includes("\\") || name.split("/").some((s) => s === ".." || s === "." || s === "")) {
    return "must be a relative module path without '.', '..', empty segments, a leading '/' or '\\'";
  }
  return undefined;
}

export function checkModules(value: unknown, failures: CheckFailure[]): ModuleInput[] {
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
      if (!["name", "content", "path", "type", "sha256"].includes(key))
        failures.push({
          property: `${p}.${key}`,
          reason: `is not a module field; use name, content, path or type${didYouMean(key, ["name", "content", "path", "type"])}`,
        });
    }
    const { name, content, path: filePath, type } = raw;
    const m: ModuleInput = { name: name as string, type: "", sha256: "" };
    if (!isUnknown(name)) {
      const problem = moduleNameProblem(name);
      if (problem) failures.push({ property: `${p}.name`, reason: problem });
      else if (seen.has(name as string))
        failures.push({ property: `${p}.name`, reason: `duplicates the module name ${JSON.stringify(name)}` });
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
      else if (typeof type !== "string" || !isModuleType(type)) {
        failures.push({ property: `${p}.type`, reason: `must be one of ${MODULE_TYPES.join(", ")}${didYouMean(type, MODULE_TYPES)}` });
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
        if (BINARY_TYPES.includes(m.type))
          failures.push({ property: `${p}.content`, reason: `cannot hold a binary module (${m.type}): give path instead` });
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
          if (!st.isFile())
            failures.push({ property: `${p}.path`, reason: `must be a file (got a directory or special file): ${path.resolve(filePath)}` });
          else if (st.size > MAX_MODULE_BYTES) {
            failures.push({
              property: `${p}.path`,
              reason: `must be a module of at most ${MAX_MODULE_BYTES} bytes (got ${st.size}): ${path.resolve(filePath)}`,
            });
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

/** The main module: stated, or the first module; it must be one of the modules and of module syntax. */
export function checkMainModule(value: unknown, modules: ModuleInput[], failures: CheckFailure[]): string {
  let mainModule = value as string | undefined;
  if (mainModule === undefined && Array.isArray(modules) && modules.length > 0) mainModule = modules[0]!.name;
  if (mainModule !== undefined && !isUnknown(mainModule) && Array.isArray(modules) && !containsUnknown(modules.map((m) => m.name))) {
    const main = modules.find((m) => m.name === mainModule);
    if (typeof mainModule !== "string" || !main) {
      failures.push({ property: "mainModule", reason: `must name one of the modules (${modules.map((m) => m.name).join(", ")})` });
    } else if (main.type && !isUnknown(main.type) && !MAIN_MODULE_TYPES.includes(main.type)) {
      failures.push({
        property: "mainModule",
        reason: `must be an ES module or a Python module (${MAIN_MODULE_TYPES.join(", ")}), not ${main.type}`,
      });
    }
  }
  return mainModule as string;
}

/** Module bytes for the upload: `content` as is, `path` read again now. */
export function loadModules(modules: ModuleInput[]): { upload: UploadModule[]; outputs: ModuleOutput[] } {
  const upload: UploadModule[] = [];
  const outputs: ModuleOutput[] = [];
  for (const m of modules) {
    const bytes: string | Uint8Array = m.path !== undefined ? readFileSync(path.resolve(m.path)) : (m.content ?? "");
    upload.push({ name: m.name, type: m.type, content: bytes });
    outputs.push({ name: m.name, type: m.type, sha256: sha256Hex(bytes) });
  }
  return { upload, outputs };
}

/**
 * Reads a script's modules back (import only), with its main module: the `cf-entrypoint` header, else the first
 * ES or Python module. Text modules come back inline; binary ones keep only their hash (give them a `path`).
 */
export async function readModules(
  api: CloudflareApi,
  ref: ScriptRef,
  op: Operation,
): Promise<{ modules: ModuleInput[]; mainModule: string }> {
  const content = await getScriptContent(api, ref, op);
  if (!content) return { modules: [], mainModule: "" };
  const modules = content.modules.map((m): ModuleInput => {
    const type = m.type || inferType(m.name) || "application/octet-stream";
    const base: ModuleInput = { name: m.name, type, sha256: sha256Hex(m.bytes) };
    if (!BINARY_TYPES.includes(type)) base.content = Buffer.from(m.bytes).toString("utf8");
    return base;
  });
  const mainModule = content.entry ?? modules.find((m) => MAIN_MODULE_TYPES.includes(m.type))?.name ?? modules[0]?.name ?? "";
  return { modules, mainModule };
}
