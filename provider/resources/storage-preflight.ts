/**
 * The D1 databases and R2 buckets a script's bindings name, looked up at check (so at preview), read-only: a typo
 * fails the preview on that binding, before an `up` uploads a Worker Cloudflare would refuse (10181, 10085).
 *
 * Only a binding that changed is looked up: a no-op run makes no call. A bucket checked in the same run (the program
 * declares it, maybe to create it now) is taken as there; a database the program creates has no id before it is
 * created, so a preview does not look it up. One GET per database or bucket, shared within the run.
 */
import { getD1Database } from "../api/d1";
import type { Operation } from "../api/errors";
import { getR2Bucket } from "../api/r2";
import type { ProviderRun } from "../run";
import { type CheckFailure, isPlainObject, isUnknown } from "../validation";

const bucketKey = (jurisdiction: string, name: string) => `R2Bucket:${jurisdiction}/${name}`;

/** Records that the program declares the bucket in this run. */
export function declareBucket(run: ProviderRun, name: unknown, jurisdiction: unknown): void {
  if (typeof name === "string" && !isUnknown(name))
    run.declared.add(bucketKey(typeof jurisdiction === "string" ? jurisdiction : "default", name));
}

/** A binding's bucket jurisdiction as a bucket's: `fedramp-high` is a binding's name for the `fedramp` bucket. */
const bucketJurisdiction = (j: unknown) => (j === undefined ? "default" : j === "fedramp-high" ? "fedramp" : String(j));

type Target = { property: string; kind: "d1" | "r2"; id: string; jurisdiction: string };

/** The storage a list of bindings names, by a key that tells a changed target from a kept one. */
function targets(bindings: unknown): Array<Target & { key: string }> {
  if (!Array.isArray(bindings)) return [];
  const out: Array<Target & { key: string }> = [];
  bindings.forEach((b, i) => {
    if (!isPlainObject(b)) return;
    if (b.type === "d1" && typeof b.databaseId === "string" && !isUnknown(b.databaseId))
      out.push({ property: `bindings[${i}].databaseId`, kind: "d1", id: b.databaseId, jurisdiction: "", key: `d1:${b.databaseId}` });
    if (b.type === "r2_bucket" && typeof b.bucketName === "string" && !isUnknown(b.bucketName) && !isUnknown(b.jurisdiction)) {
      const j = bucketJurisdiction(b.jurisdiction);
      out.push({ property: `bindings[${i}].bucketName`, kind: "r2", id: b.bucketName, jurisdiction: j, key: bucketKey(j, b.bucketName) });
    }
  });
  return out;
}

/**
 * The failures of the lookups of the databases and buckets `inputs.bindings` names. None when the static checks
 * already failed, when the account is not known yet, or for a target the stack last deployed (`olds`) or the program
 * declares.
 */
export async function storageBindingFailures(
  run: ProviderRun,
  olds: Record<string, unknown>,
  inputs: object,
  checked: CheckFailure[],
  o: Operation,
): Promise<CheckFailure[]> {
  const { bindings, accountId } = inputs as Record<string, unknown>;
  if (checked.length > 0 || isUnknown(accountId)) return [];
  const kept = new Set(olds.accountId === accountId ? targets(olds.bindings).map((t) => t.key) : []);
  const fresh = targets(bindings).filter((t) => !kept.has(t.key) && !run.declared.has(t.key));
  if (fresh.length === 0) return [];
  const api = run.connect(accountId as string | undefined);
  const found = await Promise.all(
    fresh.map(async (t): Promise<CheckFailure | undefined> => {
      if (t.kind === "d1") {
        if (await getD1Database(api, t.id, o)) return undefined;
        return {
          property: t.property,
          reason: `names no D1 database of the account ("${t.id}"): give a database's id (a D1Database's databaseId)`,
        };
      }
      if (await getR2Bucket(api, { name: t.id, jurisdiction: t.jurisdiction }, o)) return undefined;
      const where = t.jurisdiction === "default" ? "" : ` in jurisdiction ${t.jurisdiction}`;
      return {
        property: t.property,
        reason: `names no R2 bucket of the account ("${t.id}"${where}). Create it first, or, when this program creates it, pass that R2Bucket's name output (bucket.name)`,
      };
    }),
  );
  return found.filter((f): f is CheckFailure => f !== undefined);
}
