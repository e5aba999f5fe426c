/** A Worker's Durable Object classes: check, and the migrations computed from what the last deploy left. */
import { describe, expect, test } from "vitest";
import {
  checkDurableObjects,
  MigrationRefusedError,
  droppedClassFailures,
  nextMigrationTag,
  planMigrations,
} from "../../provider/resources/script/durable-objects";
import { diffScript } from "../../provider/resources/script/diff";
import { driftFields, type StepStates } from "../../provider/drift-fields";
import type { ScriptInputs } from "../../provider/resources/script/types";
import { UNKNOWN, type CheckFailure } from "../../provider/validation";
import { scriptInputs } from "../helpers/script-inputs";

describe("planMigrations", () => {
  test("the first class: new_sqlite_classes under tag v1, no old_tag", () => {
    expect(planMigrations({ classes: [] }, { classes: ["Counter"] })).toEqual({
      migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["Counter"] }] },
      classes: ["Counter"],
    });
  });

  test("no change: no migrations (so nothing in the upload)", () => {
    expect(planMigrations({ classes: ["A", "B"], tag: "v3" }, { classes: ["B", "A"] })).toEqual({ classes: ["A", "B"] });
    expect(planMigrations({ classes: [] }, undefined)).toEqual({ classes: [] });
  });

  test("a class added: its step, with the stored tag as old_tag and the next one as new_tag", () => {
    expect(planMigrations({ classes: ["A"], tag: "v1" }, { classes: ["A", "B"] }).migrations).toEqual({
      old_tag: "v1",
      new_tag: "v2",
      steps: [{ new_sqlite_classes: ["B"] }],
    });
  });

  test("an explicit rename keeps the objects; once applied, the entry does nothing", () => {
    const args = { classes: ["Room"], renamedClasses: [{ from: "Chat", to: "Room" }] };
    expect(planMigrations({ classes: ["Chat"], tag: "v1" }, args)).toEqual({
      migrations: { old_tag: "v1", new_tag: "v2", steps: [{ renamed_classes: [{ from: "Chat", to: "Room" }] }] },
      classes: ["Room"],
    });
    expect(planMigrations({ classes: ["Room"], tag: "v2" }, args)).toEqual({ classes: ["Room"] });
  });

  test("a rename and a new class of the old name: the rename runs first", () => {
    const plan = planMigrations({ classes: ["A"], tag: "v1" }, { classes: ["A", "B"], renamedClasses: [{ from: "A", to: "B" }] });
    expect(plan.migrations?.steps).toEqual([{ renamed_classes: [{ from: "A", to: "B" }] }, { new_sqlite_classes: ["A"] }]);
  });

  test("a class dropped is refused, naming the way to delete it on purpose", () => {
    const drop = () => planMigrations({ classes: ["A", "B"], tag: "v1" }, { classes: ["A"] });
    expect(drop).toThrow(MigrationRefusedError);
    expect(drop).toThrow(/drops B: that would delete every object of that class and its data.*deletedClasses/);
    expect(() => planMigrations({ classes: ["A"], tag: "v1" }, undefined)).toThrow(/drops A/);
  });

  test("a class dropped with deletedClasses: deleted_classes; once gone, the entry does nothing", () => {
    const args = { classes: ["A"], deletedClasses: ["B"] };
    expect(planMigrations({ classes: ["A", "B"], tag: "v4" }, args).migrations).toEqual({
      old_tag: "v4",
      new_tag: "v5",
      steps: [{ deleted_classes: ["B"] }],
    });
    expect(planMigrations({ classes: ["A"], tag: "v5" }, args)).toEqual({ classes: ["A"] });
  });

  test("a rename onto a class that exists is refused", () => {
    expect(() => planMigrations({ classes: ["A", "B"] }, { classes: ["B"], renamedClasses: [{ from: "A", to: "B" }] })).toThrow(
      /cannot rename A to B: B exists already/,
    );
  });

  test("nextMigrationTag: v<N+1> from the number a tag ends with, never the tag itself", () => {
    expect([undefined, "v1", "v9", "release-41", "custom", "v0"].map(nextMigrationTag)).toEqual(["v1", "v2", "v10", "v42", "v1", "v1"]);
  });
});

describe("checkDurableObjects", () => {
  const check = (value: unknown, bindings: unknown = []) => {
    const failures: CheckFailure[] = [];
    checkDurableObjects(value, bindings, failures);
    return failures;
  };

  test("valid classes, renames and deletions pass; unknown values are not judged", () => {
    expect(check({ classes: ["Counter", "Room"], renamedClasses: [{ from: "Chat", to: "Room" }], deletedClasses: ["Old"] })).toEqual([]);
    expect(check(UNKNOWN, [{ type: "durable_object_namespace", name: "X", className: "Nope" }])).toEqual([]);
    expect(check({ classes: [UNKNOWN] })).toEqual([]);
  });

  test("bad names, duplicates, contradictions and unknown fields fail on their property", () => {
    expect(
      check({
        classes: ["my-class", "A", "A"],
        deletedClasses: ["A"],
        renamedClasses: [{ from: "A", to: "Z" }],
        sqlite: true,
      }),
    ).toEqual([
      { property: "durableObjects.sqlite", reason: expect.stringMatching(/is not known/) },
      { property: "durableObjects.classes[0]", reason: expect.stringMatching(/JavaScript identifier/) },
      { property: "durableObjects.classes[2]", reason: "duplicates the class A" },
      { property: "durableObjects.deletedClasses[0]", reason: expect.stringMatching(/is also in classes/) },
      { property: "durableObjects.renamedClasses[0].to", reason: expect.stringMatching(/must be in classes/) },
      { property: "durableObjects.renamedClasses[0].from", reason: expect.stringMatching(/is still in classes/) },
    ]);
    expect(check(["A"])).toEqual([{ property: "durableObjects", reason: expect.stringMatching(/must be \{ classes/) }]);
    expect(check({})).toEqual([{ property: "durableObjects.classes", reason: expect.stringMatching(/is required/) }]);
  });

  test("a binding to the Worker's own class must name a declared one; another Worker's class is not judged", () => {
    const bindings = [
      { type: "durable_object_namespace", name: "COUNTER", className: "Counter" },
      { type: "durable_object_namespace", name: "OTHER", className: "Elsewhere", scriptName: "other" },
      { type: "durable_object_namespace", name: "TYPO", className: "Countr" },
    ];
    expect(check({ classes: ["Counter"] }, bindings)).toEqual([
      { property: "bindings[2].className", reason: expect.stringMatching(/names no class of durableObjects.classes \(Counter\)/) },
    ]);
    expect(check(undefined, bindings.slice(0, 1))).toEqual([
      { property: "bindings[0].className", reason: expect.stringMatching(/\(none\): declare Counter there/) },
    ]);
  });
});

describe("droppedClassFailures (check, from the previous inputs)", () => {
  test("a class left out fails the preview; a rename or an explicit deletion does not", () => {
    expect(droppedClassFailures({ classes: ["A", "B"] }, { classes: ["A"] })).toEqual([
      { property: "durableObjects.classes", reason: expect.stringMatching(/drops B.*deletedClasses/) },
    ]);
    expect(droppedClassFailures({ classes: ["A", "B"] }, { classes: ["A"], deletedClasses: ["B"] })).toEqual([]);
    expect(droppedClassFailures({ classes: ["A"] }, { classes: ["C"], renamedClasses: [{ from: "A", to: "C" }] })).toEqual([]);
    expect(droppedClassFailures(undefined, { classes: ["A"] })).toEqual([]);
    expect(droppedClassFailures({ classes: ["A"] }, UNKNOWN as never)).toEqual([]);
  });
});

describe("diffScript and Durable Objects", () => {
  const news = (durableObjects?: ScriptInputs["durableObjects"]) => scriptInputs(durableObjects ? { durableObjects } : {});
  const olds = { ...news(), etag: "e", deployedEtag: "e" };

  test("classes compared as sets against those deployed; none on either side is no change", () => {
    expect(diffScript(olds, news()).changedKeys).toEqual([]);
    const deployed = { ...olds, durableObjectClasses: ["A", "B"], migrationTag: "v2" };
    expect(diffScript(deployed, news({ classes: ["B", "A"] })).changedKeys).toEqual([]);
    expect(diffScript(deployed, news({ classes: ["A", "B", "C"] })).changedKeys).toEqual(["durableObjects"]);
    expect(diffScript(olds, news({ classes: [UNKNOWN] })).changedKeys).toEqual(["durableObjects"]);
  });

  test("a tag read back other than the one our deploy left is named as migrationTag", () => {
    const drifted = { ...olds, durableObjectClasses: ["A"], migrationTag: "v7", deployedMigrationTag: "v1" };
    expect(diffScript(drifted, news({ classes: ["A"] })).changedKeys).toEqual(["migrationTag"]);
    expect(diffScript({ ...drifted, deployedMigrationTag: "v7" }, news({ classes: ["A"] })).changedKeys).toEqual([]);
    expect(driftFields({ diffReasons: ["migrationTag"] } as StepStates).map((f) => `${f.path}: ${f.message}`)).toEqual([
      "migrationTag: Durable Objects migrated by something else",
    ]);
  });
});
