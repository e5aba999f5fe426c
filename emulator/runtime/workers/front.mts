/**
 * @module
 * The Worker behind the workers port: picks the account-level Worker by Host, drops internal headers an outside
 * request may carry, and gives the request the placeholder `cf` object. `__WFP_PUBLIC` lists the public Workers
 * with the service binding that reaches each; `__WFP_CF` is the placeholder.
 */
import { type Fetcher, stripInternal, textResponse } from "./internal.mjs";

/** Which Worker a hostname reaches, or undefined. */
export function pickWorker<W extends { script: string }>(hostname: string, workers: W[]): W | undefined {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  // `<worker>.localhost` and anything under it; Cloudflare's own `<worker>.<subdomain>.workers.dev`.
  const named = workers.find((w) => h === `${w.script}.localhost` || h.endsWith(`.${w.script}.localhost`));
  if (named) return named;
  const dev = /^([^.]+)\.[^.]+\.workers\.dev$/.exec(h);
  if (dev) return workers.find((w) => w.script === dev[1]);
  // With a single public Worker, every other host is its: `acme.localhost` reaches the dispatcher as is.
  return workers.length === 1 ? workers[0] : undefined;
}

interface FrontEnv {
  __WFP_PUBLIC: Array<{ script: string; binding: string }>;
  __WFP_CF: unknown;
  [binding: string]: unknown;
}

export default {
  fetch(request: Request, env: FrontEnv): Promise<Response> | Response {
    const hostname = new URL(request.url).hostname.replace(/^\[(.*)\]$/, "$1");
    const target = pickWorker(hostname, env.__WFP_PUBLIC);
    if (!target) {
      const names = env.__WFP_PUBLIC.map((w) => `${w.script}.localhost`).join(", ") || "none deployed";
      return textResponse(`no Worker with workers.dev on for host "${hostname}" (Workers: ${names})`, 404);
    }
    const clean = stripInternal(request);
    return (env[target.binding] as Fetcher).fetch(new Request(clean, { cf: env.__WFP_CF } as RequestInit));
  },
};
