/**
 * @module
 * A local emulator of the Cloudflare API for Workers for Platforms.
 *
 * @example
 * const emu = await startEmulator({ port: 0 });
 * const cf = new Cloudflare({ apiToken: "local-dev-token", baseURL: emu.apiBase });
 * await emu.close();
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { API_PREFIX, createEmulator, type Emulator } from "./server";
import type { EmulatorOptions } from "./options";
import type { WorkersRuntime } from "./runtime";

export type { EmulatorOptions, ResolvedOptions } from "./options";
export type { FaultRule, RateLimitOptions } from "./faults";
export type { Emulator } from "./server";
export type { JournalEntry } from "./routes/operator";
export { createApp, createEmulator } from "./server";
export { ApiError, Codes } from "./model/errors";

export interface RunningEmulator {
  /** `http://HOST:PORT` */
  url: string;
  /** `url + "/client/v4"`: the SDK's `baseURL`. */
  apiBase: string;
  /** Stops listening, drops open connections and persists state (with `dataDir`). */
  close(): Promise<void>;
  /** The in-process emulator (app, store, journal, faults), for tests. */
  emulator: Emulator;
  /** `http://HOST:PORT` serving the account-level Workers, with `workersPort`. */
  workersUrl?: string;
  /** The Workers runtime, with `workersPort` or `validateUploads`. */
  runtime?: WorkersRuntime;
}

/** Starts the emulator over HTTP. Resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = createEmulator(options);
  const { host, port } = emulator.options;
  let runtime: WorkersRuntime | undefined;
  let server: Server;
  try {
    runtime = await startRuntime(emulator, options);
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: emulator.app.fetch, port, hostname: host }, () => resolve(s as Server)) as Server;
      s.once("error", reject);
    });
  } catch (err) {
    await runtime?.close();
    await emulator.storage.close();
    await emulator.ctx.store.close();
    throw err;
  }
  server.keepAliveTimeout = 5_000;
  const address = server.address() as AddressInfo;
  const displayHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${displayHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    apiBase: `${url}${API_PREFIX}`,
    emulator,
    workersUrl: runtime?.url,
    runtime,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })
        .then(() => runtime?.close())
        .then(() => emulator.storage.close())
        .then(() => emulator.ctx.store.flush())
        .finally(() => emulator.ctx.store.close());
      return closing;
    },
  };
}

/** Loads the runtime (and Miniflare) only when asked for. */
async function startRuntime(emulator: Emulator, options: EmulatorOptions): Promise<WorkersRuntime | undefined> {
  // On by default, as Cloudflare refuses such code; the validator's workerd starts at the first upload.
  const validate = options.validateUploads ?? true;
  if (options.workersPort === undefined && !validate) return undefined;
  const { WorkersRuntime } = await import("./runtime/index.js");
  const runtime = new WorkersRuntime(emulator.ctx.store, {
    port: options.workersPort,
    host: emulator.options.host,
    validate,
    logs: options.workerLogs,
    localNetworkWorkers: options.localNetworkWorkers ?? [],
    storage: (request) => emulator.storage.serveBinding(request),
    ...(emulator.options.dataDir ? { dataDir: emulator.options.dataDir } : {}),
  });
  emulator.ctx.validateScript = (script) => runtime.validate(script);
  emulator.ctx.changeListeners.push(() => runtime.notify());
  emulator.ctx.kvChanged = (key) => runtime.invalidateKv(key);
  if (options.workersPort !== undefined) {
    emulator.ctx.scheduled = (target, cron, time) => runtime.scheduled(target, cron, time);
    if (options.workerLogs) emulator.ctx.tail = runtime.tail;
  }
  try {
    await runtime.start();
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return runtime;
}
