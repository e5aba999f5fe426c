/**
 * What the hostname resources (WorkerDomain, WorkerRoute, CustomHostname) share: the zone they live in (by name or
 * id), hostname checks, and the refusal to take over what the stack did not create without `adopt: true` (these
 * objects carry no owner tag, so finding one on create is all the provider can know). One exception: a domain or
 * route that already sends its traffic to the very Worker it names, a Worker this stack owns (a run killed before its
 * state was saved), is taken over, as nothing changes hands.
 */
import type { CloudflareApi } from "../../api/client";
import type { ZoneObject } from "../../../cloudflare/wire";
import { findZoneByName, getZone } from "../../api/domains";
import type { Operation } from "../../api/errors";
import { booleanProblem, type CheckFailure, fieldFailures, isUnknown } from "../../validation";
import { liveOwner } from "../owner";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const HOSTNAME_RE = new RegExp(`^(?=.{1,253}$)(?:${LABEL}\\.)+${LABEL}$`);
const ZONE_ID_RE = /^[0-9a-f]{32}$/;

/** A hostname input: lowercase DNS labels, at least two. */
export function hostnameProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || !HOSTNAME_RE.test(value))
    return "must be a lowercase hostname such as shop.example.com: labels of letters, digits and dashes, separated by dots";
  return undefined;
}

/** The zone inputs: exactly one of `zone` (its name) and `zoneId`. */
export interface ZoneInputs {
  zone?: string;
  zoneId?: string;
}

export function zoneFailures(n: Record<string, unknown>): CheckFailure[] {
  if (n.zone === undefined && n.zoneId === undefined)
    return [{ property: "zone", reason: "is required: the zone's name (zone) or its id (zoneId)" }];
  const failures = [
    ...fieldFailures(n, "zone", hostnameProblem),
    ...fieldFailures(n, "zoneId", (v) =>
      typeof v === "string" && ZONE_ID_RE.test(v) ? undefined : "must be a zone id: 32 lowercase hex characters",
    ),
  ];
  if (n.zone !== undefined && n.zoneId !== undefined && !isUnknown(n.zone) && !isUnknown(n.zoneId))
    failures.push({ property: "zoneId", reason: "give either zone (the zone's name) or zoneId, not both" });
  return failures;
}

export function zoneInputs(n: Record<string, unknown>): ZoneInputs {
  const out: ZoneInputs = {};
  if (n.zone !== undefined) out.zone = n.zone as string;
  if (n.zoneId !== undefined) out.zoneId = n.zoneId as string;
  return out;
}

export const adoptFailures = (n: Record<string, unknown>): CheckFailure[] => fieldFailures(n, "adopt", booleanProblem);

/** The zone the inputs name; an error naming it when the account has no such zone. */
export async function resolveZone(api: CloudflareApi, z: ZoneInputs, o: Operation): Promise<ZoneObject> {
  if (z.zoneId) return getZone(api, z.zoneId, o);
  const zone = await findZoneByName(api, z.zone!, o);
  if (!zone)
    throw new Error(
      `${o.resource}: ${o.operation} failed: the account has no zone named "${z.zone}"; add it to Cloudflare first, or give zoneId`,
    );
  return zone;
}

/** Whether the stored outputs (both the zone's name and id) are of the zone the new inputs name. */
export function sameZone(olds: Partial<ZoneObjectOutputs>, news: ZoneInputs): boolean {
  return news.zoneId !== undefined ? olds.zoneId === news.zoneId : olds.zone === news.zone;
}

/** Outputs of every hostname resource: its zone, by name and by id. */
export interface ZoneObjectOutputs {
  zone: string;
  zoneId: string;
}

/** Whether `script`, the account-level Worker that what a create found already serves, is this stack's. */
export async function servesOwnWorker(api: CloudflareApi, script: string, owner: string | undefined, o: Operation): Promise<boolean> {
  return owner !== undefined && (await liveOwner(api, { script }, o)) === owner;
}

/** The error of a create that found the thing already there and may not take it over. */
export function takenError(o: Operation, what: string, held: string, importId: string, kind: string): Error {
  return new Error(
    `${o.resource}: create failed: ${what} already exists (${held}) and this stack did not create it. It was left as it is. ` +
      `To manage it from this stack, set adopt: true on the ${kind} (the next up takes it over), or import it: ` +
      `pulumi import 'pulumi-nodejs:dynamic/wfp:${kind}' <resource name> ${importId}`,
  );
}
