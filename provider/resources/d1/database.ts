/**
 * D1Database: a D1 database, bound to Workers by its id (`d1` bindings), with optional migrations.
 *
 * check (name, the migrations directory read and hashed: no API call) → diff (a new migration file is an update; an
 * applied one edited is refused; name, jurisdiction and location hint replace) → create (POST; then one query
 * applying every migration; a taken name is adopted only when the database holds no data) → read (GET by id; import
 * by id) → update (reads `d1_migrations`, applies what it lacks in one query) → delete (refused while a table holds
 * rows, unless forceDestroy; gone only by Cloudflare's 7404).
 */
import path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { D1_JURISDICTIONS, D1_LOCATIONS, D1_NAME_RE } from "../../../cloudflare/d1";
import type { D1DatabaseObject } from "../../../cloudflare/wire";
import type { CloudflareApi } from "../../api/client";
import { createD1Database, deleteD1Database, findD1Database, getD1Database, queryD1, rowsOf } from "../../api/d1";
import { CloudflareApiError, CODES, isGone, operation, type Operation } from "../../api/errors";
import { accountIdProblem } from "../../credentials";
import { didYouMean } from "../../did-you-mean";
import type { ProviderRun } from "../../run";
import { booleanProblem, type CheckFailure, fieldFailures, isUnknown } from "../../validation";
import { defineProvider, DynamicResource, type KeyedDiff, resourceSpec, unknownPropertyFailures } from "../resource-kit";
import { normalizeDirectory } from "../static-assets";
import {
  CREATE_MIGRATIONS_TABLE,
  MIGRATIONS_TABLE,
  type MigrationFile,
  migrationBatch,
  migrationsProblem,
  pendingMigrations,
  readMigrations,
} from "./migrations";

/** Arguments of a {@link D1Database}. */
export interface D1DatabaseArgs {
  /** The name, unique in the account: a letter or digit, then letters, digits, `_` and `-`. A change replaces the database. */
  name: pulumi.Input<string>;
  /**
   * A directory of migrations, absolute or relative to the Pulumi project: `<number>_<description>.sql` files
   * (wrangler's `0000_create_users.sql`), applied once each in order and recorded in the database's `d1_migrations`
   * table as wrangler records them. A new file is applied by the next update; an applied one must not be edited.
   */
  migrationsDir?: pulumi.Input<string>;
  /** Where the primary should be placed, if available: wnam, enam, weur, eeur, apac or oc. A change replaces the database. */
  primaryLocationHint?: pulumi.Input<string>;
  /** Keep the data in a jurisdiction: eu, fedramp or us. A change replaces the database. */
  jurisdiction?: pulumi.Input<string>;
  /**
   * Allow deleting (or replacing) the database while a table holds rows. Default false: such a delete fails, naming
   * the tables, so no data is lost by accident.
   */
  forceDestroy?: pulumi.Input<boolean>;
  /** The Cloudflare account id (32 hex characters); defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

export interface D1DatabaseInputs {
  name: string;
  migrationsDir?: string;
  /** The migration files check found, in order (computed). */
  migrations: MigrationFile[];
  primaryLocationHint?: string;
  jurisdiction?: string;
  forceDestroy: boolean;
  accountId?: string;
}

export interface D1DatabaseOutputs {
  name: string;
  /** The database's uuid; also the resource id, and what `d1` bindings take. */
  databaseId: string;
  migrationsDir?: string;
  /** The migrations applied through this resource: file name → SHA-256 of its contents ("" when applied elsewhere). */
  appliedMigrations: Record<string, string>;
  primaryLocationHint?: string;
  jurisdiction?: string;
  forceDestroy: boolean;
  accountId?: string;
}

export const D1_DATABASE = resourceSpec<D1DatabaseArgs>()({
  kind: "D1Database",
  inputs: ["name", "migrationsDir", "primaryLocationHint", "jurisdiction", "forceDestroy", "accountId"],
  outputs: ["databaseId", "migrations", "appliedMigrations"],
});

const op = (name: string, verb: string): Operation => operation("D1Database", name, verb);

export function d1NameProblem(value: unknown): string | undefined {
  if (typeof value === "string" && D1_NAME_RE.test(value)) return undefined;
  return `must start with a letter or digit and hold only letters, digits, "_" and "-" (got ${JSON.stringify(value)})`;
}

const oneOf = (allowed: readonly string[]) => (value: unknown) =>
  typeof value === "string" && allowed.includes(value) ? undefined : `must be one of ${allowed.join(", ")}${didYouMean(value, allowed)}`;

/** Validates and normalizes inputs, reading the migrations directory. No API call. */
export function checkD1Database(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): { inputs: D1DatabaseInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(D1_DATABASE, n);
  failures.push(...fieldFailures(n, "name", d1NameProblem, "the database name"));
  failures.push(...fieldFailures(n, "primaryLocationHint", oneOf(D1_LOCATIONS)));
  failures.push(...fieldFailures(n, "jurisdiction", oneOf(D1_JURISDICTIONS)));
  failures.push(...fieldFailures(n, "forceDestroy", booleanProblem));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  failures.push(...fieldFailures(n, "migrationsDir", (v) => (typeof v === "string" && v !== "" ? undefined : "must be a directory path")));
  const inputs: D1DatabaseInputs = {
    name: n.name as string,
    migrations: [],
    forceDestroy: (n.forceDestroy as boolean | undefined) ?? false,
  };
  for (const key of ["primaryLocationHint", "jurisdiction", "accountId"] as const) if (n[key] !== undefined) inputs[key] = n[key] as string;
  const dir = n.migrationsDir;
  if (typeof dir === "string" && dir !== "" && !isUnknown(dir)) {
    inputs.migrationsDir = normalizeDirectory(dir);
    const { migrations, problem } = readMigrations(path.resolve(inputs.migrationsDir));
    inputs.migrations = migrations;
    const applied = Object.fromEntries(((olds?.migrations ?? []) as MigrationFile[]).map((m) => [m.name, m.sha256]));
    const why = problem ?? migrationsProblem(applied, migrations);
    if (why) failures.push({ property: "migrationsDir", reason: why });
  } else if (isUnknown(dir)) inputs.migrationsDir = dir as string;
  return { inputs, failures };
}

/** diff(stored outputs, new inputs). Pure; an applied migration edited since throws. */
export function diffD1Database(olds: Partial<D1DatabaseOutputs>, news: D1DatabaseInputs): KeyedDiff {
  const applied = olds.appliedMigrations ?? {};
  const problem = migrationsProblem(applied, news.migrations ?? []);
  if (problem) throw new Error(`D1Database "${news.name}": migrationsDir ${problem}`);
  const replaces: string[] = [];
  for (const key of ["name", "jurisdiction", "primaryLocationHint", "accountId"] as const)
    if ((olds[key] ?? undefined) !== (news[key] ?? undefined)) replaces.push(key);
  const changes = [...replaces];
  if ((olds.forceDestroy ?? false) !== news.forceDestroy) changes.push("forceDestroy");
  const pending = pendingMigrations(Object.keys(applied), news.migrations ?? []);
  if ((olds.migrationsDir ?? undefined) !== (news.migrationsDir ?? undefined) || pending.length > 0) changes.push("migrationsDir");
  // The same name cannot exist twice: the old database goes first (refused while it holds data).
  const deleteBeforeReplace = replaces.length > 0 && !replaces.includes("name");
  return { changes: changes.length > 0, replaces, deleteBeforeReplace, changedKeys: changes };
}

function toOutputs(db: D1DatabaseObject, inputs: Partial<D1DatabaseInputs>, applied: Record<string, string>): D1DatabaseOutputs {
  const out: D1DatabaseOutputs = {
    name: db.name,
    databaseId: db.uuid,
    appliedMigrations: applied,
    forceDestroy: inputs.forceDestroy ?? false,
  };
  if (inputs.migrationsDir !== undefined) out.migrationsDir = inputs.migrationsDir;
  if (inputs.primaryLocationHint !== undefined) out.primaryLocationHint = inputs.primaryLocationHint;
  if (db.jurisdiction) out.jurisdiction = db.jurisdiction;
  else if (inputs.jurisdiction !== undefined) out.jurisdiction = inputs.jurisdiction;
  if (inputs.accountId !== undefined) out.accountId = inputs.accountId;
  return out;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const USER_TABLES =
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name";

/**
 * What the database holds: the tables with at least one row (`d1_migrations` aside) and the migrations its
 * `d1_migrations` records. Two queries (one when it has no table); undefined when Cloudflare says it is gone.
 */
async function contents(
  api: CloudflareApi,
  uuid: string,
  o: Operation,
): Promise<{ tablesWithRows: string[]; applied: string[] } | undefined> {
  try {
    const tables = rowsOf<{ name: string }>((await queryD1(api, uuid, [{ sql: USER_TABLES }], o))[0]).map((t) => t.name);
    const data = tables.filter((t) => t !== MIGRATIONS_TABLE);
    const batch = [];
    // One statement names every non-empty table (in chunks that keep under D1's statement size).
    for (let i = 0; i < data.length; i += 200)
      batch.push({
        sql: data
          .slice(i, i + 200)
          .map((t) => `SELECT ${`'${t.replace(/'/g, "''")}'`} AS name WHERE EXISTS (SELECT 1 FROM ${quoted(t)})`)
          .join(" UNION ALL "),
      });
    const tracked = tables.includes(MIGRATIONS_TABLE);
    if (tracked) batch.push({ sql: `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id` });
    if (batch.length === 0) return { tablesWithRows: [], applied: [] };
    const results = await queryD1(api, uuid, batch, o);
    const applied = tracked ? rowsOf<{ name: string }>(results.pop()).map((r) => r.name) : [];
    return { tablesWithRows: results.flatMap((r) => rowsOf<{ name: string }>(r).map((x) => x.name)), applied };
  } catch (error) {
    if (isGone(error, [CODES.d1NotFound])) return undefined;
    throw error;
  }
}

const listed = (names: string[]) => names.slice(0, 5).join(", ") + (names.length > 5 ? ` and ${names.length - 5} more` : "");

/**
 * The name is taken (7502): a retried POST, or a run that died before its state was saved. D1 databases carry no
 * owner, so one is adopted only when it holds no row and records no migration other than this resource's.
 */
async function adopt(api: CloudflareApi, inputs: D1DatabaseInputs, o: Operation): Promise<D1DatabaseObject> {
  const existing = await findD1Database(api, inputs.name, o);
  const held = existing ? await contents(api, existing.uuid, o) : undefined;
  const ours = new Set(inputs.migrations.map((m) => m.name));
  const foreign = held?.applied.filter((m) => !ours.has(m)) ?? [];
  if (existing && held && held.tablesWithRows.length === 0 && foreign.length === 0) return existing;
  const why =
    !existing || !held
      ? "could not be found"
      : held.tablesWithRows.length > 0
        ? `holds data (rows in ${listed(held.tablesWithRows)})`
        : `records migrations this resource does not have (${listed(foreign)})`;
  throw new Error(
    `${o.resource}: create failed: a D1 database named "${inputs.name}" already exists in this account and ${why}. ` +
      `Choose another name, or adopt it with: pulumi import 'pulumi-nodejs:dynamic/wfp:D1Database' <resource name> ${existing?.uuid ?? "<database id>"}`,
  );
}

/**
 * Applies `pending` in one query. On failure, reads back what the database records (one more query), and throws
 * naming the migrations applied and those not.
 */
async function applyMigrations(
  api: CloudflareApi,
  uuid: string,
  inputs: D1DatabaseInputs,
  pending: MigrationFile[],
  o: Operation,
): Promise<{ applied: string[]; error?: Error }> {
  if (pending.length === 0) return { applied: [] };
  try {
    await queryD1(api, uuid, migrationBatch(path.resolve(inputs.migrationsDir!), pending), o);
    return { applied: pending.map((m) => m.name) };
  } catch (error) {
    if (!(error instanceof CloudflareApiError)) throw error;
    const recorded = new Set((await contents(api, uuid, o))?.applied ?? []);
    const applied = pending.filter((m) => recorded.has(m.name)).map((m) => m.name);
    const failed = pending.find((m) => !recorded.has(m.name))!;
    const notApplied = pending.filter((m) => !recorded.has(m.name)).map((m) => m.name);
    const message =
      `${o.resource}: ${o.operation} failed: migration ${failed.name} failed (${error.summary()}). ` +
      `${applied.length > 0 ? `Applied and recorded: ${applied.join(", ")}. ` : ""}` +
      `Not applied, not recorded: ${notApplied.join(", ")}. Fix the migration and run pulumi up again.`;
    return { applied, error: new Error(message) };
  }
}

/** A create that made the database but failed after: the engine keeps the database in state (a partial create). */
function partialCreate(id: string, outs: D1DatabaseOutputs, error: Error): Error {
  return Object.assign(error, { id, properties: outs, reasons: [error.message] });
}

const hashes = (inputs: D1DatabaseInputs, names: Iterable<string>) => {
  const set = new Set(names);
  return Object.fromEntries(inputs.migrations.filter((m) => set.has(m.name)).map((m) => [m.name, m.sha256]));
};

export const d1DatabaseProvider = defineProvider<D1DatabaseInputs, D1DatabaseOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
    return checkD1Database(olds, news);
  },

  async diff(_id: string, olds: D1DatabaseOutputs, news: D1DatabaseInputs) {
    return diffD1Database(olds, news);
  },

  async create(inputs: D1DatabaseInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs.name, "create");
    const body = { name: inputs.name, primary_location_hint: inputs.primaryLocationHint, jurisdiction: inputs.jurisdiction };
    let db: D1DatabaseObject;
    let alreadyApplied: string[] = [];
    try {
      db = await createD1Database(api, body, o);
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.hasCode(CODES.d1NameTaken)) throw error;
      db = await adopt(api, inputs, o);
      alreadyApplied = (await contents(api, db.uuid, o))?.applied ?? [];
    }
    const { applied, error } = await applyMigrations(api, db.uuid, inputs, pendingMigrations(alreadyApplied, inputs.migrations), o);
    const outs = toOutputs(db, inputs, hashes(inputs, [...alreadyApplied, ...applied]));
    if (error) throw partialCreate(db.uuid, outs, error);
    return { id: db.uuid, outs };
  },

  /** Refresh and import (id: the database uuid): one GET. `{}` when Cloudflare says it is gone. */
  async read(id: string, stored: Partial<D1DatabaseOutputs>, run: ProviderRun) {
    const importing = stored.databaseId === undefined;
    const db = await getD1Database(run.connect(stored.accountId), id, op(stored.name ?? id, importing ? "import" : "read"));
    if (!db) return {};
    const outs = toOutputs(db, stored as Partial<D1DatabaseInputs>, stored.appliedMigrations ?? {});
    if (!importing) return { id: db.uuid, props: outs };
    return { id: db.uuid, props: outs, inputs: { name: db.name, ...(db.jurisdiction ? { jurisdiction: db.jurisdiction } : {}) } };
  },

  /** Applies the migrations the database does not record: one query to read them, one to apply them. */
  async update(id: string, olds: D1DatabaseOutputs, news: D1DatabaseInputs, run: ProviderRun) {
    const appliedBefore = olds.appliedMigrations ?? {};
    const keep = { ...olds, forceDestroy: news.forceDestroy } as D1DatabaseOutputs;
    if (news.migrationsDir !== undefined) keep.migrationsDir = news.migrationsDir;
    else delete keep.migrationsDir;
    if (pendingMigrations(Object.keys(appliedBefore), news.migrations).length === 0) return { outs: keep };
    const api = run.connect(news.accountId);
    const o = op(news.name, "migrate");
    const read = await queryD1(api, id, [{ sql: CREATE_MIGRATIONS_TABLE }, { sql: `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id` }], o);
    const recorded = rowsOf<{ name: string }>(read[1]).map((r) => r.name);
    const { applied, error } = await applyMigrations(api, id, news, pendingMigrations(recorded, news.migrations), o);
    if (error) throw error;
    return { outs: { ...keep, appliedMigrations: { ...appliedBefore, ...hashes(news, [...recorded, ...applied]) } } };
  },

  /** Refused while a table holds rows, unless forceDestroy. */
  async delete(id: string, props: D1DatabaseOutputs, run: ProviderRun) {
    const api = run.connect(props.accountId);
    const o = op(props.name ?? id, "delete");
    if (!props.forceDestroy) {
      const held = await contents(api, id, o);
      if (!held) return; // already gone
      if (held.tablesWithRows.length > 0)
        throw new Error(
          `${o.resource}: delete refused: the database holds data (rows in ${listed(held.tablesWithRows)}), which deleting ` +
            "it would destroy. To delete it on purpose, set forceDestroy: true on the D1Database and run pulumi up, then " +
            "delete it (pulumi destroy, or remove it from the program). To keep it, remove it from this stack's state only: " +
            "pulumi state delete <urn>.",
        );
    }
    await deleteD1Database(api, id, o);
  },
});

/**
 * A D1 database. Bind it to a Worker with `{ type: "d1", name: "DB", databaseId: db.databaseId }` (or {@link d1Binding}).
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:D1Database <name> <database uuid>`.
 */
export class D1Database extends DynamicResource {
  declare public readonly name: pulumi.Output<string>;
  /** The database's uuid: what `d1` bindings take. */
  declare public readonly databaseId: pulumi.Output<string>;
  /** The migrations applied through this resource (file name → SHA-256). */
  declare public readonly appliedMigrations: pulumi.Output<Record<string, string>>;
  declare public readonly jurisdiction: pulumi.Output<string | undefined>;
  declare public readonly accountId: pulumi.Output<string | undefined>;

  constructor(name: string, args: D1DatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(D1_DATABASE, name, args, opts);
  }
}

/** A `d1` binding of a UserScript, Worker or Tenant to a database the program manages. */
export function d1Binding(name: string, database: D1Database): { type: "d1"; name: string; databaseId: pulumi.Output<string> } {
  return { type: "d1", name, databaseId: database.databaseId };
}
