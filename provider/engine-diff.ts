/**
 * Our diff as the engine's DiffResponse, with what Pulumi's own dynamic-provider host leaves out (it passes only
 * changes, replaces and deleteBeforeReplace): the changed keys (`diffReasons`) and the detailed diff, one entry
 * per changed field, which `pulumi preview --diff` prints and `--json` lists.
 */
import { fieldsOf, rootOf } from "./resources/field-changes";
import type { KeyedDiff } from "./resources/resource-kit";

/** A detailed diff entry's kind, as the engine's JSON names it. */
export type EngineDiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface EngineDiff {
  changes: boolean | undefined;
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** The changed top-level keys. */
  diffs: string[];
  detailedDiff: Record<string, { kind: EngineDiffKind; inputDiff: boolean }>;
}

/**
 * The engine takes a field's old value from the stored outputs, or with `inputDiff` from the stored inputs: the
 * latter for a property the outputs do not hold (a Tenant's `secrets`, kept as hashes), so the display finds it.
 * `news`, the inputs as the engine has them: a field they hold as JSON text (wire-form.ts) is named whole, since
 * the engine cannot look inside it; its display then shows the change inside the text.
 */
export function engineDiff(diff: KeyedDiff, olds: Record<string, unknown>, news: Record<string, unknown> = {}): EngineDiff {
  const replaces = diff.replaces ?? [];
  const detailedDiff: EngineDiff["detailedDiff"] = {};
  for (const field of fieldsOf(diff)) {
    const root = rootOf(field.path);
    // A change inside a field held as text is an update of the text.
    const [path, change] = field.path !== root && typeof news[root] === "string" ? [root, "update" as const] : [field.path, field.kind];
    const kind: EngineDiffKind = replaces.includes(root) ? `${change}-replace` : change;
    detailedDiff[path] = { kind, inputDiff: !(root in olds) };
  }
  return {
    changes: diff.changes,
    replaces,
    deleteBeforeReplace: diff.deleteBeforeReplace ?? false,
    diffs: [...new Set(Object.keys(detailedDiff).map(rootOf))],
    detailedDiff,
  };
}

/** What this needs of `@pulumi/pulumi/proto/provider_pb` (the host passes the copy its gRPC server uses). */
export interface ProviderProto {
  DiffResponse: {
    new (): {
      setChanges(value: number): unknown;
      setReplacesList(value: string[]): unknown;
      setDeletebeforereplace(value: boolean): unknown;
      setDiffsList(value: string[]): unknown;
      setHasdetaileddiff(value: boolean): unknown;
      getDetaileddiffMap(): { set(key: string, value: unknown): unknown };
    };
    DiffChanges: { DIFF_UNKNOWN: number; DIFF_NONE: number; DIFF_SOME: number };
  };
  PropertyDiff: {
    new (): { setKind(value: number): unknown; setInputdiff(value: boolean): unknown };
    Kind: Record<"ADD" | "ADD_REPLACE" | "DELETE" | "DELETE_REPLACE" | "UPDATE" | "UPDATE_REPLACE", number>;
  };
}

const protoKind = (kind: EngineDiffKind) => kind.toUpperCase().replace("-", "_") as keyof ProviderProto["PropertyDiff"]["Kind"];

/** The DiffResponse for {@link engineDiff}'s result. */
export function diffResponse(proto: ProviderProto, diff: EngineDiff): unknown {
  const response = new proto.DiffResponse();
  const { DIFF_SOME, DIFF_NONE, DIFF_UNKNOWN } = proto.DiffResponse.DiffChanges;
  response.setChanges(diff.changes === true ? DIFF_SOME : diff.changes === false ? DIFF_NONE : DIFF_UNKNOWN);
  if (diff.replaces.length > 0) response.setReplacesList(diff.replaces);
  if (diff.deleteBeforeReplace) response.setDeletebeforereplace(true);
  response.setDiffsList(diff.diffs);
  const details = response.getDetaileddiffMap();
  for (const [path, { kind, inputDiff }] of Object.entries(diff.detailedDiff)) {
    const property = new proto.PropertyDiff();
    property.setKind(proto.PropertyDiff.Kind[protoKind(kind)]);
    property.setInputdiff(inputDiff);
    details.set(path, property);
  }
  response.setHasdetaileddiff(true);
  return response;
}
