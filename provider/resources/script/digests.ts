/**
 * A script's description as a Tenant's state keeps it: one short digest per field the diff compares, instead of
 * the field itself. A dynamic provider diffs against stored outputs, so without this every tenant stored its
 * description twice (inputs and outputs), and the file backend rewrites the whole checkpoint after each step.
 * Each digest is of the field normalized as the diff normalizes it, so equal digests mean what deepEqual of the
 * normalized values meant; bindings keep one digest per binding, in their order, so a diff still names
 * `bindings[i]`. A field at its default has no digest. Pure.
 */
import { createHash } from "node:crypto";
import { stableStringify } from "../../deep-equal";
import { isPlainObject } from "../../validation";

/** Characters of base64url kept from the SHA-256: 72 bits, so two different values never meet in practice. */
const DIGEST_CHARS = 12;

/** The short digest of a value: SHA-256 of its sorted-key JSON, base64url, truncated. */
export function digestOf(value: unknown): string {
  return createHash("sha256")
    .update(stableStringify(value) ?? "undefined")
    .digest("base64url")
    .slice(0, DIGEST_CHARS);
}

/** Field → digest; `bindings` is one `NAME=digest` per binding, in the script's order. */
export interface FieldDigests {
  bindings?: string[];
  [field: string]: string | string[] | undefined;
}

/** How the diff normalizes a field before comparing it (and so before digesting it). */
export type Normalizer = (value: unknown) => unknown;

/** One binding as its digest entry. */
export const bindingDigest = (binding: unknown): string => `${(binding as { name?: unknown })?.name}=${digestOf(binding)}`;

/** The digests of `source`'s fields: `[field, normalize, default]` each; a field at its default has none. */
export function fieldDigests(source: Record<string, unknown>, fields: ReadonlyArray<readonly [string, Normalizer, unknown]>): FieldDigests {
  const digests: FieldDigests = {};
  for (const [key, normalize, fallback] of fields) {
    if (key === "bindings") {
      const list = Array.isArray(source.bindings) ? source.bindings : [];
      if (list.length > 0) digests.bindings = list.map(bindingDigest);
      continue;
    }
    const digest = digestOf(normalize(source[key] ?? fallback));
    if (digest !== digestOf(normalize(fallback))) digests[key] = digest;
  }
  return digests;
}

/** The digests of a stored state in the compact shape; undefined for the full shape of earlier versions. */
export function storedDigests(olds: Record<string, unknown>): FieldDigests | undefined {
  return isPlainObject(olds.digests) ? (olds.digests as FieldDigests) : undefined;
}

/** A field's stored digest: a missing one means the field's default. */
export function storedDigest(digests: FieldDigests, key: string, normalize: Normalizer, fallback: unknown): string {
  const d = digests[key];
  return typeof d === "string" ? d : digestOf(normalize(fallback));
}

/** Stored binding digests as items the named-item diff can compare: `{ name, digest }`. */
export function bindingItems(entries: readonly string[] | undefined): Array<{ name: string; digest: string }> {
  return (entries ?? []).map((entry) => {
    const at = entry.lastIndexOf("=");
    return { name: entry.slice(0, at), digest: entry.slice(at + 1) };
  });
}

/** A program's bindings as the same items. */
export const bindingItemsOf = (bindings: readonly unknown[]): Array<{ name: string; digest: string }> =>
  bindingItems(bindings.map(bindingDigest));
