/** Per-test hooks into the provider: the emulator it runs against, its run, its log lines, and the waits its retries ask for. */
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, beforeEach, expect, onTestFinished } from "vitest";
import type { EmulatorOptions } from "../../emulator";
import type { Logger } from "../../provider/log";
import { providers } from "../../provider/dynamic";
import type { ResourceKind, RunProvider } from "../../provider/resources/resource-kit";
import type { ProviderRun } from "../../provider/run";
import { type ClientOverrides, startTestEmulator, type TestEmulator, type TestRunOptions } from "./emulator";

export interface EmulatorFixtureOptions extends EmulatorOptions {
  /** Dispatch namespaces every test starts with. */
  namespaces?: string[];
  /**
   * Before each test: `"reset"` (default) empties the emulator, creates `namespaces` and clears the journal;
   * `"journal"` keeps the state (namespaces are created once) and clears only the journal and fault rules.
   */
  each?: "reset" | "journal";
  /** Client overrides of every test's run (a retry policy, say). */
  client?: ClientOverrides;
}

/** The emulator of a suite, and the provider run of the current test against it. */
export interface EmulatorFixture extends TestEmulator {
  /** The current test's run: a fresh one before each test (no shared reads, as outside an engine run). */
  readonly run: ProviderRun;
  /** Replaces the current test's run (an engine run with shared reads, a later run, a recording sleep). */
  newRun(options?: TestRunOptions): ProviderRun;
  /** Every kind's provider as the engine calls it, serving at each call the current test's run. */
  readonly providers: Record<ResourceKind, pulumi.dynamic.ResourceProvider>;
  /** Where the current test's captured log lines go (captureProviderLog). */
  capture: Logger | undefined;
}

/**
 * The emulator of a suite (or of the enclosing `describe`), with a provider run against it for each test: started
 * before its tests, closed after them, made fresh before each one. Usable at once; its members work inside the tests.
 */
export function useEmulator(options: EmulatorFixtureOptions = {}): EmulatorFixture {
  const { namespaces = [], each = "reset", client = {}, ...emulatorOptions } = options;
  let current: TestEmulator | undefined;
  let run: ProviderRun | undefined;
  let capture: Logger | undefined;
  const log: Logger = { info: (m) => capture?.info(m), warn: (m) => capture?.warn(m) };
  const newRun = (o: TestRunOptions = {}) => {
    run = started().providerRun({ ...client, ...o, policy: { ...client.policy, ...o.policy }, log });
    return run;
  };
  const started = () => {
    if (!current) throw new Error("the test emulator is used before it started");
    return current;
  };
  const createNamespaces = async (emu: TestEmulator) => {
    for (const name of namespaces) expect((await emu.api("POST", "/dispatch/namespaces", { json: { name } })).status).toBe(200);
  };
  beforeAll(async () => {
    current = await startTestEmulator(emulatorOptions);
    if (each === "journal") await createNamespaces(current);
  });
  afterAll(async () => current?.close());
  beforeEach(async () => {
    const emu = started();
    if (each === "reset") {
      await emu.reset(); // also clears faults and the journal
      await createNamespaces(emu);
    } else await emu.clearFaults();
    await emu.clearJournal();
    newRun();
  });
  const fixture = {
    get run() {
      return run ?? newRun();
    },
    newRun,
    providers: boundProviders(() => fixture.run),
    get capture() {
      return capture;
    },
    set capture(next: Logger | undefined) {
      capture = next;
    },
  };
  return new Proxy(fixture as EmulatorFixture, {
    get(target, key, receiver) {
      if (key === "then") return undefined; // not a promise
      if (key in target) return Reflect.get(target, key, receiver);
      return started()[key as keyof TestEmulator];
    },
  });
}

const OPERATIONS = ["check", "diff", "create", "read", "update", "delete"] as const;

/** Every kind's provider serving, at each call, the run `runOf()` gives. */
export function boundProviders(runOf: () => ProviderRun): Record<ResourceKind, pulumi.dynamic.ResourceProvider> {
  const entries = Object.entries(providers).map(([kind, provider]) => [kind, boundTo(runOf, provider)]);
  return Object.fromEntries(entries) as Record<ResourceKind, pulumi.dynamic.ResourceProvider>;
}

/** A kind's provider serving, at each call, the run `runOf()` gives: the engine's view of one resource kind. */
function boundTo(runOf: () => ProviderRun, kind: RunProvider): pulumi.dynamic.ResourceProvider {
  const bound: Record<string, unknown> = {};
  for (const name of OPERATIONS) bound[name] = (...args: unknown[]) => (kind(runOf())[name] as (...a: unknown[]) => unknown)(...args);
  return bound as unknown as pulumi.dynamic.ResourceProvider;
}

/**
 * Records the provider log of the calling test's runs of `em`; lines read `warning: …` / `info: …`, as `pulumi up`
 * prints them.
 */
export function captureProviderLog(em: EmulatorFixture): string[] {
  const lines: string[] = [];
  em.capture = { info: (m) => void lines.push(`info: ${m}`), warn: (m) => void lines.push(`warning: ${m}`) };
  onTestFinished(() => {
    em.capture = undefined;
  });
  return lines;
}

/**
 * Gives the calling test a new run of `em` with a sleep that records each wait (ms) and returns at once, so that a
 * `Retry-After: 1` is asserted without waiting a second.
 */
export function recordWaits(em: EmulatorFixture, overrides: ClientOverrides = {}): number[] {
  const waits: number[] = [];
  em.newRun({ ...overrides, sleep: async (ms) => void waits.push(ms) });
  return waits;
}
