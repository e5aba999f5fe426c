/** R2's bucket names and jurisdictions (R2 docs: Buckets, Error codes 10005). */

/** 3-63 characters: lowercase letters, digits and `-`, starting and ending with a letter or digit. */
export const R2_BUCKET_NAME_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** The `cf-r2-jurisdiction` values of a bucket; `default` when the header is absent. */
export const R2_JURISDICTIONS = ["default", "eu", "fedramp"] as const;
export type R2Jurisdiction = (typeof R2_JURISDICTIONS)[number];
/** `locationHint` values of a create. */
export const R2_LOCATIONS = ["apac", "eeur", "enam", "weur", "wnam", "oc"] as const;
/** `storageClass` values. */
export const R2_STORAGE_CLASSES = ["Standard", "InfrequentAccess"] as const;
/** The header naming a call's jurisdiction. */
export const R2_JURISDICTION_HEADER = "cf-r2-jurisdiction";
/** An object key's UTF-8 length. */
export const MAX_R2_KEY_BYTES = 1024;
/** An object uploaded through the REST API (`PUT …/objects/{key}`); a Worker binding takes up to 5 GiB. */
export const MAX_R2_REST_PUT_BYTES = 300 * 1024 * 1024;
