/**
 * @module
 * The Node side of the Workers' KV bindings (workers/kv.mts): each operation on the emulator's store, so the API
 * and the Workers share one copy of every namespace (its entries in the KV database); after an API write, the
 * KV Worker drops its cached reads of the namespace. An upload may bind only
 * the account's namespaces (10041 otherwise, routes/binding-targets.ts); one deleted since reads nothing, and its
 * first write creates it again, titled by its id.
 */
import type { Miniflare } from "miniflare";
import { ApiError } from "../model/errors";
import { expiryOf, listKeys, MAX_KV_LIST_LIMIT, newKvNamespace, validateKey, validateMetadata, validateValue } from "../model/kv";
import type { KvNamespaceRef } from "../model/kv-data";
import type { Store } from "../model/store";
import { timestamp } from "../model/store";

/** Miniflare's service binding name of the KV Worker, and the entrypoint every KV binding names. */
export const KV_WORKER = "wfp:kv";
export const KV_ENTRYPOINT = "WfpKvStore";

/** A `kv_namespace` binding as a service binding designator, for `${account}:${namespace id}`. */
export function kvBindingTarget(key: string): { name: string; entrypoint: string; props: { key: string } } {
  return { name: KV_WORKER, entrypoint: KV_ENTRYPOINT, props: { key } };
}

/** An API write to a KV namespace: the KV Worker drops its cached reads of it (a workerd restarting has none). */
export async function invalidateKvReads(mf: Miniflare, key: string): Promise<void> {
  try {
    const worker = (await mf.getWorker(KV_WORKER)) as unknown as { fetch(url: string, init: { method: string }): Promise<unknown> };
    await worker.fetch(`http://kv/invalidate?ns=${encodeURIComponent(key)}`, { method: "POST" });
  } catch {
    // workerd is restarting or stopped: it starts with an empty cache.
  }
}

/** The namespace of `<account>:<namespace id>`, or undefined when the account has no such namespace. */
function locate(store: Store, key: string): KvNamespaceRef | undefined {
  const colon = key.indexOf(":");
  const ref = { account: key.slice(0, colon), id: key.slice(colon + 1) };
  return store.kvNamespace(ref) ? ref : undefined;
}

/** The namespace a write goes to, created again (titled by its id, persisted first) when it was deleted. */
async function locateForWrite(store: Store, key: string): Promise<KvNamespaceRef> {
  const found = locate(store, key);
  if (found) return found;
  const colon = key.indexOf(":");
  const ref = { account: key.slice(0, colon), id: key.slice(colon + 1) };
  store.kvNamespaces(ref.account)[ref.id] = newKvNamespace(ref.id, ref.id, timestamp());
  store.touch();
  await store.flush();
  return ref;
}

const text = (status: number, body: string) => new Response(body, { status });

/**
 * The request handler of `STORE`: `POST http://kv/<get|put|delete|list>?ns=…&key=…`. `changed` hears of each
 * write, and the write is answered once it is done: the other process's KV Worker has dropped its cached reads (the
 * writer's drops its own), so a Worker the writer then calls reads the new value.
 */
export function kvService(
  store: Store,
  now: () => number,
  changed: (key: string) => Promise<void> = async () => undefined,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const op = url.pathname.slice(1);
    const q = (name: string) => url.searchParams.get(name) ?? undefined;
    const nsKey = q("ns") ?? "";
    const seconds = Math.floor(now() / 1000);
    try {
      if (op === "list") {
        const ns = locate(store, nsKey);
        const limit = q("limit") === undefined ? MAX_KV_LIST_LIMIT : Number(q("limit"));
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KV_LIST_LIMIT)
          return text(400, `Invalid key_count_limit of ${q("limit")}. Please specify an integer between 1 and ${MAX_KV_LIST_LIMIT}.`);
        const page = ns ? listKeys(store.kv, ns, q("prefix") ?? "", limit, q("cursor"), seconds) : { keys: [], cursor: "" };
        const body = {
          keys: page.keys,
          list_complete: page.cursor === "",
          cacheStatus: null,
          ...(page.cursor ? { cursor: page.cursor } : {}),
        };
        return Response.json(body);
      }
      const key = validateKey(q("key") ?? "");
      if (op === "get") {
        const ns = locate(store, nsKey);
        const e = ns ? store.kv.get(ns, key, seconds) : undefined;
        if (!e) return text(404, "not found");
        const headers: Record<string, string> = {};
        if (e.metadata !== undefined) headers["x-kv-metadata"] = JSON.stringify(e.metadata);
        if (e.expiration !== undefined) headers["x-kv-expiration"] = String(e.expiration);
        return new Response(new Uint8Array(e.value), { headers });
      }
      if (op === "delete") {
        const ns = locate(store, nsKey);
        if (ns) {
          await store.kv.delete(ns, [key]);
          await changed(nsKey);
        }
        return text(200, "");
      }
      if (op === "put") {
        const value = validateValue(Buffer.from(await request.arrayBuffer()));
        const raw = q("metadata");
        const metadata = validateMetadata(raw === undefined ? undefined : JSON.parse(raw));
        const expiration = expiryOf(q("expiration"), q("expiration_ttl"), seconds);
        await store.kv.put(await locateForWrite(store, nsKey), [{ key, value, metadata, expiration }]);
        await changed(nsKey);
        return text(200, "");
      }
      return text(404, `unknown KV operation ${op}`);
    } catch (error) {
      if (error instanceof ApiError) return text(error.status, error.message);
      return text(500, (error as Error).message);
    }
  };
}
