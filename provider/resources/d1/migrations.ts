/**
 * A D1Database's migrations: the numbered `.sql` files of a directory, applied once each in order and recorded in the
 * database's `d1_migrations` table, as wrangler's `d1 migrations apply` does (same table, same columns, the file name
 * as `name`), so wrangler and this provider agree on what is applied. Reading and planning are pure here; the
 * resource runs the SQL.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { splitSql } from "../../../cloudflare/d1";
import type { D1Statement } from "../../api/d1";
import { sha256Hex } from "../../sha256";

/** wrangler's default migrations table. */
export const MIGRATIONS_TABLE = "d1_migrations";
/** wrangler's table, created the way it creates it. */
export const CREATE_MIGRATIONS_TABLE =
  `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, ` +
  "name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)";
/** A migration file: a number, `_`, a description (`wrangler d1 migrations create` writes `0000_<message>.sql`). */
export const MIGRATION_FILE_RE = /^(\d+)_[A-Za-z0-9._-]*\.sql$/;

export interface MigrationFile {
  name: string;
  /** SHA-256 of the file's bytes: an applied migration edited since is refused. */
  sha256: string;
}

/** The migrations of a directory in order (by number, then name), or why they cannot be applied. */
export function readMigrations(dir: string): { migrations: MigrationFile[]; problem?: string } {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) return { migrations: [], problem: `is not a directory (${dir})` };
    entries = readdirSync(dir).filter((f) => f.endsWith(".sql"));
  } catch {
    return { migrations: [], problem: `names no directory (${dir}): give the directory of the database's .sql migrations` };
  }
  const bad = entries.filter((f) => !MIGRATION_FILE_RE.test(f));
  if (bad.length > 0)
    return {
      migrations: [],
      problem: `holds .sql files not named <number>_<description>.sql (${bad.slice(0, 5).join(", ")}): name them like 0001_create_users.sql`,
    };
  const number = (f: string) => BigInt(MIGRATION_FILE_RE.exec(f)![1]!);
  entries.sort((a, b) => (number(a) < number(b) ? -1 : number(a) > number(b) ? 1 : a < b ? -1 : 1));
  const seen = new Map<bigint, string>();
  const migrations: MigrationFile[] = [];
  for (const f of entries) {
    const n = number(f);
    if (seen.has(n))
      return { migrations: [], problem: `has two migrations numbered ${n} (${seen.get(n)}, ${f}): their order is ambiguous` };
    seen.set(n, f);
    const sql = readFileSync(path.join(dir, f), "utf8");
    if (splitSql(sql).length === 0) return { migrations: [], problem: `holds ${f}, which has no SQL statement` };
    migrations.push({ name: f, sha256: sha256Hex(sql) });
  }
  return { migrations };
}

/**
 * What a new list of migrations cannot do to the applied ones (name → SHA-256): edit one (migrations run once: add a
 * new file instead), or come before the last applied one (it would run out of order). Undefined when it is fine.
 */
export function migrationsProblem(applied: Record<string, string>, migrations: readonly MigrationFile[]): string | undefined {
  const edited = migrations.filter((m) => Object.hasOwn(applied, m.name) && applied[m.name] !== "" && applied[m.name] !== m.sha256);
  if (edited.length > 0)
    return (
      `holds ${edited.map((m) => m.name).join(", ")}, edited since it was applied: a migration runs once, so an edit would never ` +
      "reach the database. Restore the file and add a new migration with the change"
    );
  const lastApplied = migrations.reduce((last, m, i) => (Object.hasOwn(applied, m.name) ? i : last), -1);
  const early = migrations.slice(0, Math.max(lastApplied, 0)).filter((m) => !Object.hasOwn(applied, m.name));
  if (early.length > 0)
    return (
      `holds ${early.map((m) => m.name).join(", ")}, new but numbered before ${migrations[lastApplied]!.name}, which is applied: ` +
      "it would run out of order. Renumber it after the last applied migration"
    );
  return undefined;
}

/** The migrations not yet applied, in order. */
export function pendingMigrations(applied: Iterable<string>, migrations: readonly MigrationFile[]): MigrationFile[] {
  const done = new Set(applied);
  return migrations.filter((m) => !done.has(m.name));
}

/**
 * One batch applying `pending` after the table exists: each file's SQL, then its record, so a migration is recorded
 * only once its statements ran. Each file is read again and must be what check hashed.
 */
export function migrationBatch(dir: string, pending: readonly MigrationFile[]): D1Statement[] {
  const batch: D1Statement[] = [{ sql: CREATE_MIGRATIONS_TABLE }];
  for (const m of pending) {
    const sql = readFileSync(path.join(dir, m.name), "utf8");
    if (sha256Hex(sql) !== m.sha256) throw new Error(`${m.name} changed while this update ran: run pulumi up again`);
    batch.push({ sql }, { sql: `INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`, params: [m.name] });
  }
  return batch;
}
