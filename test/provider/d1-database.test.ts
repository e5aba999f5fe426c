/**
 * D1Database against the emulator: lifecycle, migrations recorded as wrangler records them, a failed migration,
 * edits refused, data kept from accidental deletes, adoption, import, gone only by 7404, and the calls each step costs.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ACCOUNT_ID } from "../helpers/emulator";
import { tempDir, writeFiles } from "../helpers/files";
import { useEmulator } from "../helpers/provider";
import type { D1DatabaseInputs, D1DatabaseOutputs } from "../../provider/resources/d1/database";

const emu = useEmulator();
const { D1Database: dp } = emu.providers;
const root = tempDir("d1-provider");
let dirs = 0;
const d1Path = (p = "") => `${emu.apiBase}/accounts/${ACCOUNT_ID}/d1/database${p}`;

/** A migrations directory holding `files`. */
const migrations = (files: Record<string, string>) => writeFiles(path.join(root, `m${++dirs}`), files);

async function check(news: Record<string, unknown>, olds: Record<string, unknown> = {}): Promise<D1DatabaseInputs> {
  const r = await dp.check!(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs as D1DatabaseInputs;
}
async function sql<T = Record<string, unknown>>(uuid: string, query: string): Promise<T[]> {
  const r = await emu.api("POST", d1Path(`/${uuid}/query`), { json: { sql: query } });
  expect(r.status).toBe(200);
  return r.body.result[0].results as T[];
}
const calls = async () => (await emu.journal()).map((e) => `${e.method} ${e.path.replace(/^.*\/d1\/database/, "d1")}`);

const USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";

describe("D1Database", () => {
  it("creates with its migrations in one query, records them in d1_migrations, reads back without drift, deletes an empty one", async () => {
    const dir = migrations({
      "0001_users.sql": USERS,
      "0002_posts.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);",
      "README.md": "x",
    });
    const inputs = await check({ name: "tenant-acme", migrationsDir: dir });
    expect(inputs.migrations.map((m) => m.name)).toEqual(["0001_users.sql", "0002_posts.sql"]);
    const created = await dp.create(inputs);
    const outs = created.outs as D1DatabaseOutputs;
    expect(outs).toMatchObject({ name: "tenant-acme", databaseId: created.id, forceDestroy: false });
    expect(Object.keys(outs.appliedMigrations)).toEqual(["0001_users.sql", "0002_posts.sql"]);
    // One call for the database, one for all its migrations.
    expect(await calls()).toEqual(["POST d1", `POST d1/${created.id}/query`]);
    // wrangler's table, wrangler's rows: the file names, in order.
    expect((await sql<{ name: string }>(created.id, "SELECT name FROM d1_migrations ORDER BY id")).map((r) => r.name)).toEqual([
      "0001_users.sql",
      "0002_posts.sql",
    ]);

    // No-op: no call. Refresh: one GET, no drift.
    expect((await dp.diff!(created.id, outs, inputs)).changes).toBe(false);
    await emu.clearJournal();
    const read = await dp.read!(created.id, outs);
    expect(await calls()).toEqual([`GET d1/${created.id}`]);
    expect((await dp.diff!(created.id, read.props, inputs)).changes).toBe(false);

    // Tables without rows are no data: the delete goes through.
    await dp.delete!(created.id, outs);
    expect((await emu.api("GET", d1Path(`/${created.id}`))).status).toBe(404);
    expect(await dp.read!(created.id, outs)).toEqual({});
    await dp.delete!(created.id, outs); // already gone: success
  });

  it("a database without migrations costs one call to create", async () => {
    const created = await dp.create(await check({ name: "plain", primaryLocationHint: "weur" }));
    expect(await calls()).toEqual(["POST d1"]);
    expect(created.outs).toMatchObject({ primaryLocationHint: "weur", appliedMigrations: {} });
  });

  it("a new migration file is an update that applies only it; one wrangler applied is not applied again", async () => {
    const dir = migrations({ "0001_users.sql": USERS });
    const v1 = await check({ name: "evolving", migrationsDir: dir });
    const created = await dp.create(v1);
    const outs = created.outs as D1DatabaseOutputs;
    writeFiles(dir, {
      "0002_email.sql": "ALTER TABLE users ADD COLUMN email TEXT;",
      "0003_seed.sql": "INSERT INTO users (name) VALUES ('ada');",
    });
    // wrangler applied 0002 meanwhile, recording it as wrangler does.
    await sql(created.id, "ALTER TABLE users ADD COLUMN email TEXT");
    await sql(created.id, "INSERT INTO d1_migrations (name) VALUES ('0002_email.sql')");
    const v2 = await check({ name: "evolving", migrationsDir: dir }, v1 as unknown as Record<string, unknown>);
    const diff = await dp.diff!(created.id, outs, v2);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    await emu.clearJournal();
    const updated = await dp.update!(created.id, outs, v2);
    // One query reads what the database records, one applies what it lacks.
    expect(await calls()).toEqual([`POST d1/${created.id}/query`, `POST d1/${created.id}/query`]);
    expect(Object.keys((updated.outs as D1DatabaseOutputs).appliedMigrations)).toEqual([
      "0001_users.sql",
      "0002_email.sql",
      "0003_seed.sql",
    ]);
    expect(await sql(created.id, "SELECT name, email FROM users")).toEqual([{ name: "ada", email: null }]);
    expect((await dp.diff!(created.id, updated.outs, v2)).changes).toBe(false);
  });

  it("a failed migration stops the update and is not recorded; those before it stay", async () => {
    const dir = migrations({ "0001_users.sql": USERS });
    const v1 = await check({ name: "failing", migrationsDir: dir });
    const created = await dp.create(v1);
    writeFiles(dir, { "0002_bad.sql": "INSERT INTO nowhere VALUES (1);", "0003_after.sql": "CREATE TABLE after (x);" });
    const v2 = await check({ name: "failing", migrationsDir: dir });
    const err = (await dp.update!(created.id, created.outs, v2).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /migration 0002_bad.sql failed \(.*no such table: nowhere.*\)\. Not applied, not recorded: 0002_bad.sql, 0003_after.sql/,
    );
    expect((await sql<{ name: string }>(created.id, "SELECT name FROM d1_migrations")).map((r) => r.name)).toEqual(["0001_users.sql"]);
    expect(await sql(created.id, "SELECT name FROM sqlite_master WHERE name = 'after'")).toEqual([]);
  });

  it("a migration failing at create leaves the database in state (a partial create), its failed migration unrecorded", async () => {
    const dir = migrations({ "0001_users.sql": USERS, "0002_bad.sql": "SELEC 1;" });
    const err = (await dp.create(await check({ name: "half-made", migrationsDir: dir })).catch((e: unknown) => e)) as Error & {
      id?: string;
      properties?: D1DatabaseOutputs;
    };
    expect(err.message).toMatch(/migration 0001_users.sql failed/);
    expect(err.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.properties).toMatchObject({ name: "half-made", databaseId: err.id, appliedMigrations: {} });
  });

  it("an applied migration edited, a new one numbered before an applied one, or a badly named file: refused at check or diff", async () => {
    const dir = migrations({ "0002_users.sql": USERS });
    const v1 = await check({ name: "strict", migrationsDir: dir });
    const created = await dp.create(v1);
    writeFiles(dir, { "0002_users.sql": `${USERS}\nCREATE INDEX u ON users (name);` });
    const edited = await dp.check!(v1, { name: "strict", migrationsDir: dir });
    expect(edited.failures).toEqual([
      { property: "migrationsDir", reason: expect.stringMatching(/0002_users.sql, edited since it was applied/) },
    ]);
    await expect(dp.diff!(created.id, created.outs, edited.inputs)).rejects.toThrow(/edited since it was applied/);

    writeFiles(dir, { "0002_users.sql": USERS, "0001_early.sql": "CREATE TABLE early (x);" });
    const early = await dp.check!(v1, { name: "strict", migrationsDir: dir });
    expect(early.failures[0]!.reason).toMatch(/0001_early.sql, new but numbered before 0002_users.sql/);

    for (const [files, reason] of [
      [{ "users.sql": USERS }, /not named <number>_<description>.sql \(users.sql\)/],
      [{ "0001_a.sql": USERS, "1_b.sql": USERS }, /two migrations numbered 1/],
      [{ "0001_a.sql": "-- nothing" }, /0001_a.sql, which has no SQL statement/],
    ] as const) {
      const r = await dp.check!({}, { name: "x", migrationsDir: migrations(files) });
      expect(r.failures).toEqual([{ property: "migrationsDir", reason: expect.stringMatching(reason) }]);
    }
    const missing = await dp.check!({}, { name: "x", migrationsDir: path.join(root, "none") });
    expect(missing.failures[0]).toMatchObject({ property: "migrationsDir", reason: expect.stringMatching(/names no directory/) });
    expect((await dp.check!({}, { name: "-bad" })).failures[0]).toMatchObject({ property: "name" });
    expect((await dp.check!({}, { name: "db", jurisdiction: "uk" })).failures[0]).toMatchObject({ property: "jurisdiction" });
    expect(await emu.journal()).toHaveLength(2); // only the create above (the database, its migration): check makes no call
  });

  it("deleting a database holding rows is refused, naming them and forceDestroy; with forceDestroy it goes", async () => {
    const created = await dp.create(await check({ name: "precious", migrationsDir: migrations({ "0001_users.sql": USERS }) }));
    await sql(created.id, "INSERT INTO users (name) VALUES ('grace')");
    const err = (await dp.delete!(created.id, created.outs).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/delete refused: the database holds data \(rows in users\).*forceDestroy: true/);
    expect((await emu.api("GET", d1Path(`/${created.id}`))).status).toBe(200);

    const forced = await check({ name: "precious", forceDestroy: true, migrationsDir: (created.outs as D1DatabaseOutputs).migrationsDir });
    const diff = await dp.diff!(created.id, created.outs, forced);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    await emu.clearJournal();
    const updated = await dp.update!(created.id, created.outs, forced);
    expect(await emu.journal()).toEqual([]); // forceDestroy lives in state only
    await dp.delete!(created.id, updated.outs);
    expect((await emu.api("GET", d1Path(`/${created.id}`))).status).toBe(404);
  });

  it("a name taken by a database without data is adopted; one holding rows is refused with the import command", async () => {
    const dir = migrations({ "0001_users.sql": USERS });
    const first = await dp.create(await check({ name: "left-over", migrationsDir: dir }));
    const again = await dp.create(await check({ name: "left-over", migrationsDir: dir }));
    expect(again.id).toBe(first.id);
    await sql(first.id, "INSERT INTO users (name) VALUES ('x')");
    const err = (await dp.create(await check({ name: "left-over", migrationsDir: dir })).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(
      /holds data \(rows in users\).*pulumi import 'pulumi-nodejs:dynamic\/wfp:D1Database' <resource name> [0-9a-f-]{36}/,
    );
  });

  it("imports by uuid; a 404 that is not Cloudflare's 7404 is an error, never gone", async () => {
    const r = await emu.api("POST", d1Path(), { json: { name: "by-hand", jurisdiction: "eu" } });
    const uuid = r.body.result.uuid as string;
    const imported = await dp.read!(uuid, {});
    expect(imported).toMatchObject({ id: uuid, inputs: { name: "by-hand", jurisdiction: "eu" } });
    expect(imported.props).toMatchObject({ name: "by-hand", databaseId: uuid, jurisdiction: "eu" });
    await emu.fault({
      method: "GET",
      path: `/client/v4/accounts/${ACCOUNT_ID}/d1/database/${uuid}`,
      status: 404,
      code: 7003,
      message: "Could not route",
    });
    await expect(dp.read!(uuid, imported.props)).rejects.toThrow(/7003/);
  });

  it("diff: name, jurisdiction and location hint replace (the old one first when the name stays); forceDestroy updates", async () => {
    const base = await check({ name: "a" });
    const outs: D1DatabaseOutputs = { name: "a", databaseId: "u", appliedMigrations: {}, forceDestroy: false };
    expect(await dp.diff!("u", outs, base)).toMatchObject({ changes: false });
    expect(await dp.diff!("u", outs, await check({ name: "b" }))).toMatchObject({ replaces: ["name"], deleteBeforeReplace: false });
    expect(await dp.diff!("u", outs, await check({ name: "a", jurisdiction: "eu" }))).toMatchObject({
      replaces: ["jurisdiction"],
      deleteBeforeReplace: true,
    });
  });
});
