/**
 * Sharding a platform over several stacks, for when one stack grows past what one engine run handles well. Each
 * tenant belongs to one shard by a stable hash of its id, so shards never overlap and adding a tenant changes one
 * shard's set only. `platform:shard` says what a stack holds:
 * - unset: everything (the namespace, the platform's Workers, every tenant);
 * - `core`: the namespace, the outbound Worker and the dispatch Worker (its routing table lists every tenant);
 * - `i/N` (1 ≤ i ≤ N): the tenants of shard i, in the namespace that the core stack owns.
 */
import { createHash } from "node:crypto";

export type ShardSpec = { kind: "all" } | { kind: "core" } | { kind: "tenants"; index: number; count: number };

export function parseShard(value: string | undefined): ShardSpec {
  if (value === undefined || value === "") return { kind: "all" };
  if (value === "core") return { kind: "core" };
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new Error(`platform:shard must be "core" or "i/N" with 1 ≤ i ≤ N (e.g. "3/8"), not ${JSON.stringify(value)}`);
  }
  return { kind: "tenants", index, count };
}

/** The shard (1..count) a tenant id belongs to: the first 32 bits of its sha256, modulo the count. */
export function shardOf(tenantId: string, count: number): number {
  return (createHash("sha256").update(tenantId).digest().readUInt32BE(0) % count) + 1;
}

/** What a stack with this spec deploys. */
export function stackHolds(spec: ShardSpec): { core: boolean; tenant: (id: string) => boolean } {
  if (spec.kind === "all") return { core: true, tenant: () => true };
  if (spec.kind === "core") return { core: true, tenant: () => false };
  return { core: false, tenant: (id) => shardOf(id, spec.count) === spec.index };
}
