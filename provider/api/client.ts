/**
 * The only code that talks HTTP. Every request goes through the official `cloudflare` SDK's raw
 * request methods, on its client core alone (sdk-core.ts), so its auth, headers and base URL handling
 * apply, with the SDK's own retries switched off: ours below honour `Retry-After` up to a bound, within
 * a total deadline, and log each retry.
 *
 * Why raw methods and hand-built FormData: SDK 7.x builds broken multipart bodies for script
 * upload and settings: it labels them `application/javascript`,
 * bracket-flattens the fields and loses the boundary. See api/multipart.ts.
 */
import type { BaseCloudflare } from "cloudflare/client";
import type { APIError } from "cloudflare/core/error";
import type { Envelope } from "../../cloudflare/wire";
import type { Credentials } from "../credentials";
import { engineLog, type Logger } from "../log";
import { CloudflareApiError, redact, type Operation } from "./errors";
import { pacerFor, type Pacer } from "./pacer";
import type { RunCache } from "./run-cache";
import { sdkCore } from "./sdk-core";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface ApiRequest {
  method: HttpMethod;
  /** Relative to `/accounts/{account_id}/workers`, e.g. `/dispatch/namespaces/ns1`; with `root`, to the base URL. */
  path: string;
  /** The path is the API's own (`/zones/...`), not under the account's Workers. */
  root?: boolean;
  /** The path is relative to the account, for APIs outside Workers (KV: `/storage/kv/namespaces`). */
  accountRoot?: boolean;
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON value, or FormData for multipart endpoints. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Names the resource and operation in errors and retry logs. */
  op: Operation;
}

export interface ApiResponse<T> {
  result: T;
  status: number;
  resultInfo?: Record<string, unknown>;
}

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** First backoff delay without Retry-After; doubles per attempt, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails at once. */
  maxRetryAfterMs: number;
  /** Total time budget for one request, retries included. */
  deadlineMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 300_000,
  deadlineMs: 600_000,
  timeoutMs: 60_000,
};

/** Defaults, overridable through the environment (tests and CI use short deadlines). */
export function retryPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const num = (name: string, fallback: number): number => {
    const raw = env[name];
    const value = raw === undefined || raw === "" ? NaN : Number(raw);
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  const d = DEFAULT_RETRY_POLICY;
  return {
    maxAttempts: Math.max(1, num("WFP_RETRY_MAX_ATTEMPTS", d.maxAttempts)),
    baseDelayMs: num("WFP_RETRY_BASE_DELAY_MS", d.baseDelayMs),
    maxDelayMs: num("WFP_RETRY_MAX_DELAY_MS", d.maxDelayMs),
    maxRetryAfterMs: num("WFP_RETRY_MAX_RETRY_AFTER_MS", d.maxRetryAfterMs),
    deadlineMs: num("WFP_RETRY_DEADLINE_MS", d.deadlineMs),
    timeoutMs: num("WFP_HTTP_TIMEOUT_MS", d.timeoutMs),
  };
}

const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;

/** Read defensively: an answer that claims to be an envelope may still lack fields. */
type PartialEnvelope<T> = Partial<Envelope<T>> & Pick<Envelope<T>, "result">;

/** What a client can be given instead of the defaults: tests inject a fast policy, sleep and clock. */
export interface ClientOptions {
  policy?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** The rate-limit budget to draw from; default the process-wide one of the token. */
  pacer?: Pacer;
  /** GETs shared with the other clients of an engine run (run-cache.ts); none: every GET is made. */
  reads?: RunCache;
  /** Where retries are reported; default the engine (or stderr outside one). */
  log?: Logger;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class CloudflareApi {
  readonly accountId: string;
  private sdkClient: BaseCloudflare | undefined;
  private readonly timeoutMs: number;
  private readonly token: string;
  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly pacer: Pacer;
  private readonly reads: RunCache | undefined;
  /** Where this client's run reports (retries here; progress and warnings of the callers). */
  readonly log: Logger;

  constructor(credentials: Credentials, options: ClientOptions = {}) {
    this.accountId = credentials.accountId;
    this.token = credentials.apiToken;
    this.baseUrl = credentials.baseUrl;
    this.policy = options.policy ?? retryPolicyFromEnv();
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
    this.pacer = options.pacer ?? pacerFor(credentials.apiToken, credentials.baseUrl);
    this.timeoutMs = this.policy.timeoutMs;
    this.reads = options.reads;
    this.log = options.log ?? engineLog;
  }

  /** True when GETs are shared with the rest of an engine run, so one list can answer many reads. */
  get sharesReads(): boolean {
    return this.reads !== undefined;
  }

  /** The SDK's client core (sdk-core.ts), built on first use. */
  private get client(): BaseCloudflare {
    const { Client } = sdkCore();
    this.sdkClient ??= new Client({ apiToken: this.token, baseURL: this.baseUrl, maxRetries: 0, timeout: this.timeoutMs });
    return this.sdkClient;
  }

  /** Performs the request and returns the envelope's `result`. */
  async call<T>(request: ApiRequest): Promise<T> {
    return (await this.send<T>(request)).result;
  }

  /** A GET whose answer the resources of one engine run share (see run-cache.ts). */
  async callShared<T>(request: ApiRequest & { method: "get" }): Promise<T> {
    return this.shared(request, () => this.call<T>(request));
  }

  /** The key of a GET in the run cache: where it goes, with its query. */
  private sharedKey(request: ApiRequest): string {
    return `${this.baseUrl}${this.fullPath(request)}?${JSON.stringify(request.query ?? {})}`;
  }

  /** `load()`'s answer to a GET as first loaded in this run, kept across the run's writes (see run-cache.ts). */
  async firstInRun<T>(request: ApiRequest & { method: "get" }, load: () => Promise<T>): Promise<T> {
    try {
      const key = `first:${this.sharedKey(request)}`;
      return await (this.reads ? this.reads.atRunStart(key, load) : load());
    } catch (error) {
      throw error instanceof CloudflareApiError ? error.forOperation(request.op) : error;
    }
  }

  /** `load()`'s answer to a GET, shared within the run under the request's key (a paginated list, say). */
  async shared<T>(request: ApiRequest & { method: "get" }, load: () => Promise<T>): Promise<T> {
    try {
      return await (this.reads ? this.reads.shared(this.sharedKey(request), load) : load());
    } catch (error) {
      // The answer may have been fetched for another resource: name this one.
      throw error instanceof CloudflareApiError ? error.forOperation(request.op) : error;
    }
  }

  /** Like call(), with the HTTP status and result_info (the assets upload answers 201 or 202). */
  async send<T>(request: ApiRequest): Promise<ApiResponse<T>> {
    if (request.method !== "get") this.reads?.invalidate();
    return this.retrying(request, async () => {
      const { data, response } = await this.client.request<PartialEnvelope<T>>(this.options(request)).withResponse();
      this.pacer.observe(response.headers);
      if (data && data.success === false) {
        // A 2xx carrying success:false is still a failure, though the SDK does not throw on it.
        throw sdkCore().APIError.generate(response.status, data, undefined, response.headers);
      }
      return { result: data?.result as T, status: response.status, resultInfo: data?.result_info };
    });
  }

  /** The raw response of a successful request, for bodies that are not envelopes (script content). */
  async fetchRaw(request: ApiRequest): Promise<Response> {
    if (request.method !== "get") this.reads?.invalidate();
    return this.retrying(request, async () => {
      const response = await this.client.request(this.options(request)).asResponse();
      this.pacer.observe(response.headers);
      return response;
    });
  }

  private fullPath(request: ApiRequest): string {
    if (request.root) return request.path;
    return `/accounts/${this.accountId}${request.accountRoot ? "" : "/workers"}${request.path}`;
  }

  private options(request: ApiRequest) {
    return {
      method: request.method,
      path: this.fullPath(request),
      query: request.query,
      body: request.body,
      headers: request.headers,
      maxRetries: 0,
    };
  }

  /** Runs one attempt after another under the retry policy; throws a CloudflareApiError. */
  private async retrying<R>(request: ApiRequest, attemptOnce: () => Promise<R>): Promise<R> {
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      let failure: CloudflareApiError;
      let retryAfterMs: number | undefined;
      try {
        await this.pacer.acquire();
        return await attemptOnce();
      } catch (error) {
        if (error instanceof sdkCore().APIError) this.pacer.observe(error.headers);
        failure = this.toApiError(error, request, attempt);
        retryAfterMs = error instanceof sdkCore().APIError && error.headers ? parseRetryAfter(error.headers) : undefined;
      }

      if (!failure.retryable || attempt >= this.policy.maxAttempts) throw failure;
      if (retryAfterMs !== undefined && retryAfterMs > this.policy.maxRetryAfterMs) {
        throw failure.withNote(
          `the API asked to wait ${Math.ceil(retryAfterMs / 1000)} s, more than the ${Math.ceil(
            this.policy.maxRetryAfterMs / 1000,
          )} s this provider waits`,
        );
      }
      const delay = retryAfterMs ?? this.backoff(attempt);
      if (this.now() + delay - started > this.policy.deadlineMs) {
        throw failure.withNote(`gave up after ${attempt} attempts: the ${this.policy.deadlineMs / 1000} s deadline would pass`);
      }
      this.log.warn(
        `${request.op.resource}: ${request.op.operation}: ${failure.summary()}; retrying in ${(delay / 1000).toFixed(1)} s ` +
          `(attempt ${attempt + 1} of ${this.policy.maxAttempts})`,
      );
      await this.sleep(delay);
    }
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.policy.baseDelayMs * 2 ** (attempt - 1), this.policy.maxDelayMs);
    return Math.round(exp * (0.75 + Math.random() * 0.25));
  }

  private toApiError(error: unknown, request: ApiRequest, attempt: number): CloudflareApiError {
    if (error instanceof CloudflareApiError) return error;
    const op = request.op;
    const { APIConnectionError, APIError } = sdkCore();
    if (error instanceof APIConnectionError) {
      // Timeouts and resets: nothing reached us, so retrying is safe for our upserts.
      return new CloudflareApiError({
        op,
        status: undefined,
        message: redact(error.message || "connection error", this.token),
        retryable: true,
        attempts: attempt,
      });
    }
    if (error instanceof APIError) {
      const envelope = isEnvelope(error.error);
      const first = envelope ? (error.errors?.[0] as { code?: number; message?: string } | undefined) : undefined;
      return new CloudflareApiError({
        op,
        status: error.status,
        code: first?.code,
        envelope,
        request: `${request.method.toUpperCase()} ${this.baseUrl}${this.fullPath(request)}`,
        message: redact(first?.message ?? bodyExcerpt(error), this.token),
        errors: (envelope ? (error.errors ?? []) : []).map((e) => ({
          code: (e as { code?: number }).code,
          message: redact(String((e as { message?: string }).message ?? ""), this.token),
        })),
        retryable: error.status !== undefined && RETRYABLE_STATUS(error.status),
        attempts: attempt,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new CloudflareApiError({ op, status: undefined, message: redact(message, this.token), retryable: false, attempts: attempt });
  }
}

/** Cloudflare's error envelope: `{success: false, errors: [{code, message}], ...}`. */
function isEnvelope(body: unknown): boolean {
  return typeof body === "object" && body !== null && "success" in body && Array.isArray((body as { errors?: unknown }).errors);
}

/** A short, single-line excerpt of a body that is not an envelope (HTML from a proxy, say). */
function bodyExcerpt(error: APIError): string {
  const raw = error.error === undefined ? error.message : JSON.stringify(error.error);
  const text = raw
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || "(empty body)";
}

/** `retry-after-ms`, then `Retry-After` in seconds or as an HTTP date. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
