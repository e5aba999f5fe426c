/**
 * CustomHostname: a tenant's own hostname on the platform's Cloudflare for SaaS zone. Its validation state is an
 * output (`status`, `sslStatus`: pending → active) with the records to hand the customer (`ownershipVerification`,
 * `sslValidationRecords`); a refresh follows them. Custom hostnames carry no owner marker, so one found on create
 * (in this zone: by hostname; in another: Cloudflare's 1406) is refused unless `adopt` is set.
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:CustomHostname <name> <zone name>/<hostname>`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CustomHostnameObject } from "../../../cloudflare/wire";
import type { ProviderRun } from "../../run";
import {
  createCustomHostname,
  CUSTOM_HOSTNAME_TAKEN,
  deleteCustomHostname,
  findCustomHostname,
  getCustomHostname,
  patchCustomHostname,
} from "../../api/domains";
import { CloudflareApiError, operation } from "../../api/errors";
import { accountIdProblem } from "../../credentials";
import { type CheckFailure, fieldFailures, isPlainObject } from "../../validation";
import { deepEqual } from "../../deep-equal";
import { didYouMean } from "../../did-you-mean";
import { defineProvider, DynamicResource, type KeyedDiff, resourceSpec, unknownPropertyFailures } from "../resource-kit";
import {
  adoptFailures,
  hostnameProblem,
  resolveZone,
  sameZone,
  takenError,
  type ZoneInputs,
  zoneFailures,
  zoneInputs,
  type ZoneObjectOutputs,
} from "./common";
import { preflightFailures } from "./preflight";

export const SSL_METHODS = ["txt", "http", "email"] as const;

export interface CustomHostnameArgs {
  /** The customer's hostname, e.g. `shop.acme.com`. A change replaces it. */
  hostname: pulumi.Input<string>;
  /** The platform's SaaS zone by name; or give `zoneId`. */
  zone?: pulumi.Input<string>;
  zoneId?: pulumi.Input<string>;
  /** How the certificate is validated: `txt` (default), `http` or `email`. */
  sslMethod?: pulumi.Input<string>;
  /** String values Cloudflare keeps with the hostname (the tenant id, say). */
  customMetadata?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** An origin other than the zone's fallback origin. */
  customOriginServer?: pulumi.Input<string>;
  /** Take over the hostname when it exists and this stack did not create it. Default false. */
  adopt?: pulumi.Input<boolean>;
  accountId?: pulumi.Input<string>;
}

export interface CustomHostnameInputs extends ZoneInputs {
  hostname: string;
  sslMethod: string;
  customMetadata?: Record<string, string>;
  customOriginServer?: string;
  adopt: boolean;
  accountId?: string;
}

export interface CustomHostnameOutputs extends ZoneObjectOutputs {
  hostname: string;
  sslMethod: string;
  customMetadata?: Record<string, string>;
  customOriginServer?: string;
  adopt: boolean;
  accountId?: string;
  customHostnameId: string;
  /** `pending` until the customer's DNS proves ownership, then `active`. */
  status: string;
  /** The certificate: `pending_validation` → `active`. */
  sslStatus: string;
  /** The TXT record proving ownership, while pending: `{type, name, value}`. */
  ownershipVerification?: { type?: string; name?: string; value?: string };
  /** The certificate's validation records, while pending. */
  sslValidationRecords: Array<Record<string, unknown>>;
}

export const CUSTOM_HOSTNAME = resourceSpec<CustomHostnameArgs>()({
  kind: "CustomHostname",
  inputs: ["hostname", "zone", "zoneId", "sslMethod", "customMetadata", "customOriginServer", "adopt", "accountId"],
  outputs: ["customHostnameId", "status", "sslStatus", "ownershipVerification", "sslValidationRecords"],
});

const op = (hostname: string, verb: string) => operation("CustomHostname", hostname, verb);

function metadataProblem(value: unknown): string | undefined {
  if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== "string"))
    return 'must be an object of string values, such as { tenant: "acme" }';
  return undefined;
}

export function checkCustomHostname(news: Record<string, unknown>): { inputs: CustomHostnameInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(CUSTOM_HOSTNAME, n);
  failures.push(...fieldFailures(n, "hostname", hostnameProblem, "the customer's hostname"));
  failures.push(...zoneFailures(n));
  failures.push(
    ...fieldFailures(n, "sslMethod", (v) =>
      SSL_METHODS.includes(v as never) ? undefined : `must be one of ${SSL_METHODS.join(", ")}${didYouMean(v, SSL_METHODS)}`,
    ),
  );
  failures.push(...fieldFailures(n, "customMetadata", metadataProblem));
  failures.push(...fieldFailures(n, "customOriginServer", hostnameProblem));
  failures.push(...adoptFailures(n));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  const inputs: CustomHostnameInputs = {
    hostname: n.hostname as string,
    ...zoneInputs(n),
    sslMethod: (n.sslMethod as string | undefined) ?? "txt",
    adopt: (n.adopt as boolean | undefined) ?? false,
  };
  if (n.customMetadata !== undefined) inputs.customMetadata = n.customMetadata as Record<string, string>;
  if (n.customOriginServer !== undefined) inputs.customOriginServer = n.customOriginServer as string;
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs, failures };
}

export function diffCustomHostname(olds: Partial<CustomHostnameOutputs>, news: CustomHostnameInputs): KeyedDiff {
  const replaces: string[] = [];
  if (olds.hostname !== news.hostname) replaces.push("hostname");
  if (!sameZone(olds, news)) replaces.push(news.zoneId !== undefined ? "zoneId" : "zone");
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");
  const changes = [...replaces];
  if ((olds.sslMethod ?? "txt") !== news.sslMethod) changes.push("sslMethod");
  if (!deepEqual(olds.customMetadata ?? {}, news.customMetadata ?? {})) changes.push("customMetadata");
  if ((olds.customOriginServer ?? "") !== (news.customOriginServer ?? "")) changes.push("customOriginServer");
  if ((olds.adopt ?? false) !== news.adopt) changes.push("adopt");
  // A hostname exists once: a replace of the same hostname deletes first.
  const same = !replaces.includes("hostname");
  return { changes: changes.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && same, changedKeys: changes };
}

/** What a replacement costs: a new custom hostname is pending until the customer validates it again. */
function replacementWarning(olds: CustomHostnameOutputs, news: CustomHostnameInputs, diff: KeyedDiff): string {
  const validate =
    `the customer must validate ${news.hostname} again: the new custom hostname has a new TXT record (ownershipVerification) ` +
    "to set in their DNS, and it is pending until then";
  if (!diff.deleteBeforeReplace) return `CustomHostname "${news.hostname}": replaces ${olds.hostname}, deleted once it exists; ${validate}`;
  return (
    `CustomHostname "${olds.hostname}": replacing it (${diff.replaces?.join(", ")} changed) deletes it ` +
    `before it creates the new one, as Cloudflare holds a hostname once: ${olds.hostname} serves nothing from then on, and ${validate}`
  );
}

function body(inputs: CustomHostnameInputs): Record<string, unknown> {
  return {
    ssl: { method: inputs.sslMethod, type: "dv" },
    custom_metadata: inputs.customMetadata ?? {},
    custom_origin_server: inputs.customOriginServer ?? "",
  };
}

function toOutputs(
  ch: CustomHostnameObject,
  zone: ZoneObjectOutputs,
  inputs: { adopt: boolean; accountId?: string },
): CustomHostnameOutputs {
  const out: CustomHostnameOutputs = {
    hostname: ch.hostname,
    ...zone,
    sslMethod: ch.ssl?.method ?? "txt",
    adopt: inputs.adopt,
    customHostnameId: ch.id,
    status: ch.status ?? "pending",
    sslStatus: ch.ssl?.status ?? "pending_validation",
    sslValidationRecords: (ch.ssl?.validation_records ?? []).map((r) => ({ ...r })),
  };
  if (ch.custom_metadata && Object.keys(ch.custom_metadata).length > 0) out.customMetadata = { ...ch.custom_metadata };
  if (ch.custom_origin_server) out.customOriginServer = ch.custom_origin_server;
  if (ch.ownership_verification) out.ownershipVerification = { ...ch.ownership_verification };
  if (inputs.accountId !== undefined) out.accountId = inputs.accountId;
  return out;
}

export const customHostnameProvider = defineProvider<CustomHostnameInputs, CustomHostnameOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    const { inputs, failures } = checkCustomHostname(news);
    failures.push(...(await preflightFailures(run, olds, inputs, failures, op(inputs.hostname, "check"))));
    return { inputs, failures };
  },

  async diff(_id: string, olds: CustomHostnameOutputs, news: CustomHostnameInputs, run: ProviderRun) {
    const diff = diffCustomHostname(olds, news);
    if (diff.replaces?.length) run.log.warn(replacementWarning(olds, news, diff));
    return diff;
  },

  async create(inputs: CustomHostnameInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs.hostname, "create");
    const zone = await resolveZone(api, inputs, o);
    const where = { zone: zone.name, zoneId: zone.id };
    const importId = `${zone.name}/${inputs.hostname}`;
    const existing = await findCustomHostname(api, zone.id, inputs.hostname, o);
    if (existing && !inputs.adopt)
      throw takenError(
        o,
        `the custom hostname "${inputs.hostname}"`,
        `in zone ${zone.name}, status ${existing.status}`,
        importId,
        "CustomHostname",
      );
    if (existing) {
      const ch = await patchCustomHostname(api, zone.id, existing.id, body(inputs), o);
      return { id: ch.id, outs: toOutputs(ch, where, inputs) };
    }
    try {
      const ch = await createCustomHostname(api, zone.id, { hostname: inputs.hostname, ...body(inputs) }, o);
      return { id: ch.id, outs: toOutputs(ch, where, inputs) };
    } catch (error) {
      if (!(error instanceof CloudflareApiError) || !error.hasCode(CUSTOM_HOSTNAME_TAKEN)) throw error;
      throw new Error(
        `${o.resource}: create failed: the custom hostname "${inputs.hostname}" is already in use in another zone (Cloudflare error 1406), ` +
          "which adopt cannot take over: remove it there first.",
      );
    }
  },

  /** Refresh and import (id: `<zone name>/<hostname>`). */
  async read(id: string, stored: Partial<CustomHostnameOutputs>, run: ProviderRun) {
    const importing = stored.customHostnameId === undefined;
    const api = run.connect(stored.accountId);
    if (!importing) {
      const ch = await getCustomHostname(api, stored.zoneId!, id, op(stored.hostname ?? id, "read"));
      if (!ch) return {};
      const outs = toOutputs(
        ch,
        { zone: stored.zone!, zoneId: stored.zoneId! },
        { adopt: stored.adopt ?? false, accountId: stored.accountId },
      );
      return { id: ch.id, props: outs };
    }
    const slash = id.indexOf("/");
    const o = op(id.slice(slash + 1), "import");
    if (slash < 1) throw new Error(`${o.resource}: import failed: the id must be <zone name>/<hostname> (got "${id}")`);
    const zone = await resolveZone(api, { zone: id.slice(0, slash) }, o);
    const ch = await findCustomHostname(api, zone.id, id.slice(slash + 1), o);
    if (!ch) return {};
    const outs = toOutputs(ch, { zone: zone.name, zoneId: zone.id }, { adopt: false });
    const inputs: Record<string, unknown> = { hostname: outs.hostname, zone: zone.name, sslMethod: outs.sslMethod };
    if (outs.customMetadata) inputs.customMetadata = outs.customMetadata;
    if (outs.customOriginServer) inputs.customOriginServer = outs.customOriginServer;
    return { id: ch.id, props: outs, inputs };
  },

  async update(id: string, olds: CustomHostnameOutputs, news: CustomHostnameInputs, run: ProviderRun) {
    const api = run.connect(news.accountId);
    const ch = await patchCustomHostname(api, olds.zoneId, id, body(news), op(news.hostname, "update"));
    return { outs: toOutputs(ch, { zone: olds.zone, zoneId: olds.zoneId }, news) };
  },

  async delete(id: string, props: CustomHostnameOutputs, run: ProviderRun) {
    await deleteCustomHostname(run.connect(props.accountId), props.zoneId, id, op(props.hostname, "delete"));
  },
});

/** A Cloudflare for SaaS custom hostname. */
export class CustomHostname extends DynamicResource {
  declare public readonly hostname: pulumi.Output<string>;
  declare public readonly zone: pulumi.Output<string>;
  declare public readonly zoneId: pulumi.Output<string>;
  declare public readonly customHostnameId: pulumi.Output<string>;
  declare public readonly status: pulumi.Output<string>;
  declare public readonly sslStatus: pulumi.Output<string>;
  declare public readonly ownershipVerification: pulumi.Output<{ type?: string; name?: string; value?: string } | undefined>;
  declare public readonly sslValidationRecords: pulumi.Output<Array<Record<string, unknown>>>;

  constructor(name: string, args: CustomHostnameArgs, opts?: pulumi.CustomResourceOptions) {
    super(CUSTOM_HOSTNAME, name, args, opts);
  }
}
