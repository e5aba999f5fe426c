/**
 * R2Bucket: an R2 bucket, bound to Workers by its name (`r2_bucket` bindings).
 *
 * check (name, jurisdiction, location hint, storage class: no API call) → diff (the storage class updates in place;
 * name, jurisdiction and location hint replace) → create (POST; a taken name is adopted only when the bucket is empty)
 * → read (GET; import by `<name>` or `<jurisdiction>/<name>`) → update (PATCH the storage class) → delete (Cloudflare
 * refuses a bucket holding objects; forceDestroy empties it first; gone only by Cloudflare's 10006).
 */
import type * as pulumi from "@pulumi/pulumi";
import { R2_BUCKET_NAME_RE, R2_JURISDICTIONS, R2_LOCATIONS, R2_STORAGE_CLASSES } from "../../../cloudflare/r2";
import type { R2BucketObject } from "../../../cloudflare/wire";
import type { CloudflareApi } from "../../api/client";
import { CloudflareApiError, CODES, operation, type Operation } from "../../api/errors";
import { type BucketRef, createR2Bucket, deleteR2Bucket, deleteR2Object, getR2Bucket, listR2Keys, setR2StorageClass } from "../../api/r2";
import { accountIdProblem } from "../../credentials";
import { didYouMean } from "../../did-you-mean";
import type { ProviderRun } from "../../run";
import { booleanProblem, type CheckFailure, fieldFailures } from "../../validation";
import { declareBucket } from "../storage-preflight";
import { defineProvider, DynamicResource, type KeyedDiff, resourceSpec, unknownPropertyFailures } from "../resource-kit";

/** Arguments of an {@link R2Bucket}. */
export interface R2BucketArgs {
  /** The name, unique in the account and jurisdiction: 3–63 lowercase letters, digits and `-`. A change replaces the bucket. */
  name: pulumi.Input<string>;
  /** Keep the data in a jurisdiction: default, eu or fedramp (default `default`). A change replaces the bucket. */
  jurisdiction?: pulumi.Input<string>;
  /** Where to place the bucket, best effort at creation: apac, eeur, enam, weur, wnam or oc. A change replaces the bucket. */
  locationHint?: pulumi.Input<string>;
  /** The default storage class of new objects: Standard (default) or InfrequentAccess. Updated in place. */
  storageClass?: pulumi.Input<string>;
  /**
   * Allow deleting (or replacing) the bucket while it holds objects, deleting them first. Default false: Cloudflare
   * refuses to delete a bucket that holds objects, and so does this resource.
   */
  forceDestroy?: pulumi.Input<boolean>;
  /** The Cloudflare account id (32 hex characters); defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

export interface R2BucketInputs {
  name: string;
  jurisdiction: string;
  locationHint?: string;
  storageClass: string;
  forceDestroy: boolean;
  accountId?: string;
}

export interface R2BucketOutputs extends R2BucketInputs {
  /** Where Cloudflare placed the bucket. */
  location?: string;
}

export const R2_BUCKET = resourceSpec<R2BucketArgs>()({
  kind: "R2Bucket",
  inputs: ["name", "jurisdiction", "locationHint", "storageClass", "forceDestroy", "accountId"],
  outputs: ["location"],
});

/** The resource id: the name, prefixed by a jurisdiction other than the default. */
export const bucketId = (b: BucketRef) => (b.jurisdiction === "default" ? b.name : `${b.jurisdiction}/${b.name}`);
const op = (b: BucketRef, verb: string): Operation => operation("R2Bucket", bucketId(b), verb);

export function r2BucketNameProblem(value: unknown): string | undefined {
  if (typeof value === "string" && R2_BUCKET_NAME_RE.test(value)) return undefined;
  return `must be 3–63 lowercase letters, digits and "-", starting and ending with a letter or digit (got ${JSON.stringify(value)})`;
}

const oneOf = (allowed: readonly string[]) => (value: unknown) =>
  typeof value === "string" && allowed.includes(value) ? undefined : `must be one of ${allowed.join(", ")}${didYouMean(value, allowed)}`;

/** Validates and normalizes inputs. Pure. */
export function checkR2Bucket(news: Record<string, unknown>): { inputs: R2BucketInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(R2_BUCKET, n);
  failures.push(...fieldFailures(n, "name", r2BucketNameProblem, "the bucket name"));
  failures.push(...fieldFailures(n, "jurisdiction", oneOf(R2_JURISDICTIONS)));
  failures.push(...fieldFailures(n, "locationHint", oneOf(R2_LOCATIONS)));
  failures.push(...fieldFailures(n, "storageClass", oneOf(R2_STORAGE_CLASSES)));
  failures.push(...fieldFailures(n, "forceDestroy", booleanProblem));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  const inputs: R2BucketInputs = {
    name: n.name as string,
    jurisdiction: (n.jurisdiction as string | undefined) ?? "default",
    storageClass: (n.storageClass as string | undefined) ?? "Standard",
    forceDestroy: (n.forceDestroy as boolean | undefined) ?? false,
  };
  if (n.locationHint !== undefined) inputs.locationHint = n.locationHint as string;
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs, failures };
}

/** diff(stored outputs, new inputs). Pure. */
export function diffR2Bucket(olds: Partial<R2BucketOutputs>, news: R2BucketInputs): KeyedDiff {
  const replaces: string[] = [];
  if (olds.name !== news.name) replaces.push("name");
  if ((olds.jurisdiction ?? "default") !== news.jurisdiction) replaces.push("jurisdiction");
  if ((olds.locationHint ?? undefined) !== (news.locationHint ?? undefined)) replaces.push("locationHint");
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");
  const changes = [...replaces];
  if ((olds.storageClass ?? "Standard") !== news.storageClass) changes.push("storageClass");
  if ((olds.forceDestroy ?? false) !== news.forceDestroy) changes.push("forceDestroy");
  // A name is unique per jurisdiction: when it stays, the old bucket goes first (refused while it holds objects).
  const deleteBeforeReplace = replaces.length > 0 && !replaces.includes("name");
  return { changes: changes.length > 0, replaces, deleteBeforeReplace, changedKeys: changes };
}

function toOutputs(b: R2BucketObject, inputs: Partial<R2BucketInputs>): R2BucketOutputs {
  const out: R2BucketOutputs = {
    name: b.name,
    jurisdiction: b.jurisdiction ?? inputs.jurisdiction ?? "default",
    storageClass: b.storage_class ?? inputs.storageClass ?? "Standard",
    forceDestroy: inputs.forceDestroy ?? false,
  };
  if (b.location !== undefined) out.location = b.location;
  if (inputs.locationHint !== undefined) out.locationHint = inputs.locationHint;
  if (inputs.accountId !== undefined) out.accountId = inputs.accountId;
  return out;
}

/**
 * The name is taken (10073): a retried POST, or a run that died before its state was saved. Buckets carry no owner,
 * so one is adopted only when it holds no object.
 */
async function adopt(api: CloudflareApi, inputs: R2BucketInputs, o: Operation): Promise<R2BucketObject> {
  const existing = await getR2Bucket(api, inputs, o);
  const listed = existing ? await listR2Keys(api, inputs, o, 1) : undefined;
  if (existing && listed && listed.keys.length === 0) return existing;
  const why = existing ? "holds objects" : "could not be found";
  throw new Error(
    `${o.resource}: create failed: an R2 bucket named "${inputs.name}" already exists in this account and ${why}. ` +
      `Choose another name, or adopt it with: pulumi import 'pulumi-nodejs:dynamic/wfp:R2Bucket' <resource name> ${bucketId(inputs)}`,
  );
}

/** Deletes every object of the bucket, a page of keys at a time; returns how many. */
async function emptyBucket(api: CloudflareApi, b: BucketRef, o: Operation): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await listR2Keys(api, b, o, 1000);
    if (!page || page.keys.length === 0) return deleted;
    for (const key of page.keys) await deleteR2Object(api, b, key, o);
    deleted += page.keys.length;
  }
}

/** `<name>` or `<jurisdiction>/<name>`. */
function parseId(id: string): BucketRef {
  const slash = id.indexOf("/");
  return slash < 0 ? { name: id, jurisdiction: "default" } : { name: id.slice(slash + 1), jurisdiction: id.slice(0, slash) };
}

export const r2BucketProvider = defineProvider<R2BucketInputs, R2BucketOutputs>({
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    declareBucket(run, news.name, news.jurisdiction);
    return checkR2Bucket(news);
  },

  async diff(_id: string, olds: R2BucketOutputs, news: R2BucketInputs) {
    return diffR2Bucket(olds, news);
  },

  async create(inputs: R2BucketInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs, "create");
    const options: { locationHint?: string; storageClass?: string } = {};
    if (inputs.locationHint) options.locationHint = inputs.locationHint;
    if (inputs.storageClass !== "Standard") options.storageClass = inputs.storageClass;
    let b: R2BucketObject;
    try {
      b = await createR2Bucket(api, inputs, options, o);
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.hasCode(CODES.r2BucketExists)) throw error;
      b = await adopt(api, inputs, o);
      if ((b.storage_class ?? "Standard") !== inputs.storageClass) b = await setR2StorageClass(api, inputs, inputs.storageClass, o);
    }
    return { id: bucketId(inputs), outs: toOutputs(b, inputs) };
  },

  /** Refresh and import (id: `<name>` or `<jurisdiction>/<name>`): one GET. `{}` when Cloudflare says it is gone. */
  async read(id: string, stored: Partial<R2BucketOutputs>, run: ProviderRun) {
    const importing = stored.name === undefined;
    const ref = importing ? parseId(id) : { name: stored.name!, jurisdiction: stored.jurisdiction ?? "default" };
    const b = await getR2Bucket(run.connect(stored.accountId), ref, op(ref, importing ? "import" : "read"));
    if (!b) return {};
    const outs = toOutputs(b, { ...ref, ...stored });
    if (!importing) return { id: bucketId(ref), props: outs };
    const inputs: Record<string, string> = { name: outs.name };
    if (outs.jurisdiction !== "default") inputs.jurisdiction = outs.jurisdiction;
    if (outs.storageClass !== "Standard") inputs.storageClass = outs.storageClass;
    return { id: bucketId(ref), props: outs, inputs };
  },

  async update(_id: string, olds: R2BucketOutputs, news: R2BucketInputs, run: ProviderRun) {
    if ((olds.storageClass ?? "Standard") === news.storageClass) return { outs: { ...olds, forceDestroy: news.forceDestroy } };
    const b = await setR2StorageClass(run.connect(news.accountId), news, news.storageClass, op(news, "update"));
    return { outs: toOutputs(b, news) };
  },

  /** Cloudflare refuses a bucket that holds objects; forceDestroy deletes them first. */
  async delete(_id: string, props: R2BucketOutputs, run: ProviderRun) {
    const api = run.connect(props.accountId);
    const ref = { name: props.name, jurisdiction: props.jurisdiction ?? "default" };
    const o = op(ref, "delete");
    if (props.forceDestroy) {
      const n = await emptyBucket(api, ref, o);
      if (n > 0) api.log.info(`${o.resource}: deleted its ${n} object(s) (forceDestroy)`);
    }
    try {
      await deleteR2Bucket(api, ref, o);
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.hasCode(CODES.r2BucketNotEmpty)) throw error;
      throw new Error(
        `${o.resource}: delete refused: the bucket holds objects, which deleting it would destroy (Cloudflare: ${error.summary()}). ` +
          "To delete it on purpose, set forceDestroy: true on the R2Bucket and run pulumi up, then delete it (pulumi destroy, " +
          "or remove it from the program): its objects are deleted first. To keep it, remove it from this stack's state only: " +
          "pulumi state delete <urn>.",
      );
    }
  },
});

/**
 * An R2 bucket. Bind it to a Worker with `{ type: "r2_bucket", name: "FILES", bucketName: bucket.name }` (or
 * {@link r2Binding}; add `jurisdiction` for a bucket outside the default one).
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:R2Bucket <name> <bucket name>` (`<jurisdiction>/<bucket name>`
 * outside the default jurisdiction).
 */
export class R2Bucket extends DynamicResource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly jurisdiction: pulumi.Output<string>;
  declare public readonly storageClass: pulumi.Output<string>;
  /** Where Cloudflare placed the bucket. */
  declare public readonly location: pulumi.Output<string | undefined>;
  declare public readonly accountId: pulumi.Output<string | undefined>;

  constructor(name: string, args: R2BucketArgs, opts?: pulumi.CustomResourceOptions) {
    super(R2_BUCKET, name, args, opts);
  }
}

/** An `r2_bucket` binding of a UserScript, Worker or Tenant to a bucket (of the default jurisdiction) the program manages. */
export function r2Binding(name: string, bucket: R2Bucket): { type: "r2_bucket"; name: string; bucketName: pulumi.Output<string> } {
  return { type: "r2_bucket", name, bucketName: bucket.name };
}
