/**
 * How Cloudflare's bulk endpoints take work: in batches bounded both in count and in bytes (KV's bulk writes and
 * deletes; the buckets an assets upload session hands out). In order, each batch as full as both bounds allow; an
 * item over the byte bound alone still gets a batch of its own.
 */
export function batches<T>(items: readonly T[], bounds: { maxItems: number; maxBytes: number }, size: (item: T) => number): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (batch.length > 0 && (batch.length >= bounds.maxItems || bytes + n > bounds.maxBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += n;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
