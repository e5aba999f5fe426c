/** Binding types a Worker's metadata may carry, and which of their fields the API never returns. */

/** Every `bindings[].type` of "Upload Worker Module" (the `cloudflare` SDK's `WorkersBindingKind*` types). */
export const BINDING_TYPES = [
  "ai",
  "ai_search",
  "ai_search_namespace",
  "analytics_engine",
  "artifacts",
  "assets",
  "browser",
  "d1",
  "data_blob",
  "dispatch_namespace",
  "durable_object_namespace",
  "flagship",
  "hyperdrive",
  "images",
  "inherit",
  "json",
  "k2",
  "kv_namespace",
  "media",
  "messaging",
  "mtls_certificate",
  "pipelines",
  "plain_text",
  "queue",
  "r2_bucket",
  "ratelimit",
  "secret_key",
  "secret_text",
  "secrets_store_secret",
  "send_email",
  "service",
  "text_blob",
  "vectorize",
  "version_metadata",
  "vpc_network",
  "vpc_service",
  "wasm_module",
  "workflow",
] as const;
export type BindingType = (typeof BINDING_TYPES)[number];

/** Secret bindings and their write-only fields: sent on upload, never in a settings or bindings answer. */
export const WRITE_ONLY_BINDING_FIELDS: Readonly<Partial<Record<BindingType, readonly string[]>>> = {
  secret_text: ["text"],
  secret_key: ["key_base64", "key_jwk"],
};

/** A binding type's write-only fields, none for most; any string is safe to ask about (`constructor` included). */
export function writeOnlyFields(type: string): readonly string[] {
  return Object.hasOwn(WRITE_ONLY_BINDING_FIELDS, type) ? (WRITE_ONLY_BINDING_FIELDS[type as BindingType] ?? []) : [];
}

/** The binding types that hold secrets (the keys of {@link WRITE_ONLY_BINDING_FIELDS}). */
export const SECRET_BINDING_TYPES: readonly string[] = Object.keys(WRITE_ONLY_BINDING_FIELDS);
