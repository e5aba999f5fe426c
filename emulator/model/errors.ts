/**
 * @module
 * The one error type of the emulator, and the table of Cloudflare error codes it uses.
 * `server.ts` turns every thrown {@link ApiError} into the Cloudflare envelope in one place.
 */
import { ERROR_CODES } from "../../cloudflare/errors";
import type { Envelope, ErrorItem } from "../../cloudflare/wire";

/**
 * The error codes the emulator sends: Cloudflare's own (cloudflare/errors.ts), and the ones it invented where
 * Cloudflare's are not public, marked [I] (see emulator/README.md).
 */
export const Codes = {
  ...ERROR_CODES,
  /** [I] Generic validation failure of a request (bad name, bad query, bad manifest). */
  INVALID_REQUEST: 10001,
  /** [I] An injected 5xx fault (the same number as KV_NAMESPACE_NOT_FOUND). */
  INTERNAL_ERROR: 10013,
  /** [I] A cron expression Cron Triggers do not take, or too many of them. */
  INVALID_CRON: 10100,
  /** [I] Namespace not empty (namespaceDelete: "reject"). */
  NAMESPACE_NOT_EMPTY: 10075,
  /** [I] Script is referenced by another script and `force` was not given. */
  SCRIPT_HAS_DEPENDENTS: 10082,
  /** [I] Method not allowed on a known path. */
  METHOD_NOT_ALLOWED: 10405,
  /** [I] A route with the same pattern already exists in the zone. */
  ROUTE_EXISTS: 10020,
  /** [I] Route not found. */
  ROUTE_NOT_FOUND: 10005,
  /** [I] Workers custom domain not found. */
  DOMAIN_NOT_FOUND: 100114,
  /** [I] A hostname outside the zone named for a custom domain. */
  DOMAIN_NOT_IN_ZONE: 100116,
  /** [I] KV key over 512 bytes (HTTP 414, as Workers' KV binding answers). */
  KV_KEY_TOO_LONG: 10001,
  /** [I] KV value over 25 MiB (HTTP 413). */
  KV_VALUE_TOO_LARGE: 10001,
  /** [I] KV metadata over 1024 bytes (HTTP 413). */
  KV_METADATA_TOO_LARGE: 10001,
} as const;

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
export function errorEnvelope(errors: ErrorItem[]): Envelope<null> & { success: false } {
  return { success: false, errors, messages: [], result: null };
}

/** The Cloudflare envelope for a success. */
export function okEnvelope<T>(result: T, resultInfo?: Record<string, unknown>): Envelope<T> {
  const body: Envelope<T> = { success: true, errors: [], messages: [], result };
  if (resultInfo) body.result_info = resultInfo;
  return body;
}
