/** Splitting a D1 query's SQL into statements, as the API runs them (one result per statement). */
import { describe, expect, test } from "vitest";
import { splitSql } from "../../cloudflare/d1";

describe("splitSql", () => {
  test("splits on ; outside strings, quoted names and comments, dropping empty statements", () => {
    expect(splitSql("SELECT 1; SELECT 2;")).toEqual(["SELECT 1", "SELECT 2"]);
    expect(splitSql(`INSERT INTO t VALUES ('a;b', "c;d", [e;f], \`g;h\`); SELECT 3`)).toEqual([
      `INSERT INTO t VALUES ('a;b', "c;d", [e;f], \`g;h\`)`,
      "SELECT 3",
    ]);
    expect(splitSql("SELECT 1; -- a; comment\n/* b; */ ;")).toEqual(["SELECT 1"]);
    expect(splitSql("  ;; -- only a comment\n")).toEqual([]);
  });

  test("a trigger's BEGIN … END, CASE … END inside it included, is one statement", () => {
    const trigger = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN n > 1 THEN 0 ELSE n + 1 END; DELETE FROM c; END";
    expect(splitSql(`${trigger}; SELECT 1`)).toEqual([trigger, "SELECT 1"]);
    // BEGIN outside a trigger (a transaction) is a statement of its own.
    expect(splitSql("BEGIN; SELECT 1; END")).toEqual(["BEGIN", "SELECT 1", "END"]);
  });
});
