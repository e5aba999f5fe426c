/**
 * The runtime's own Workers (emulator/runtime/workers/), their logic run in Node with fakes for workerd's bindings:
 * the internal headers and their stripping, the wrapper's token check and env cleaning, the dispatch binding's
 * request to the host. The red-team suite (test/emulator/runtime-sandbox.test.ts) runs them on workerd.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, test } from "vitest";
import binding from "../../emulator/runtime/workers/binding.mjs";
import * as internal from "../../emulator/runtime/workers/internal.mjs";
import { wrap } from "../../emulator/runtime/workers/wrap.mjs";
import { CONTROL_HEADER } from "../../emulator/runtime/worker-sources";

type Handlers = { fetch: (r: Request, env: Record<string, unknown>, ctx: unknown) => Promise<Response> };

const seen = (request: Request, env: Record<string, unknown>) => Response.json({ headers: [...request.headers.keys()].sort(), env });

describe("internal headers", () => {
  test("the binding's copies and the Node side's control header are internal.mts's", () => {
    expect(binding.headers.INTERNAL_PREFIX).toBe(internal.INTERNAL_PREFIX);
    expect(binding.headers.SCRIPT_HEADER).toBe(internal.SCRIPT_HEADER);
    expect(binding.headers.MISSING_HEADER).toBe(internal.MISSING_HEADER);
    expect(binding.headers.EXCEPTION_HEADER).toBe(internal.EXCEPTION_HEADER);
    expect(CONTROL_HEADER).toBe(internal.CONTROL_HEADER);
  });

  test("stripInternal drops every x-wfp-internal-* header and keeps the rest", () => {
    const r = internal.stripInternal(
      new Request("http://x/", { headers: { "x-wfp-internal-anything": "1", "X-WFP-Internal-Token": "t", a: "b" } }),
    );
    expect([...r.headers.keys()]).toEqual(["a"]);
    const plain = new Request("http://x/", { headers: { a: "b" } });
    expect(internal.stripInternal(plain)).toBe(plain);
  });

  test("unsupported bindings are named in a 500", async () => {
    expect(internal.unsupported([])).toBeUndefined();
    const r = internal.unsupported([
      { name: "B", type: "r2_bucket" },
      { name: "S", type: "service", reason: 'no Worker named "x"' },
    ])!;
    expect(r.status).toBe(500);
    expect(await r.text()).toBe(
      'wfp-emulator: this Worker has bindings the local runtime cannot provide: B (r2_bucket), S (service: no Worker named "x")\n',
    );
  });

  test("loader modules: base64 wasm and data become bytes, the rest passes", () => {
    const m = internal.loaderModules({ a: { js: "x" }, b: { data: Buffer.from("hi").toString("base64") } });
    expect(m.a).toEqual({ js: "x" });
    expect(new TextDecoder().decode((m.b as { data: ArrayBuffer }).data)).toBe("hi");
  });
});

describe("the wrapper", () => {
  const env = { ROLE: "user", __WFP_TOKEN: "secret-token", __WFP_CONFIG: { unsupported: [] } };
  const account = wrap({ fetch: seen }) as Handlers;

  test("an account-level Worker takes outbound params only with the runtime's token, and sees no internal header or key", async () => {
    const forged = new Request("http://x/", { headers: { [internal.OUTBOUND_HEADER]: '{"ROLE":"admin"}', b: "1" } });
    expect(await (await account.fetch(forged, env, {})).json()).toEqual({ headers: ["b"], env: { ROLE: "user" } });
    const genuine = new Request("http://x/", {
      headers: { [internal.OUTBOUND_HEADER]: '{"tenant":"acme"}', [internal.TOKEN_HEADER]: "secret-token" },
    });
    expect(await (await account.fetch(genuine, env, {})).json()).toEqual({ headers: [], env: { ROLE: "user", tenant: "acme" } });
    const wrongToken = new Request("http://x/", {
      headers: { [internal.OUTBOUND_HEADER]: '{"ROLE":"admin"}', [internal.TOKEN_HEADER]: "guess" },
    });
    expect(await (await account.fetch(wrongToken, env, {})).json()).toEqual({ headers: [], env: { ROLE: "user" } });
  });

  test("a user Worker runs in its subrequest budget, from the dispatch header", async () => {
    const als = new AsyncLocalStorage<{ remaining: number }>();
    const user = wrap({ fetch: async () => Response.json(als.getStore()) }, als) as Handlers;
    const limited = new Request("http://x/", { headers: { [internal.DISPATCH_HEADER]: JSON.stringify({ l: { subRequests: 2 } }) } });
    expect(await (await user.fetch(limited, {}, {})).json()).toEqual({ remaining: 2 });
    expect(await (await user.fetch(new Request("http://x/"), {}, {})).json()).toEqual({ remaining: null });
  });

  test("other handlers get the cleaned env; a non-object export passes as it is", async () => {
    let got: unknown;
    const w = wrap({ scheduled: (_e: unknown, e: unknown) => (got = e) }) as { scheduled: (a: unknown, e: unknown, c: unknown) => void };
    w.scheduled({}, env, {});
    expect(got).toEqual({ ROLE: "user" });
    class Entry {}
    expect(wrap(Entry)).toBe(Entry);
  });
});

describe("the dispatch binding", () => {
  function host(answer: Response) {
    const requests: Request[] = [];
    return {
      requests,
      HOST: {
        fetch: async (r: RequestInfo | URL) => {
          requests.push(r as Request);
          return answer;
        },
      },
    };
  }

  test("tells the host the Worker, its outbound and declared params and its limits; drops the caller's internal headers", async () => {
    const h = host(new Response("ok"));
    const ns = binding({ HOST: h.HOST, OUTBOUND: 1, PARAMS: ["tenant_id"] });
    const w = ns.get("acme", {}, { outbound: { tenant_id: "acme", other: "x" }, limits: { subRequests: 5 } });
    const r = await w.fetch("http://a/", { headers: { [internal.OUTBOUND_HEADER]: '{"ROLE":"admin"}', keep: "1" } });
    expect(await r.text()).toBe("ok");
    const sent = h.requests[0]!;
    expect(JSON.parse(sent.headers.get(internal.SCRIPT_HEADER)!)).toEqual({
      name: "acme",
      o: 1,
      p: { tenant_id: "acme" },
      l: { subRequests: 5 },
    });
    expect([...sent.headers.keys()].sort()).toEqual(["keep", internal.SCRIPT_HEADER]);
  });

  test("a Worker the host does not have: fetch() rejects", async () => {
    const h = host(new Response(null, { status: 404, headers: { [internal.MISSING_HEADER]: "1" } }));
    await expect(binding({ HOST: h.HOST }).get("nobody").fetch("http://a/")).rejects.toThrow("Worker not found.");
  });
});
