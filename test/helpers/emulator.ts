/**
 * The one emulator harness of every suite and of the benches: the real emulator in this process on a free
 * port, raw API calls, an SDK client, and the operator endpoints (journal, faults, reset, state) of any
 * emulator by its URL, one in a child process included. Nothing here imports vitest: the benches run it
 * compiled.
 */
import Cloudflare from "cloudflare";
import { startEmulator, type EmulatorOptions, type FaultRule, type JournalEntry, type RunningEmulator } from "../../emulator";
import { CloudflareApi, DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../provider/api/client";
import type { Credentials } from "../../provider/credentials";
import type { Logger } from "../../provider/log";
import { ProviderRun } from "../../provider/run";

export type { FaultRule, JournalEntry };

export const TEST_TOKEN = "test-token-8c1f0e5a";
export const ACCOUNT_ID = "0123456789abcdef0123456789abcdef";

/** Fast retries for tests; the policy itself is tested in test/unit. */
export const TEST_RETRY_POLICY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 20, maxDelayMs: 200 };

export interface ApiInit {
  body?: BodyInit | null;
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown;
  headers?: Record<string, string>;
  /** Bearer token; default the test token, `null` for none. */
  token?: string | null;
}

export interface ApiResult {
  status: number;
  ok: boolean;
  headers: Headers;
  /** The parsed JSON body, or undefined when it is not JSON. */
  body: any;
  text: string;
}

/** A raw request to `${workers}${path}` (or to `path` when it is a full URL). */
export async function apiCall(workers: string, method: string, path: string, init: ApiInit = {}): Promise<ApiResult> {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? TEST_TOKEN : init.token;
  if (token !== null && headers.authorization === undefined) headers.authorization = `Bearer ${token}`;
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(path.startsWith("http") ? path : `${workers}${path}`, { method, headers, body: body ?? null });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, ok: res.ok, headers: res.headers, body: parsed, text };
}

/** The operator endpoints of an emulator (`/__emulator/...`). */
export interface Operator {
  /** `http://HOST:PORT` */
  url: string;
  journal(): Promise<JournalEntry[]>;
  clearJournal(): Promise<void>;
  /** Write calls (anything but GET) in the journal. */
  writes(): Promise<JournalEntry[]>;
  /** Adds a fault rule; throws when the emulator refuses it. */
  fault(rule: FaultRule): Promise<void>;
  /** The fault rules, each with how many times it will still fire (null: unlimited). */
  faults(): Promise<Array<FaultRule & { remaining: number | null }>>;
  clearFaults(): Promise<void>;
  /** Empties state, the journal, fault rules and rate-limit counters. */
  reset(): Promise<void>;
  state(): Promise<any>;
  /** One namespace of the test account in the state, or undefined. */
  namespace(name: string): Promise<any>;
}

export function operator(url: string): Operator {
  const op = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}/__emulator/${path}`, init);
    if (!res.ok) throw new Error(`${init?.method ?? "GET"} /__emulator/${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  const journal = async () => (await (await op("requests")).json()) as JournalEntry[];
  const state = async () => (await op("state")).json() as Promise<any>;
  return {
    url,
    journal,
    clearJournal: async () => void (await op("requests", { method: "DELETE" })),
    writes: async () => (await journal()).filter((e) => e.method !== "GET"),
    fault: async (rule) =>
      void (await op("faults", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rule) })),
    faults: async () => (await op("faults")).json() as Promise<Array<FaultRule & { remaining: number | null }>>,
    clearFaults: async () => void (await op("faults", { method: "DELETE" })),
    reset: async () => void (await op("reset", { method: "POST" })),
    state,
    namespace: async (name) => (await state()).accounts?.[ACCOUNT_ID]?.namespaces?.[name],
  };
}

/** What a child process (the Pulumi CLI, a bench tool) needs to reach the emulator at `apiBase`. */
export function providerEnv(apiBase: string, token = TEST_TOKEN): Record<string, string> {
  return { CLOUDFLARE_BASE_URL: apiBase, CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_ACCOUNT_ID: ACCOUNT_ID };
}

export interface TestEmulator extends Operator {
  emu: RunningEmulator;
  /** `url + "/client/v4"` */
  apiBase: string;
  /** `${apiBase}/accounts/${ACCOUNT_ID}/workers` */
  workers: string;
  /** The official SDK, without retries. */
  cf: Cloudflare;
  credentials: Credentials;
  /** providerEnv() for this emulator. */
  env: Record<string, string>;
  /** A raw API call with the test token (out-of-band changes, conformance checks). */
  api(method: string, path: string, init?: ApiInit): Promise<ApiResult>;
  /** The provider's own client for this emulator, with fast retries; its messages are dropped. */
  client(options?: ClientOverrides): CloudflareApi;
  /** A provider run against this emulator: fast retries that do not wait, its messages dropped unless `log` is given. */
  providerRun(options?: TestRunOptions): ProviderRun;
  close(): Promise<void>;
}

/** A test's provider run: client overrides, shared reads as in an engine run, and where its messages go. */
export interface TestRunOptions extends ClientOverrides {
  shareReads?: boolean;
  log?: Logger;
  /** As under this package's plugin host: diff and update get the stored inputs. */
  priorInputs?: boolean;
}

/** The provider's retry and progress lines stay out of the test run's output unless a test captures them. */
const mute: Logger = { info: () => {}, warn: () => {} };

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emu = await startEmulator({ port: 0, tokens: [TEST_TOKEN], rateLimit: false, ...options });
  const workers = `${emu.apiBase}/accounts/${ACCOUNT_ID}/workers`;
  const credentials: Credentials = { apiToken: TEST_TOKEN, accountId: ACCOUNT_ID, baseUrl: emu.apiBase };
  return {
    ...operator(emu.url),
    emu,
    apiBase: emu.apiBase,
    workers,
    cf: new Cloudflare({ apiToken: TEST_TOKEN, baseURL: emu.apiBase, maxRetries: 0 }),
    credentials,
    env: providerEnv(emu.apiBase),
    api: (method, path, init) => apiCall(workers, method, path, init),
    client: (o = {}) => testClient(credentials, o),
    providerRun: (o = {}) => testRun(credentials, o),
    close: () => emu.close(),
  };
}

/** Test overrides of the provider client: a policy patch, a sleep (record waits instead of waiting) and a clock. */
export interface ClientOverrides {
  policy?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Retries do not wait unless a test asks: the waits themselves are asserted through a recording sleep. */
const noWait = async () => {};

const testClientOptions = (o: ClientOverrides) => ({ policy: { ...TEST_RETRY_POLICY, ...o.policy }, sleep: o.sleep ?? noWait, now: o.now });

function testClient(credentials: Credentials, o: ClientOverrides): CloudflareApi {
  return new CloudflareApi(credentials, { ...testClientOptions(o), log: mute });
}

/** A provider run pointed at an emulator through its stack config (no process.env), the one place tests do so. */
function testRun(credentials: Credentials, o: TestRunOptions): ProviderRun {
  return new ProviderRun({
    stack: credentials,
    shareReads: o.shareReads,
    client: testClientOptions(o),
    log: o.log ?? mute,
    priorInputs: o.priorInputs,
  });
}
