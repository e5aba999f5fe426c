/**
 * What a hostname resource needs before it is written, looked up at check (so at preview), read-only: its zone and
 * the account-level Worker it names. A typo then fails the preview, before an `up` replaces what serves (a zone
 * change replaces a route or a hostname, and the old one would be gone before the new one failed).
 *
 * Only what changed is looked up: a no-op run makes no call. A Worker checked in the same run (the program declares
 * it, maybe to create it now) is taken as there. The answers are shared within the run: one zone lookup per zone
 * name, one listing of the account's Workers.
 */
import type { CloudflareApi } from "../../api/client";
import { ERROR_CODES } from "../../../cloudflare/errors";
import { findZoneByName, getZone, listZoneNames } from "../../api/domains";
import { CloudflareApiError, type Operation } from "../../api/errors";
import { listAccountScripts } from "../../api/scripts";
import { didYouMean } from "../../did-you-mean";
import type { ProviderRun } from "../../run";
import { type CheckFailure, isUnknown } from "../../validation";

/** At most this many names are listed in a failure. */
const LISTED = 10;

const workerKey = (name: string) => `Worker:${name}`;

/** Records that the program declares the account-level Worker `name` in this run. */
export function declareWorker(run: ProviderRun, name: unknown): void {
  if (typeof name === "string") run.declared.add(workerKey(name));
}

/** "; the account's <what>: a, b, c" (or that it has none), with a near miss first. */
export function namesOfAccount(value: string, names: string[], what: string): string {
  if (names.length === 0) return `; the account has no ${what}`;
  const shown = names.slice(0, LISTED).join(", ") + (names.length > LISTED ? `, and ${names.length - LISTED} more` : "");
  return `${didYouMean(value, names)}; the account's ${what}: ${shown}`;
}

async function zoneFailure(api: CloudflareApi, n: Record<string, unknown>, o: Operation): Promise<CheckFailure | undefined> {
  if (typeof n.zoneId === "string") {
    try {
      await getZone(api, n.zoneId, o);
      return undefined;
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.hasCode(ERROR_CODES.COULD_NOT_ROUTE)) throw error;
      return {
        property: "zoneId",
        reason: `names no zone of the account ("${n.zoneId}"); give the id of one of its zones, or zone (its name)`,
      };
    }
  }
  const name = n.zone as string;
  if (await findZoneByName(api, name, o)) return undefined;
  return {
    property: "zone",
    reason: `names no zone of the account ("${name}")${namesOfAccount(name, await listZoneNames(api, o), "zones")}. Add the zone to Cloudflare first, or correct the name`,
  };
}

async function workerFailure(
  run: ProviderRun,
  api: CloudflareApi,
  field: string,
  name: string,
  o: Operation,
): Promise<CheckFailure | undefined> {
  if (run.declared.has(workerKey(name))) return undefined;
  const names = (await listAccountScripts(api, o)).map((s) => s.id);
  if (names.includes(name)) return undefined;
  return {
    property: field,
    reason:
      `names no account-level Worker ("${name}")${namesOfAccount(name, names, "Workers")}. ` +
      "Deploy it first, or, when this program creates it, pass that Worker's name output (worker.name)",
  };
}

/**
 * The failures of the lookups a hostname resource's inputs need: its zone, and the Worker in `workerField` when it
 * has one. None when the static checks already failed, when a value is not known yet (preview), or when it is what
 * the stack last deployed (`olds`).
 */
export async function preflightFailures(
  run: ProviderRun,
  olds: Record<string, unknown>,
  inputs: object,
  checked: CheckFailure[],
  o: Operation,
  workerField?: string,
): Promise<CheckFailure[]> {
  const news = inputs as Record<string, unknown>;
  if (checked.length > 0 || isUnknown(news.accountId)) return [];
  const changed = (key: string) => news[key] !== olds[key] || news.accountId !== olds.accountId;
  const zoneKnown = !isUnknown(news.zone) && !isUnknown(news.zoneId);
  const checkZone = zoneKnown && (changed("zone") || changed("zoneId"));
  const worker = workerField === undefined ? undefined : news[workerField];
  const checkWorker = typeof worker === "string" && !isUnknown(worker) && changed(workerField!);
  if (!checkZone && !checkWorker) return [];
  const api = run.connect(news.accountId as string | undefined);
  const found = await Promise.all([
    checkZone ? zoneFailure(api, news, o) : undefined,
    checkWorker ? workerFailure(run, api, workerField!, worker, o) : undefined,
  ]);
  return found.filter((f): f is CheckFailure => f !== undefined);
}
