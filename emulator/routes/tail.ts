/**
 * @module
 * The live tail (loopback only, under `/__emulator`): `GET /tail?script=&tenant=&namespace=` streams the Workers'
 * invocations as NDJSON, one Cloudflare tail event a line, as they finish; an empty line every 15 s keeps the
 * connection open. `wfp-tail` reads it.
 */
import { Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context";

const HEARTBEAT_MS = 15_000;

export function tailOperatorRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/tail", (c) => {
    const hub = ctx.tail;
    if (!hub)
      return c.json({ error: "no tail: start the emulator with --workers-port and without --quiet-workers (workerLogs: true)" }, 409);
    const { script, tenant, namespace } = c.req.query();
    const encoder = new TextEncoder();
    let stop = (): void => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
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
