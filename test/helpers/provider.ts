/** Per-test hooks into the provider: its log lines, and the waits its retries ask for. */
import { onTestFinished } from "vitest";
import { setLogger } from "../../provider/log";
import { type ClientOverrides, connectProvider, type TestEmulator } from "./emulator";

/** Records the provider's log for the calling test; lines read `warning: …` / `info: …`, as `pulumi up` prints them. */
export function captureProviderLog(): string[] {
  const lines: string[] = [];
  onTestFinished(setLogger({ info: (m) => void lines.push(`info: ${m}`), warn: (m) => void lines.push(`warning: ${m}`) }));
  return lines;
}

/**
 * Connects the provider to `em` for the calling test with a sleep that records each wait (ms) and returns at
 * once, so that a `Retry-After: 1` is asserted without waiting a second.
 */
export function recordWaits(em: TestEmulator, overrides: ClientOverrides = {}): number[] {
  const waits: number[] = [];
  onTestFinished(connectProvider(em.credentials, { ...overrides, sleep: async (ms) => void waits.push(ms) }));
  return waits;
}
