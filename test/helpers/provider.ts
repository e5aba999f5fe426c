/** Per-test hooks into the provider: the emulator it runs against, its log lines, and the waits its retries ask for. */
import { afterAll, beforeAll, beforeEach, expect, onTestFinished } from "vitest";
import { setLogger } from "../../provider/log";
import { type ClientOverrides, connectProvider, startTestEmulator, type TestEmulator, type TestEmulatorOptions } from "./emulator";

export interface EmulatorFixtureOptions extends TestEmulatorOptions {
  /** Dispatch namespaces every test starts with. */
  namespaces?: string[];
  /**
   * Before each test: `"reset"` (default) empties the emulator, creates `namespaces` and clears the journal;
   * `"journal"` keeps the state (namespaces are created once) and clears only the journal and fault rules.
   */
  each?: "reset" | "journal";
}

/**
 * The emulator of a suite (or of the enclosing `describe`), with the provider connected to it: started before
 * its tests, closed after them, made fresh before each one. Usable at once; its methods work inside the tests.
 */
export function useEmulator(options: EmulatorFixtureOptions = {}): TestEmulator {
  const { namespaces = [], each = "reset", ...emulatorOptions } = options;
  let current: TestEmulator | undefined;
  const createNamespaces = async (emu: TestEmulator) => {
    for (const name of namespaces) expect((await emu.api("POST", "/dispatch/namespaces", { json: { name } })).status).toBe(200);
  };
  beforeAll(async () => {
    current = await startTestEmulator({ connectProvider: true, ...emulatorOptions });
    if (each === "journal") await createNamespaces(current);
  });
  afterAll(async () => current?.close());
  beforeEach(async () => {
    const emu = current!;
    if (each === "reset") {
      await emu.reset(); // also clears faults and the journal
      await createNamespaces(emu);
    } else await emu.clearFaults();
    await emu.clearJournal();
  });
  return new Proxy({} as TestEmulator, {
    get(_target, key) {
      if (key === "then") return undefined; // not a promise
      if (!current) throw new Error(`the test emulator is used before it started (its ${String(key)})`);
      return current[key as keyof TestEmulator];
    },
  });
}

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
