/** What a Worker script upload may carry: its modules' types and the metadata values Cloudflare enumerates. */

/**
 * Module part Content-Types (API operation "Upload Worker Module", `files`: "Possible Content-Type(s) are ...").
 * `application/json` is not among them: Cloudflare refuses it with 10021, so the emulator does too.
 */
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

export function isModuleType(type: string): type is ModuleType {
  return (MODULE_TYPES as readonly string[]).includes(type);
}

/** `usage_model` values ("Upload Worker Module", metadata); "standard" when omitted. */
export const USAGE_MODELS = ["standard", "bundled", "unbound"] as const;
export type UsageModel = (typeof USAGE_MODELS)[number];

/** The compatibility date Cloudflare records for an upload whose metadata names none (Workers docs: Multipart upload metadata). */
export const UNDATED_UPLOAD_COMPATIBILITY_DATE = "2021-11-02";
