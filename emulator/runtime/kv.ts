/**
 * @module
 * The Node side of the Workers' KV bindings (workers/kv.mts): each operation on the emulator's store, so the API
 * and the Workers share one copy of every namespace, persisted with the rest of the state; after an API write, the
 * KV Worker drops its cached reads of the namespace. An upload may bind only
 * the account's namespaces (10041 otherwise, routes/binding-targets.ts); one deleted since reads nothing, and its
 * first write creates it again, titled by its id.
 */
import type { Miniflare } from "miniflare";
import { ApiError } from "../model/errors";
import {
  expiryOf,
  listKeys,
  MAX_KV_LIST_LIMIT,
  newKvNamespace,
  readEntry,
  validateKey,
  validateMetadata,
  validateValue,
  writeEntry,
} from "../model/kv";
import type { KvNamespace, Store } from "../model/store";
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

function locate(store: Store, key: string, create: boolean): KvNamespace | undefined {
  const colon = key.indexOf(":");
  const [account, id] = [key.slice(0, colon), key.slice(colon + 1)];
  const existing = store.state.accounts[account]?.kv?.[id];
  if (existing || !create) return existing;
  const ns = newKvNamespace(id, id, timestamp());
  store.kvNamespaces(account)[id] = ns;
  return ns;
}

const text = (status: number, body: string) => new Response(body, { status });

/** The request handler of `STORE`: `POST http://kv/<get|put|delete|list>?ns=…&key=…`. */
export function kvService(store: Store, now: () => number): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const op = url.pathname.slice(1);
    const q = (name: string) => url.searchParams.get(name) ?? undefined;
    const nsKey = q("ns") ?? "";
    const seconds = Math.floor(now() / 1000);
    try {
      if (op === "list") {
        const ns = locate(store, nsKey, false);
        const limit = q("limit") === undefined ? MAX_KV_LIST_LIMIT : Number(q("limit"));
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KV_LIST_LIMIT)
          return text(400, `Invalid key_count_limit of ${q("limit")}. Please specify an integer between 1 and ${MAX_KV_LIST_LIMIT}.`);
        const page = ns ? listKeys(ns, q("prefix") ?? "", limit, q("cursor"), seconds) : { keys: [], cursor: "" };
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
        const ns = locate(store, nsKey, false);
        const e = ns ? readEntry(ns, key, seconds) : undefined;
        if (!e) return text(404, "not found");
        const headers: Record<string, string> = {};
        if (e.metadata !== undefined) headers["x-kv-metadata"] = JSON.stringify(e.metadata);
        if (e.expiration !== undefined) headers["x-kv-expiration"] = String(e.expiration);
        return new Response(new Uint8Array(Buffer.from(e.value, "base64")), { headers });
      }
      if (op === "delete") {
        const ns = locate(store, nsKey, false);
        if (ns?.entries[key]) {
          delete ns.entries[key];
          store.touch();
          await store.flush();
        }
        return text(200, "");
      }
      if (op === "put") {
        const value = validateValue(Buffer.from(await request.arrayBuffer()));
        const raw = q("metadata");
        const metadata = validateMetadata(raw === undefined ? undefined : JSON.parse(raw));
        const expiration = expiryOf(q("expiration"), q("expiration_ttl"), seconds);
        writeEntry(locate(store, nsKey, true)!, key, value, metadata, expiration);
        store.touch();
        await store.flush();
        return text(200, "");
      }
      return text(404, `unknown KV operation ${op}`);
    } catch (error) {
      if (error instanceof ApiError) return text(error.status, error.message);
      return text(500, (error as Error).message);
    }
  };
}
