/**
 * @module
 * A user Worker's subrequest count (custom limits), evaluated before the deployed modules (the entry imports it
 * first). It routes nothing: the Worker's outbound is set by its host at workerd's level. The count lives in the
 * Worker's own isolate, so it is fidelity, not a boundary; its AsyncLocalStorage is handed out once, to the entry.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface Budget {
  remaining: number;
}

const store = new AsyncLocalStorage<Budget>();
let handed = false;
const realFetch = globalThis.fetch;

globalThis.fetch = function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const c = store.getStore();
  if (c) {
    if (c.remaining <= 0) return Promise.reject(new Error("Too many subrequests."));
    c.remaining--;
  }
  return realFetch(input, init);
};

export function take(): AsyncLocalStorage<Budget> {
  if (handed) throw new Error("wfp-emulator: the runtime's module was imported by the Worker");
  handed = true;
  return store;
}
