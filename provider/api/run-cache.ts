/**
 * GET answers shared by the resources of one engine run. A `pulumi refresh` reads every resource; a tenant's
 * script, its secrets and its assets would each GET what the others already fetched (the script's settings list
 * its secret bindings by name; every StaticAssets reads the same namespace). With the run cache, each distinct
 * GET is made once per run, whatever order the engine calls `read` in.
 *
 * A run is the life of a provider process after Pulumi's `configure` (dynamic.ts begins it); outside a run
 * (tests calling provider methods, library use) nothing is cached. Any write clears the cache: a read after a
 * write always sees the write.
 *
 * Apart from that, a run keeps what it first saw of a namespace's scripts ({@link atRunStart}), which writes do not
 * clear: a create asks it whether a name was taken before the run began, so a thousand creates cost one list.
 */

let entries: Map<string, Promise<unknown>> | undefined;
let firstSeen: Map<string, Promise<unknown>> | undefined;
let declared: Set<string> | undefined;

/** Starts caching (one engine run). The engine may configure a provider process more than once: the run goes on. */
export function beginRun(): void {
  entries ??= new Map();
  firstSeen ??= new Map();
  declared ??= new Set();
}

/** True within an engine run, where GETs are shared. */
export function inRun(): boolean {
  return entries !== undefined;
}

/** Stops caching and forgets everything. */
export function endRun(): void {
  entries = undefined;
  firstSeen = undefined;
  declared = undefined;
}

/** `load()`'s answer kept in `cache` under `key`, or `load()` each time without a cache. A failed load is not kept. */
function remembered<T>(cache: Map<string, Promise<unknown>> | undefined, key: string, load: () => Promise<T>): Promise<T> {
  if (!cache) return load();
  let answer = cache.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = load();
    cache.set(key, answer);
    answer.catch(() => cache.delete(key));
  }
  return answer;
}

/** The answer for `key` shared within the run (until the run writes), or `load()` each time outside one. */
export function shared<T>(key: string, load: () => Promise<T>): Promise<T> {
  return remembered(entries, key, load);
}

/**
 * The answer for `key` as first loaded in this run, kept across writes; `load()` each time outside a run. For
 * questions about the world before the run, never about what the run itself wrote. A failed load is not kept.
 */
export function atRunStart<T>(key: string, load: () => Promise<T>): Promise<T> {
  return remembered(firstSeen, key, load);
}

/** Forgets every cached answer (after a write); what the run first saw stays. */
export function invalidate(): void {
  entries?.clear();
}

/**
 * Records that a resource checked in this run is the thing `key` names (a Worker, a dispatch namespace), so that
 * what refers to it is not looked up at check while it may still be to be created. Outside a run, nothing is kept.
 */
export function declareInRun(key: string): void {
  declared?.add(key);
}

/** Whether a resource checked in this run declared `key`. */
export function declaredInRun(key: string): boolean {
  return declared?.has(key) ?? false;
}
