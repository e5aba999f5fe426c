/**
 * @module
 * The one error type of the emulator, and the table of Cloudflare error codes it uses.
 * `server.ts` turns every thrown {@link ApiError} into the Cloudflare envelope in one place.
 */

/** Cloudflare error codes. [I] marks codes the emulator invented (no public source); see emulator/README.md. */
export const Codes = {
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
  /** [I] Generic validation failure of a request (bad name, bad query, bad manifest). */
  INVALID_REQUEST: 10001,
  /** [I] An injected 5xx fault. */
  INTERNAL_ERROR: 10013,
  /** Script not found, on account-level script paths. */
  SCRIPT_NOT_FOUND: 10007,
  /** Script not found, on namespace script paths (the only code wrangler's dispatch-namespace probe accepts). */
  ENVIRONMENT_NOT_FOUND: 10092,
  /** Invalid script name (`workers.api.error.invalid_script_name`). */
  INVALID_SCRIPT_NAME: 10016,
  /** [I] A cron expression Cron Triggers do not take, or too many of them. */
  INVALID_CRON: 10100,
  /** Script or metadata invalid. */
  SCRIPT_INVALID: 10021,
  /** The Worker's modules are over the plan's compressed size limit. */
  SCRIPT_TOO_LARGE: 10027,
  /** The Worker registers no event handler ("No event handlers were registered. This script does nothing."). */
  NO_EVENT_HANDLERS: 10068,
  /** A secret's name is already used by a binding that is not a secret. */
  BINDING_NAME_IN_USE: 10053,
  /** Secret not found. */
  SECRET_NOT_FOUND: 10056,
  /** An `inherit` binding the previous version does not have (strict inherit). */
  INHERIT_BINDING_INVALID: 10057,
  /** [I] Namespace not empty (namespaceDelete: "reject"). */
  NAMESPACE_NOT_EMPTY: 10075,
  /** [I] Script is referenced by another script and `force` was not given. */
  SCRIPT_HAS_DEPENDENTS: 10082,
  /** A service binding or tail consumer names a Worker that does not exist. */
  SERVICE_NOT_FOUND: 10144,
  /** An upload's KV binding names a namespace the account does not have ("KV namespace '<id>' not found"). */
  KV_BINDING_NOT_FOUND: 10041,
  /** Missing settings part in multipart upload. */
  MISSING_SETTINGS_PART: 10201,
  /** [I] Method not allowed on a known path. */
  METHOD_NOT_ALLOWED: 10405,
  /** Tag too long. */
  TAG_TOO_LONG: 100102,
  /** Too many tags. */
  TOO_MANY_TAGS: 100103,
  /** Dispatch namespace not found. */
  NAMESPACE_NOT_FOUND: 100119,
  /** Dispatch namespace already exists. */
  NAMESPACE_EXISTS: 100120,
  /** Tag contains `,` or `&`. */
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
  /** [I] A route with the same pattern already exists in the zone. */
  ROUTE_EXISTS: 10020,
  /** Route pattern must include zone name. */
  ROUTE_PATTERN_INVALID: 10022,
  /** [I] Route not found. */
  ROUTE_NOT_FOUND: 10005,
  /** [I] Workers custom domain not found. */
  DOMAIN_NOT_FOUND: 100114,
  /** [I] A hostname outside the zone named for a custom domain. */
  DOMAIN_NOT_IN_ZONE: 100116,
  /** KV: no value under that key ("get: 'key not found'"). */
  KV_KEY_NOT_FOUND: 10009,
  /** KV: no namespace with that id (the same number as the injected-fault code above). */
  KV_NAMESPACE_NOT_FOUND: 10013,
  /** KV: "a namespace with this account ID and title already exists". */
  KV_TITLE_EXISTS: 10014,
  /** [I] KV key over 512 bytes (HTTP 414, as Workers' KV binding answers). */
  KV_KEY_TOO_LONG: 10001,
  /** [I] KV value over 25 MiB (HTTP 413). */
  KV_VALUE_TOO_LARGE: 10001,
  /** [I] KV metadata over 1024 bytes (HTTP 413). */
  KV_METADATA_TOO_LARGE: 10001,
} as const;

export interface ErrorItem {
  code: number;
  message: string;
  error_chain?: ErrorItem[];
}

/** A failure that maps to a Cloudflare envelope: HTTP status, error code(s) and message(s). */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: ErrorItem[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: number,
    message: string,
    opts: { more?: ErrorItem[]; chain?: ErrorItem[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    const first: ErrorItem = { code, message };
    if (opts.chain) first.error_chain = opts.chain;
    this.errors = [first, ...(opts.more ?? [])];
    this.headers = opts.headers ?? {};
  }

  get code(): number {
    return this.errors[0]!.code;
  }
}

export const invalidScript = (message: string): ApiError => new ApiError(400, Codes.SCRIPT_INVALID, message);
export const invalidRequest = (message: string): ApiError => new ApiError(400, Codes.INVALID_REQUEST, message);

/** The 7003 + 7000 pair Cloudflare returns for an unknown route or a malformed identifier. */
export function noRoute(path: string): ApiError {
  return new ApiError(404, Codes.COULD_NOT_ROUTE, `Could not route to ${path}, perhaps your object identifier is invalid?`, {
    more: [{ code: Codes.NO_ROUTE, message: "No route for that URI" }],
  });
}

/** The Cloudflare envelope for a failure. */
export function errorEnvelope(errors: ErrorItem[]): { success: false; errors: ErrorItem[]; messages: never[]; result: null } {
  return { success: false, errors, messages: [], result: null };
}

/** The Cloudflare envelope for a success. */
export function okEnvelope<T>(result: T, resultInfo?: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { success: true, errors: [], messages: [], result };
  if (resultInfo) body.result_info = resultInfo;
  return body;
}
