/** Errors the provider raises when the Cloudflare API refuses a request or cannot be reached. */

/** What was being done, for messages: `{ resource: 'UserScript "tenant-a"', operation: "create" }`. */
export interface Operation {
  resource: string;
  operation: string;
}

export interface CloudflareApiErrorInit {
  op: Operation;
  status: number | undefined;
  code?: number;
  message: string;
  errors?: Array<{ code?: number; message: string }>;
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
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(private readonly init: CloudflareApiErrorInit) {
    super(CloudflareApiError.format(init));
    this.op = init.op;
    this.status = init.status;
    this.code = init.code;
    this.apiMessage = init.message;
    this.errors = init.errors ?? [];
    this.retryable = init.retryable;
    this.attempts = init.attempts;
  }

  /** `HTTP 404, Cloudflare error 10007: ...` */
  summary(): string {
    const { status, code, message } = this.init;
    const where = status === undefined ? "no response" : `HTTP ${status}`;
    return code === undefined ? `${where}: ${message}` : `${where}, Cloudflare error ${code}: ${message}`;
  }

  withNote(note: string): CloudflareApiError {
    return new CloudflareApiError({ ...this.init, note });
  }

  hasCode(...codes: number[]): boolean {
    return this.errors.some((e) => e.code !== undefined && codes.includes(e.code)) || (this.code !== undefined && codes.includes(this.code));
  }

  private static format(init: CloudflareApiErrorInit): string {
    const { op, status, code, message, attempts, note } = init;
    const where = status === undefined ? "no response" : `HTTP ${status}`;
    const detail = code === undefined ? message : `Cloudflare error ${code}: ${message}`;
    const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
    return `${op.resource}: ${op.operation} failed${tries}: ${where}, ${detail}${note ? ` (${note})` : ""}`;
  }
}

/** True when the API says the thing is gone: used to make delete and read idempotent. */
export function isNotFound(error: unknown, ...codes: number[]): boolean {
  if (!(error instanceof CloudflareApiError)) return false;
  if (error.status === 404) return codes.length === 0 || error.hasCode(...codes);
  return false;
}

/** Removes a credential from text that may be shown to the user. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join("[redacted]");
}
