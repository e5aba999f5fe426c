/**
 * Cloudflare's own error codes (each seen in Cloudflare's answers: its API docs, the SDK's and wrangler's handling, or
 * users' logs of real responses), and which of them say that a thing does not exist or is taken. The emulator sends
 * them; the provider reads a thing as gone only on a "not found" code here, in Cloudflare's envelope.
 */
export const ERROR_CODES = {
  /** Invalid request headers (wraps 6111 in `error_chain`). */
  INVALID_HEADERS: 6003,
  /** Malformed JSON in request body. */
  MALFORMED_JSON: 6007,
  /** Invalid format for Authorization header. */
  INVALID_AUTH_FORMAT: 6111,
  /** No route for that URI. */
  NO_ROUTE: 7000,
  /** Could not route to ..., perhaps your object identifier is invalid? */
  COULD_NOT_ROUTE: 7003,
  /** Missing X-Auth-Key, X-Auth-Email or Authorization headers. */
  MISSING_AUTH: 9106,
  /** Rate limited. */
  RATE_LIMITED: 971,
  /** Authentication error (bad token, bad or expired assets JWT). */
  AUTH_ERROR: 10000,
  /** Script not found, on account-level script paths. */
  SCRIPT_NOT_FOUND: 10007,
  /** Script not found, on namespace script paths (the only code wrangler's dispatch-namespace probe accepts). */
  ENVIRONMENT_NOT_FOUND: 10092,
  /** Invalid script name (`workers.api.error.invalid_script_name`). */
  INVALID_SCRIPT_NAME: 10016,
  /** Script or metadata invalid ("module files has unsupported Content-Type ...", "No such module", ...). */
  SCRIPT_INVALID: 10021,
  /** The Worker's modules are over the plan's compressed size limit (`workers.api.error.script_too_large`). */
  SCRIPT_TOO_LARGE: 10027,
  /** The Worker registers no event handler ("No event handlers were registered. This script does nothing."). */
  NO_EVENT_HANDLERS: 10068,
  /** A secret's name is already used by a binding that is not a secret. */
  BINDING_NAME_IN_USE: 10053,
  /** Secret not found. */
  SECRET_NOT_FOUND: 10056,
  /** An `inherit` binding the previous version does not have (`bindings_inherit=strict`). */
  INHERIT_BINDING_INVALID: 10057,
  /** A service binding or tail consumer names a Worker that does not exist. */
  SERVICE_NOT_FOUND: 10144,
  /** An upload's KV binding names a namespace the account does not have ("KV namespace '<id>' not found"). */
  KV_BINDING_NOT_FOUND: 10041,
  /** Missing settings part in multipart upload. */
  MISSING_SETTINGS_PART: 10201,
  /** Tag too long. */
  TAG_TOO_LONG: 100102,
  /** Too many tags. */
  TOO_MANY_TAGS: 100103,
  /** Dispatch namespace not found. */
  NAMESPACE_NOT_FOUND: 100119,
  /** Dispatch namespace already exists. */
  NAMESPACE_EXISTS: 100120,
  /** Tag empty, or contains `,` or `&`. */
  TAG_INVALID: 100134,
  /** A zone with that name already exists in the account ("<name> already exists"). */
  ZONE_EXISTS: 1061,
  /** Duplicate custom hostname found. */
  CUSTOM_HOSTNAME_EXISTS: 1406,
  /** The custom hostname was not found. */
  CUSTOM_HOSTNAME_NOT_FOUND: 1436,
  /** Resource not found (a zone's fallback origin that is not set). */
  RESOURCE_NOT_FOUND: 1551,
  /** A route for a Worker that does not exist. */
  ROUTE_SCRIPT_NOT_FOUND: 10019,
  /** Route pattern must include zone name. */
  ROUTE_PATTERN_INVALID: 10022,
  /** KV: no value under that key ("get: 'key not found'"). */
  KV_KEY_NOT_FOUND: 10009,
  /** KV: no namespace with that id. */
  KV_NAMESPACE_NOT_FOUND: 10013,
  /** KV: "a namespace with this account ID and title already exists". */
  KV_TITLE_EXISTS: 10014,
  /** D1: "The database {id} could not be found" (404). */
  D1_NOT_FOUND: 7404,
  /** D1: a database with that name already exists (create). */
  D1_NAME_TAKEN: 7502,
  /** D1: the account's database limit is reached (create). */
  D1_TOO_MANY: 7406,
  /** An upload's D1 binding names a database the account lacks ("D1 binding 'DB' references database '<id>' which was not found. ..."). */
  D1_BINDING_NOT_FOUND: 10181,
  /** R2: InvalidBucketName (400). */
  R2_INVALID_BUCKET_NAME: 10005,
  /** R2: NoSuchBucket (404). */
  R2_NO_SUCH_BUCKET: 10006,
  /** R2: NoSuchKey (404), an object that does not exist. */
  R2_NO_SUCH_KEY: 10007,
  /** R2: BucketNotEmpty (409), deleting a bucket that holds objects. */
  R2_BUCKET_NOT_EMPTY: 10008,
  /** R2: BucketConflict (409), the name exists in the account (create). */
  R2_BUCKET_EXISTS: 10073,
  /** Durable Objects: a migration's `old_tag` is not the script's current tag ("Migration tag precondition failed; current tag is v1"). */
  DO_MIGRATION_TAG_MISMATCH: 10079,
  /** Durable Objects: a migration creates a class the script does not export ("cannot create an unexported class"). */
  DO_CLASS_NOT_EXPORTED: 10070,
  /** Durable Objects: a binding names a class no migration created ("Cannot create binding for class ... Did you forget to apply a Durable Object migration?"). */
  DO_CLASS_NOT_MIGRATED: 10061,
  /** An upload's R2 binding names a bucket the account lacks ("R2 bucket '<name>' not found. Please use a different name and try again."). */
  R2_BINDING_NOT_FOUND: 10085,
} as const;

const C = ERROR_CODES;

/**
 * The codes with which Cloudflare says, with HTTP 404, that a thing does not exist. A missing script is 10092 on
 * namespace paths and 10007 on account-level ones; a script in a missing namespace is 100119.
 */
export const GONE_CODES = {
  script: [C.SCRIPT_NOT_FOUND, C.ENVIRONMENT_NOT_FOUND],
  namespace: [C.NAMESPACE_NOT_FOUND],
  secret: [C.SECRET_NOT_FOUND],
  kvNamespace: [C.KV_NAMESPACE_NOT_FOUND],
  kvKey: [C.KV_KEY_NOT_FOUND],
  customHostname: [C.CUSTOM_HOSTNAME_NOT_FOUND],
  d1Database: [C.D1_NOT_FOUND],
  r2Bucket: [C.R2_NO_SUCH_BUCKET],
} as const;

/** The codes with which Cloudflare refuses to create a thing whose name is taken. */
export const TAKEN_CODES = {
  namespace: C.NAMESPACE_EXISTS,
  kvNamespace: C.KV_TITLE_EXISTS,
  customHostname: C.CUSTOM_HOSTNAME_EXISTS,
  d1Database: C.D1_NAME_TAKEN,
  r2Bucket: C.R2_BUCKET_EXISTS,
} as const;
