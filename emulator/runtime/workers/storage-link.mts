/**
 * @module
 * A Worker's D1 and R2 bindings, in the runtime's workerd: `WfpStorage` (props: the binding's `target`, `d1:<uuid>`
 * or `r2:<storage key>`, and its account) passes each call of the binding's client (storage-client.mts) to the
 * storage host through the emulator (`STORAGE`), naming the target itself: the Worker's code picks the operation
 * only, never which database or bucket.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { type Fetcher, STORAGE_ACCOUNT_HEADER, STORAGE_TARGET_HEADER } from "./internal.mjs";

type Env = { STORAGE: Fetcher };
type Props = { target: string; account: string };

export class WfpStorage extends WorkerEntrypoint<Env, Props> {
  async fetch(request: Request): Promise<Response> {
    const op = new URL(request.url).pathname.slice(1);
    if (!/^[a-z]+$/.test(op)) return Response.json({ e: `unknown storage operation ${op}` });
    const headers = new Headers();
    for (const name of ["x-wfp-r2", "x-wfp-r2-null", "content-type"]) {
      const v = request.headers.get(name);
      if (v !== null) headers.set(name, v);
    }
    headers.set(STORAGE_TARGET_HEADER, this.ctx.props.target);
    headers.set(STORAGE_ACCOUNT_HEADER, this.ctx.props.account);
    const body = request.method === "GET" ? null : await request.arrayBuffer();
    return this.env.STORAGE.fetch(`http://storage/${op}`, { method: request.method, headers, body });
  }
}

export default {
  fetch: (): Response => new Response(null, { status: 404 }),
};
