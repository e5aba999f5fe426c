import { defineConfig } from "vitest/config";

// Four suites that can run alone: `npx vitest run --project unit` (or emulator, provider, e2e).
// The emulator, provider and e2e suites load compiled code (the runtime's Workers, the package): their globalSetup
// rebuilds dist/ when a source is newer.
const distSetup = "test/helpers/dist-setup.ts";
// In-process suites share each worker's module graph across files instead of importing the SDKs again per file
// (about 5x faster on 2 cores). Files restore what they change (the harness's client factory and log sink,
// stack config, spies), so they pass in any order: `--sequence.shuffle` with any seed.
const shared = { isolate: false };

export default defineConfig({
  test: {
    // A test that asserts nothing fails.
    expect: { requireAssertions: true },
    projects: [
      // A full `npm test` runs the e2e files beside these suites: a unit test that starts Node processes (the
      // preload's, the plugin host's) can then take longer than vitest's default 5 s.
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000, ...shared } },
      { test: { name: "emulator", include: ["test/emulator/**/*.test.ts"], testTimeout: 30_000, globalSetup: [distSetup], ...shared } },
      { test: { name: "provider", include: ["test/provider/**/*.test.ts"], testTimeout: 60_000, globalSetup: [distSetup], ...shared } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          globalSetup: [distSetup],
          // One module graph per worker, as in the in-process suites: each file would otherwise import the emulator,
          // Miniflare and the SDKs again (seconds of CPU each). The files change no global state.
          ...shared,
          // Three files at a time: a Pulumi run's phases (CLI, program, provider plugin) mostly take turns on one
          // core and wait on each other, so one engine run keeps about half a core busy (a file's CPU time is about
          // half its wall time). In one `vitest run`, after the other suites (a later group); a full `npm test` runs
          // it in a vitest of its own beside them, and when they are done these files have both cores.
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
