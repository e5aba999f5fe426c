/** Durable Object migrations applied to a script's tag and classes, and the exported names they are checked against. */
import { describe, expect, test } from "vitest";
import type { ApiError } from "../../emulator/model/errors";
import { applyMigrations, exportedNames } from "../../emulator/model/migrations";

let n = 0;
const id = () => `id${++n}`;
const code = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as ApiError).code;
  }
};

describe("exportedNames", () => {
  test("declarations and export lists, aliases included; unknown with export *", () => {
    const src = "export class A {}\nexport default class B {}\nexport const c = 1;\nclass D {}\nexport { D, D as E };";
    expect([...exportedNames(src)!].sort()).toEqual(["A", "B", "D", "E", "c"]);
    expect(exportedNames('export * from "./x.js";')).toBeUndefined();
  });
});

describe("applyMigrations", () => {
  const exported = new Set(["A", "B", "C"]);
  test("the first upload sets the tag and its classes; later ones must name it as old_tag (10079)", () => {
    const v1 = applyMigrations({ classes: {} }, { new_tag: "v1", new_sqlite_classes: ["A"], new_classes: ["B"] }, exported, id);
    expect(v1.tag).toBe("v1");
    expect(v1.classes).toEqual({ A: { id: expect.any(String), sqlite: true }, B: { id: expect.any(String), sqlite: false } });
    expect(code(() => applyMigrations(v1, { new_tag: "v2" }, exported, id))).toBe(10079);
    expect(code(() => applyMigrations(v1, { old_tag: "v0", new_tag: "v2" }, exported, id))).toBe(10079);
    expect(code(() => applyMigrations({ classes: {} }, { old_tag: "v1" }, exported, id))).toBe(10079);
    // No migrations: unchanged.
    expect(applyMigrations(v1, undefined, exported, id)).toBe(v1);
  });

  test("steps rename (the id follows), delete and create; unexported classes are refused (10070)", () => {
    const v1 = applyMigrations({ classes: {} }, { new_tag: "v1", new_sqlite_classes: ["A", "B"] }, exported, id);
    const v2 = applyMigrations(
      v1,
      {
        old_tag: "v1",
        new_tag: "v2",
        steps: [{ renamed_classes: [{ from: "A", to: "C" }] }, { deleted_classes: ["B"] }, { new_classes: ["A"] }],
      },
      exported,
      id,
    );
    expect(v2.classes.C).toEqual(v1.classes.A);
    expect(v2.classes.B).toBeUndefined();
    expect(v2.classes.A!.sqlite).toBe(false);
    expect(code(() => applyMigrations(v2, { old_tag: "v2", new_classes: ["Ghost"] }, exported, id))).toBe(10070);
    // Unknown exports (export *): not checked.
    expect(applyMigrations(v2, { old_tag: "v2", new_classes: ["Ghost"] }, undefined, id).classes.Ghost).toBeDefined();
  });

  test("creating an existing class, renaming or deleting a missing one, or a transfer is refused (10021)", () => {
    const v1 = applyMigrations({ classes: {} }, { new_tag: "v1", new_classes: ["A"] }, exported, id);
    for (const m of [
      { new_sqlite_classes: ["A"] },
      { renamed_classes: [{ from: "X", to: "B" }] },
      { deleted_classes: ["X"] },
      { transferred_classes: [{ from: "A", from_script: "other", to: "B" }] },
    ])
      expect(code(() => applyMigrations(v1, { old_tag: "v1", ...m }, exported, id))).toBe(10021);
  });
});
