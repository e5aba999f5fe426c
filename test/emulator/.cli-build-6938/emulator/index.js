"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Codes = exports.ApiError = exports.createEmulator = exports.createApp = void 0;
exports.startEmulator = startEmulator;
const node_server_1 = require("@hono/node-server");
const server_1 = require("./server");
var server_2 = require("./server");
Object.defineProperty(exports, "createApp", { enumerable: true, get: function () { return server_2.createApp; } });
Object.defineProperty(exports, "createEmulator", { enumerable: true, get: function () { return server_2.createEmulator; } });
var errors_1 = require("./errors");
Object.defineProperty(exports, "ApiError", { enumerable: true, get: function () { return errors_1.ApiError; } });
Object.defineProperty(exports, "Codes", { enumerable: true, get: function () { return errors_1.Codes; } });
/** Starts the emulator over HTTP. Resolves once it is listening. */
async function startEmulator(options = {}) {
    const emulator = (0, server_1.createEmulator)(options);
    const { host, port } = emulator.options;
    let runtime;
    let server;
    try {
        runtime = await startRuntime(emulator, options);
        server = await new Promise((resolve, reject) => {
            const s = (0, node_server_1.serve)({ fetch: emulator.app.fetch, port, hostname: host }, () => resolve(s));
            s.once("error", reject);
        });
    }
    catch (err) {
        await runtime?.close();
        emulator.ctx.store.close();
        throw err;
    }
    server.keepAliveTimeout = 5_000;
    const address = server.address();
    const displayHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    const url = `http://${displayHost}:${address.port}`;
    let closing;
    return {
        url,
        apiBase: `${url}${server_1.API_PREFIX}`,
        emulator,
        workersUrl: runtime?.url,
        runtime,
        close() {
            closing ??= new Promise((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            })
                .then(() => runtime?.close())
                .then(() => emulator.ctx.store.flush())
                .finally(() => emulator.ctx.store.close());
            return closing;
        },
    };
}
/** Loads the runtime (and Miniflare) only when asked for. */
async function startRuntime(emulator, options) {
    // On by default, as Cloudflare refuses such code; the validator's workerd starts at the first upload.
    const validate = options.validateUploads ?? true;
    if (options.workersPort === undefined && !validate)
        return undefined;
    const { WorkersRuntime } = await import("./runtime/index.js");
    const runtime = new WorkersRuntime(emulator.ctx.store, {
        port: options.workersPort,
        host: emulator.options.host,
        validate,
        logs: options.workerLogs,
    });
    emulator.ctx.validateScript = (script) => runtime.validate(script);
    emulator.ctx.changeListeners.push(() => runtime.notify());
    emulator.ctx.kvChanged = (key) => runtime.invalidateKv(key);
    if (options.workersPort !== undefined) {
        emulator.ctx.scheduled = (target, cron, time) => runtime.scheduled(target, cron, time);
        if (options.workerLogs)
            emulator.ctx.tail = runtime.tail;
    }
    try {
        await runtime.start();
    }
    catch (err) {
        await runtime.close();
        throw err;
    }
    return runtime;
}
