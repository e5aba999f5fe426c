/** Errors the provider raises when the Cloudflare API refuses a request or cannot be reached. */
import { ERROR_CODES, GONE_CODES, TAKEN_CODES } from "../../cloudflare/errors";

/** What was being done, for messages: `{ resource: 'UserScript "ns/tenant-a"', operation: "create" }`. */
export interface Operation {
  resource: string;
  operation: string;
}

/** Names an operation on a resource the one way errors and logs do: `UserScript "ns/acme"`, `create`. */
export function operation(kind: string, id: string, verb: string): Operation {
  return { resource: `${kind} "${id}"`, operation: verb };
}

/** Cloudflare error codes the provider acts on (cloudflare/errors.ts holds their numbers). */
export const CODES = {
  /** Script not found: 10007 on account-level paths, 10092 on some namespace-script paths (wrangler's probe). */
  scriptNotFound: GONE_CODES.script,
  namespaceNotFound: ERROR_CODES.NAMESPACE_NOT_FOUND,
  namespaceExists: TAKEN_CODES.namespace,
  secretNotFound: ERROR_CODES.SECRET_NOT_FOUND,
  kvNamespaceNotFound: ERROR_CODES.KV_NAMESPACE_NOT_FOUND,
  kvKeyNotFound: ERROR_CODES.KV_KEY_NOT_FOUND,
  kvTitleExists: TAKEN_CODES.kvNamespace,
  d1NotFound: ERROR_CODES.D1_NOT_FOUND,
  d1NameTaken: TAKEN_CODES.d1Database,
  r2NoSuchBucket: ERROR_CODES.R2_NO_SUCH_BUCKET,
  r2BucketExists: TAKEN_CODES.r2Bucket,
  r2BucketNotEmpty: ERROR_CODES.R2_BUCKET_NOT_EMPTY,
  /** R2's NoSuchKey (an object path; the same number as a missing script elsewhere). */
  r2NoSuchKey: ERROR_CODES.R2_NO_SUCH_KEY,
} as const;

export interface CloudflareApiErrorInit {
  op: Operation;
  status: number | undefined;
  code?: number;
  message: string;
  errors?: Array<{ code?: number; message: string }>;
  /** True when the body was a Cloudflare envelope (`{success: false, errors: [...]}`). */
  envelope?: boolean;
  /** The request, for errors that do not come from Cloudflare: `GET https://host/path` (no query, no token). */
  request?: string;
  retryable: boolean;
  attempts: number;
  note?: string;
}

export class CloudflareApiError extends Error {
  override name = "CloudflareApiError";
  readonly op: Operation;
  /** HTTP status, or undefined when no response arrived (reset, timeout). */
  readonly status: number | undefined;
  /** The first Cloudflare error code of the envelope. */
  readonly code: number | undefined;
  readonly apiMessage: string;
  readonly errors: Array<{ code?: number; message: string }>;
  /** The answer was a Cloudflare envelope: only then do its codes mean anything. */
  readonly envelope: boolean;
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(private readonly init: CloudflareApiErrorInit) {
    super(CloudflareApiError.format(init));
    this.op = init.op;
    this.status = init.status;
    this.code = init.code;
    this.apiMessage = init.message;
    this.errors = init.errors ?? [];
    this.envelope = init.envelope ?? false;
    this.retryable = init.retryable;
    this.attempts = init.attempts;
  }

  /** `HTTP 404, Cloudflare error 10007: ...` */
  summary(): string {
    return CloudflareApiError.describe(this.init);
  }

  /** The same failure, told of another operation (an answer shared between resources). */
  forOperation(op: Operation): CloudflareApiError {
    return new CloudflareApiError({ ...this.init, op });
  }

  withNote(note: string): CloudflareApiError {
    return new CloudflareApiError({ ...this.init, note });
  }

  /** True when the envelope carries one of the codes. A non-envelope body never has codes. */
  hasCode(...codes: readonly number[]): boolean {
    if (!this.envelope) return false;
    return (
      this.errors.some((e) => e.code !== undefined && codes.includes(e.code)) || (this.code !== undefined && codes.includes(this.code))
    );
  }

  private static describe(init: CloudflareApiErrorInit): string {
    const { status, code, message, envelope, request } = init;
    const where = status === undefined ? "no response" : `HTTP ${status}`;
    if (code !== undefined) return `${where}, Cloudflare error ${code}: ${message}`;
    // Not Cloudflare speaking (a proxy, a wrong base URL): say where the request went.
    const from = !envelope && status !== undefined && request ? ` from ${request}, which is not a Cloudflare API answer` : "";
    return `${where}${from}: ${message}`;
  }

  private static format(init: CloudflareApiErrorInit): string {
    const { op, attempts, note } = init;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
    return `${op.resource}: ${op.operation} failed${tries}: ${CloudflareApiError.describe(init)}${note ? ` (${note})` : ""}`;
  }
}

/**
 * True only when Cloudflare says, in its envelope and with one of `codes`, that the thing does not exist.
 * Any other 404 (a wrong base URL, a proxy, a route the API does not have: 7000/7003) is an error, never "gone".
 */
export function isGone(error: unknown, codes: readonly number[]): boolean {
  // 404 too: an upload refused for a binding to a missing namespace carries 100119 with a 400.
  return error instanceof CloudflareApiError && error.status === 404 && error.hasCode(...codes);
}

/** The request's result, or undefined when Cloudflare says the thing is gone ({@link isGone}). */
export async function unlessGone<T>(request: Promise<T>, codes: readonly number[]): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isGone(error, codes)) return undefined;
    throw error;
  }
}

/** Removes a credential from text that may be shown to the user. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join("[redacted]");
}
