/** Suggestions for near misses in check failures: the allowed value a typo was probably meant as. */

/** Edits between two strings (insertions, deletions, substitutions, swaps of neighbours), for "did you mean". */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The allowed value a near miss was probably meant as: same letters in another case, a prefix of one
 * ("kv" for kv_namespace, "404" for 404-page), or within a third of its length in edits.
 */
export function nearestAllowed(value: unknown, allowed: readonly string[]): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const v = value.toLowerCase();
  const fold = (s: string) => s.toLowerCase().replace(/[-_ ]/g, "");
  const exactish = allowed.find((a) => fold(a) === fold(v));
  if (exactish) return exactish;
  const prefixed = allowed.filter((a) => a.toLowerCase().startsWith(v));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(v.length / 3));
  for (const a of allowed) {
    const d = editDistance(v, a.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = a;
      bestDistance = d;
    }
  }
  return best;
}

/** "; did you mean X?" for a near miss, else "". */
export function didYouMean(value: unknown, allowed: readonly string[]): string {
  const near = nearestAllowed(value, allowed);
  return near === undefined ? "" : `; did you mean ${near}?`;
}
