/**
 * Starts the real emulator in this process on a free port and points the provider at it through
 * the environment, as a user's CI would.
 */
import { startEmulator, type EmulatorOptions } from "../../emulator";

export const TEST_TOKEN = "test-token-8c1f0e5a";
export const ACCOUNT_ID = "0123456789abcdef0123456789abcdef";

export interface JournalEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface TestEmulator {
  url: string;
  apiBase: string;
  close(): Promise<void>;
  journal(): Promise<JournalEntry[]>;
  clearJournal(): Promise<void>;
  /** Write calls (anything but GET) in the journal. */
  writes(): Promise<JournalEntry[]>;
  fault(rule: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  /** Empties state, the journal, fault rules and rate-limit counters. */
  reset(): Promise<void>;
  state(): Promise<any>;
  /** A raw API call with the test token, for out-of-band changes. */
  api(method: string, path: string, init?: { body?: BodyInit; json?: unknown; headers?: Record<string, string> }): Promise<Response>;
}

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const running = await startEmulator({ port: 0, tokens: [TEST_TOKEN], rateLimit: false, ...options });
  process.env.CLOUDFLARE_API_TOKEN = TEST_TOKEN;
  process.env.CLOUDFLARE_ACCOUNT_ID = ACCOUNT_ID;
  process.env.CLOUDFLARE_BASE_URL = running.apiBase;
  // Keep retries fast in tests; the policy itself is tested separately.
  process.env.WFP_RETRY_BASE_DELAY_MS ??= "20";
  process.env.WFP_RETRY_MAX_DELAY_MS ??= "200";
  const op = (path: string, init?: RequestInit) => fetch(`${running.url}/__emulator/${path}`, init);
  const journal = async () => (await (await op("requests")).json()) as JournalEntry[];
  return {
    url: running.url,
    apiBase: running.apiBase,
    close: () => running.close(),
    journal,
    clearJournal: async () => void (await op("requests", { method: "DELETE" })),
    writes: async () => (await journal()).filter((e) => e.method !== "GET"),
    fault: async (rule) =>
      void (await op("faults", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rule) })),
    clearFaults: async () => void (await op("faults", { method: "DELETE" })),
    reset: async () => void (await op("reset", { method: "POST" })),
    state: async () => (await op("state")).json(),
    api: (method, path, init = {}) =>
      fetch(`${running.apiBase}/accounts/${ACCOUNT_ID}/workers${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          ...(init.json !== undefined ? { "content-type": "application/json" } : {}),
          ...init.headers,
        },
        body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
      }),
  };
}
