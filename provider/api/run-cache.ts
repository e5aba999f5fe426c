/**
 * GET answers shared by the resources of one engine run. A `pulumi refresh` reads every resource; a tenant's
 * script, its secrets and its assets would each GET what the others already fetched (the script's settings list
 * its secret bindings by name; every StaticAssets reads the same namespace). With the run cache, each distinct
 * GET is made once per run, whatever order the engine calls `read` in.
 *
 * An engine run's ProviderRun holds one (run.ts); a run without one (tests, library use) caches nothing. Any
 * write clears the cache: a read after a write always sees the write.
 *
 * Apart from that, a run keeps what it first saw of a namespace's scripts ({@link RunCache.atRunStart}), which
 * writes do not clear: a create asks it whether a name was taken before the run began, so a thousand creates cost
 * one list.
 */
export class RunCache {
  private readonly entries = new Map<string, Promise<unknown>>();
  private readonly firstSeen = new Map<string, Promise<unknown>>();

  /** The answer for `key` shared within the run until the run writes. A failed load is not kept. */
  shared<T>(key: string, load: () => Promise<T>): Promise<T> {
    return remembered(this.entries, key, load);
  }

  /**
   * The answer for `key` as first loaded in this run, kept across writes. For questions about the world before the
   * run, never about what the run itself wrote. A failed load is not kept.
   */
  atRunStart<T>(key: string, load: () => Promise<T>): Promise<T> {
    return remembered(this.firstSeen, key, load);
  }

  /** Forgets every shared answer (after a write); what the run first saw stays. */
  invalidate(): void {
    this.entries.clear();
  }
}

/** `load()`'s answer kept in `cache` under `key`. A failed load is not kept. */
function remembered<T>(cache: Map<string, Promise<unknown>>, key: string, load: () => Promise<T>): Promise<T> {
  let answer = cache.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = load();
    cache.set(key, answer);
    answer.catch(() => cache.delete(key));
  }
  return answer;
}
