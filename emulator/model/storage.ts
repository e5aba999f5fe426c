/**
 * @module
 * D1 databases and R2 buckets in the store: validation of what a create sends, the objects the API answers, and the
 * key under which a bucket's objects are kept (the storage host, runtime/storage.ts, keeps D1 data by uuid).
 */
import { D1_JURISDICTIONS, D1_LOCATIONS, D1_NAME_RE } from "../../cloudflare/d1";
import { R2_BUCKET_NAME_RE, R2_JURISDICTIONS, R2_LOCATIONS, R2_STORAGE_CLASSES, type R2Jurisdiction } from "../../cloudflare/r2";
import type { D1DatabaseObject, R2BucketObject } from "../../cloudflare/wire";
import { ApiError, Codes, invalidRequest } from "./errors";
import type { Binding, D1Database, R2Bucket } from "./state";

const oneOf = (name: string, value: unknown, allowed: readonly string[]): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !allowed.includes(value)) throw invalidRequest(`${name} must be one of ${allowed.join(", ")}`);
  return value;
};

export function validateD1Name(name: unknown): string {
  if (typeof name !== "string" || !D1_NAME_RE.test(name))
    throw invalidRequest("name must start with a letter or digit and hold only letters, digits, '_' and '-'");
  return name;
}

export function newD1Database(uuid: string, createdAt: string, body: Record<string, unknown>): D1Database {
  const name = validateD1Name(body.name);
  const jurisdiction = oneOf("jurisdiction", body.jurisdiction, D1_JURISDICTIONS) ?? null;
  const hint = oneOf("primary_location_hint", body.primary_location_hint, D1_LOCATIONS);
  const mode = oneOf("read_replication.mode", (body.read_replication as { mode?: unknown } | undefined)?.mode, ["auto", "disabled"]);
  const db: D1Database = { uuid, name, created_at: createdAt, jurisdiction, read_replication: { mode: mode ?? "disabled" } };
  // A jurisdiction overrides the hint, as documented.
  if (hint !== undefined && jurisdiction === null) db.primary_location_hint = hint;
  return db;
}

/** The list item (no size or table count) or, with them, the full object. */
export function d1Object(db: D1Database, size?: { file_size: number; num_tables: number }): D1DatabaseObject {
  const out: D1DatabaseObject = {
    uuid: db.uuid,
    name: db.name,
    created_at: db.created_at,
    version: "production",
    jurisdiction: db.jurisdiction,
  };
  if (size) Object.assign(out, size, { read_replication: db.read_replication });
  return out;
}

export function jurisdictionOf(header: string | undefined): R2Jurisdiction {
  if (header === undefined || header === "") return "default";
  if (!(R2_JURISDICTIONS as readonly string[]).includes(header))
    throw invalidRequest(`cf-r2-jurisdiction must be one of ${R2_JURISDICTIONS.join(", ")}`);
  return header as R2Jurisdiction;
}

/** The key of a bucket in the account's map: buckets of different jurisdictions may share a name. */
export const r2BucketId = (jurisdiction: string, name: string): string => `${jurisdiction}/${name}`;
/** Where the storage host keeps a bucket's objects: per account, so two accounts' same-named buckets stay apart. */
export const r2StorageKey = (account: string, b: Pick<R2Bucket, "jurisdiction" | "name">): string =>
  `${account}/${b.jurisdiction}/${b.name}`;

export function newR2Bucket(
  jurisdiction: R2Jurisdiction,
  createdAt: string,
  body: Record<string, unknown>,
  storageClassHeader?: string,
): R2Bucket {
  const name = body.name;
  if (typeof name !== "string" || !R2_BUCKET_NAME_RE.test(name))
    throw new ApiError(
      400,
      Codes.R2_INVALID_BUCKET_NAME,
      "The specified bucket name is not valid. Bucket names must be 3-63 characters of lowercase letters, digits and '-', starting and ending with a letter or digit.",
    );
  const location = oneOf("locationHint", body.locationHint, R2_LOCATIONS) ?? "enam";
  const storageClass = oneOf("storageClass", body.storageClass ?? storageClassHeader, R2_STORAGE_CLASSES) ?? "Standard";
  return { name, jurisdiction, creation_date: createdAt, location, storage_class: storageClass };
}

export function r2Object(b: R2Bucket): R2BucketObject {
  return {
    name: b.name,
    creation_date: b.creation_date,
    location: b.location,
    jurisdiction: b.jurisdiction,
    storage_class: b.storage_class,
  };
}

/** A `d1` binding's database: `id` (docs, wrangler) or `database_id` (the SDK's name for it); both are accepted. */
export function d1BindingId(b: Binding): string | undefined {
  const id = b.id ?? b.database_id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** An `r2_bucket` binding's bucket jurisdiction ([I] `fedramp-high` is the `fedramp` bucket). */
export function r2BindingJurisdiction(b: Binding): string {
  const j = b.jurisdiction;
  if (j === "eu") return "eu";
  if (j === "fedramp" || j === "fedramp-high") return "fedramp";
  return "default";
}
