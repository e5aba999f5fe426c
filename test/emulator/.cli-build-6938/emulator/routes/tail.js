"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.tailOperatorRoutes = tailOperatorRoutes;
/**
 * @module
 * The live tail (loopback only, under `/__emulator`): `GET /tail?script=&tenant=&namespace=` streams the Workers'
 * invocations as NDJSON, one Cloudflare tail event a line, as they finish; an empty line every 15 s keeps the
 * connection open. `wfp-tail` reads it.
 */
const hono_1 = require("hono");
const HEARTBEAT_MS = 15_000;
function tailOperatorRoutes(ctx) {
    const r = new hono_1.Hono();
    r.get("/tail", (c) => {
        const hub = ctx.tail;
        if (!hub)
            return c.json({ error: "no tail: start the emulator with --workers-port and without --quiet-workers (workerLogs: true)" }, 409);
        const { script, tenant, namespace } = c.req.query();
        const encoder = new TextEncoder();
        let stop = () => { };
        const body = new ReadableStream({
            start(controller) {
                const send = (text) => {
                    try {
                        controller.enqueue(encoder.encode(text));
                    }
                    catch {
                        stop();
                    }
                };
                const unsubscribe = hub.subscribe({ script, tenant, namespace }, (e) => send(`${JSON.stringify(e)}\n`));
                const heartbeat = setInterval(() => send("\n"), HEARTBEAT_MS);
                stop = () => {
                    unsubscribe();
                    clearInterval(heartbeat);
                };
                c.req.raw.signal?.addEventListener("abort", () => stop());
                send("\n");
            },
            cancel() {
                stop();
            },
        });
        return new Response(body, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" } });
    });
    return r;
}
