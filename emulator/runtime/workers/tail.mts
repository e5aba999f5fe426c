/**
 * @module
 * The account-level Workers' tail Worker: workerd hands it each invocation's trace, which it posts to the runtime
 * (runtime/tail.ts) through `SINK`, a binding to the emulator's process. workerd leaves `scriptName` empty
 * locally: each Worker's tail is this entrypoint with the Worker's name as props.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Fetcher } from "./internal.mjs";

type Env = { SINK: Fetcher };

export class Tail extends WorkerEntrypoint<Env, { account: string; script: string }> {
  async tail(traces: unknown[]): Promise<void> {
    await this.env.SINK.fetch("http://sink/", { method: "POST", body: JSON.stringify({ source: this.ctx.props, traces }) });
  }
}

export default {
  fetch: (): Response => new Response(null, { status: 404 }),
};
