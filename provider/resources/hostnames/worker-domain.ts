/**
 * WorkerDomain: a Workers custom domain, a hostname of one of the account's zones served by an account-level Worker
 * (the platform's dispatch Worker, say). Cloudflare's PUT moves a hostname from any Worker to the one it names, so
 * create first looks the hostname up and refuses one already attached unless `adopt` is set, or unless it already
 * serves this Worker and the Worker is this stack's (./common.ts).
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:WorkerDomain <name> <hostname>`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CloudflareApi } from "../../api/client";
import type { ProviderRun } from "../../run";
import type { DomainObject } from "../../../cloudflare/wire";
import { deleteDomain, findDomain, putDomain } from "../../api/domains";
import { operation } from "../../api/errors";
import { accountIdProblem } from "../../credentials";
import { type CheckFailure, fieldFailures, scriptNameProblem } from "../../validation";
import { defineProvider, DynamicResource, type KeyedDiff, resourceSpec, unknownPropertyFailures } from "../resource-kit";
import { withNamedWorker } from "../deploy-order";
import { ownerInput, programOwner } from "../owner";
import {
  adoptFailures,
  servesOwnWorker,
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

export interface WorkerDomainArgs {
  /** The hostname, in the zone: `shop.example.com`, or the zone's apex. A change replaces the domain. */
  hostname: pulumi.Input<string>;
  /** The account-level Worker that serves it; a change moves the hostname in place. */
  service: pulumi.Input<string>;
  /** The zone by name; or give `zoneId`. */
  zone?: pulumi.Input<string>;
  zoneId?: pulumi.Input<string>;
  /** Default `production`. */
  environment?: pulumi.Input<string>;
  /** Take over the hostname when another Worker (or another stack) already has it. Default false. */
  adopt?: pulumi.Input<boolean>;
  accountId?: pulumi.Input<string>;
}

export interface WorkerDomainInputs extends ZoneInputs {
  hostname: string;
  service: string;
  environment: string;
  adopt: boolean;
  accountId?: string;
  /** The stack's owner tag (set by the resource class). */
  owner?: string;
}

export interface WorkerDomainOutputs extends ZoneObjectOutputs {
  hostname: string;
  service: string;
  environment: string;
  adopt: boolean;
  domainId: string;
  accountId?: string;
}

export const WORKER_DOMAIN = resourceSpec<WorkerDomainArgs>()({
  kind: "WorkerDomain",
  inputs: ["hostname", "service", "zone", "zoneId", "environment", "adopt", "accountId"],
  outputs: ["domainId", "owner"],
});

const op = (hostname: string, verb: string) => operation("WorkerDomain", hostname, verb);

export function checkWorkerDomain(news: Record<string, unknown>): { inputs: WorkerDomainInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(WORKER_DOMAIN, n);
  failures.push(...fieldFailures(n, "hostname", hostnameProblem, "the hostname the Worker serves"));
  failures.push(...fieldFailures(n, "service", scriptNameProblem, "the name of the account-level Worker that serves it"));
  failures.push(...zoneFailures(n));
  failures.push(
    ...fieldFailures(n, "environment", (v) =>
      typeof v === "string" && v !== "" ? undefined : "must be a non-empty string, such as production",
    ),
  );
  failures.push(...adoptFailures(n));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  const inputs: WorkerDomainInputs = {
    hostname: n.hostname as string,
    service: n.service as string,
    ...zoneInputs(n),
    environment: (n.environment as string | undefined) ?? "production",
    adopt: (n.adopt as boolean | undefined) ?? false,
    ...ownerInput(n),
  };
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs, failures };
}

export function diffWorkerDomain(olds: Partial<WorkerDomainOutputs>, news: WorkerDomainInputs): KeyedDiff {
  const replaces: string[] = [];
  if (olds.hostname !== news.hostname) replaces.push("hostname");
  if (!sameZone(olds, news)) replaces.push(news.zoneId !== undefined ? "zoneId" : "zone");
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");
  const changes = [...replaces];
  if (olds.service !== news.service) changes.push("service");
  if ((olds.environment ?? "production") !== news.environment) changes.push("environment");
  if ((olds.adopt ?? false) !== news.adopt) changes.push("adopt");
  return {
    changes: changes.length > 0,
    replaces,
    deleteBeforeReplace: replaces.includes("hostname") ? false : replaces.length > 0,
    changedKeys: changes,
  };
}

function toOutputs(d: DomainObject, inputs: { adopt: boolean; accountId?: string }): WorkerDomainOutputs {
  const out: WorkerDomainOutputs = {
    hostname: d.hostname,
    service: d.service,
    environment: d.environment ?? "production",
    zone: d.zone_name,
    zoneId: d.zone_id,
    adopt: inputs.adopt,
    domainId: d.id,
  };
  if (inputs.accountId !== undefined) out.accountId = inputs.accountId;
  return out;
}

async function put(api: CloudflareApi, inputs: WorkerDomainInputs, verb: string): Promise<DomainObject> {
  const o = op(inputs.hostname, verb);
  const zone = await resolveZone(api, inputs, o);
  return putDomain(api, { hostname: inputs.hostname, service: inputs.service, zone_id: zone.id, environment: inputs.environment }, o);
}

export const workerDomainProvider = defineProvider<WorkerDomainInputs, WorkerDomainOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    const { inputs, failures } = checkWorkerDomain(news);
    failures.push(...(await preflightFailures(run, olds, inputs, failures, op(inputs.hostname, "check"), "service")));
    return { inputs, failures };
  },

  async diff(_id: string, olds: WorkerDomainOutputs, news: WorkerDomainInputs, run: ProviderRun) {
    const diff = diffWorkerDomain(olds, news);
    if (diff.deleteBeforeReplace)
      run.log.warn(
        `WorkerDomain "${olds.hostname}": replacing it (${diff.replaces?.join(", ")} changed) deletes the custom domain before it ` +
          `creates the new one, as a hostname has one custom domain at a time: ${olds.hostname} serves nothing until the new one exists`,
      );
    return diff;
  },

  async create(inputs: WorkerDomainInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs.hostname, "create");
    const existing = await findDomain(api, inputs.hostname, o);
    const ours =
      existing?.service === inputs.service &&
      (existing.environment ?? "production") === inputs.environment &&
      (await servesOwnWorker(api, inputs.service, inputs.owner, o));
    if (existing && !inputs.adopt && !ours)
      throw takenError(
        o,
        `a custom domain on "${inputs.hostname}"`,
        `served by Worker "${existing.service}"`,
        inputs.hostname,
        "WorkerDomain",
      );
    const d = await put(api, inputs, "create");
    return { id: d.id, outs: toOutputs(d, inputs) };
  },

  /** Refresh and import (id: the hostname). Gone when the hostname has no domain, or another one than ours. */
  async read(id: string, stored: Partial<WorkerDomainOutputs>, run: ProviderRun) {
    const importing = stored.domainId === undefined;
    const hostname = importing ? id : stored.hostname!;
    const api = run.connect(stored.accountId);
    const d = await findDomain(api, hostname, op(hostname, importing ? "import" : "read"));
    if (!d || (!importing && d.id !== id)) return {};
    const outs = toOutputs(d, { adopt: stored.adopt ?? false, accountId: stored.accountId });
    if (!importing) return { id: d.id, props: outs };
    const inputs = { hostname: d.hostname, service: d.service, zoneId: d.zone_id, environment: outs.environment };
    return { id: d.id, props: outs, inputs };
  },

  async update(_id: string, _olds: WorkerDomainOutputs, news: WorkerDomainInputs, run: ProviderRun) {
    const d = await put(run.connect(news.accountId), news, "update");
    return { outs: toOutputs(d, news) };
  },

  async delete(id: string, props: WorkerDomainOutputs, run: ProviderRun) {
    const api = run.connect(props.accountId);
    const o = op(props.hostname, "delete");
    const d = await findDomain(api, props.hostname, o);
    // Gone, or the hostname went to a domain this stack does not know: nothing of ours to delete.
    if (d?.id === id) await deleteDomain(api, id, o);
  },
});

/** A Workers custom domain. */
export class WorkerDomain extends DynamicResource {
  declare public readonly hostname: pulumi.Output<string>;
  declare public readonly service: pulumi.Output<string>;
  declare public readonly zone: pulumi.Output<string>;
  declare public readonly zoneId: pulumi.Output<string>;
  declare public readonly environment: pulumi.Output<string>;
  declare public readonly domainId: pulumi.Output<string>;

  constructor(name: string, args: WorkerDomainArgs, opts?: pulumi.CustomResourceOptions) {
    super(WORKER_DOMAIN, name, args, withNamedWorker(args.service, opts), { owner: programOwner() });
  }
}
