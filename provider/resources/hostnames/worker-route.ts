/**
 * WorkerRoute: a zone's Worker route, `pattern` → an account-level Worker. On a Cloudflare for SaaS zone, the
 * pattern `*∕*` sends every custom hostname to the dispatch Worker. A route with the same pattern found on create
 * is refused unless `adopt` is set (then it is pointed at this Worker), or it already runs this Worker and the
 * Worker is this stack's (./common.ts).
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:WorkerRoute <name> <zone name>/<pattern>`, e.g. `acme.com/*∕*`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderRun } from "../../run";
import type { RouteObject } from "../../../cloudflare/wire";
import { createRoute, deleteRoute, listRoutes, updateRoute } from "../../api/domains";
import { operation } from "../../api/errors";
import { accountIdProblem } from "../../credentials";
import { type CheckFailure, fieldFailures, scriptNameProblem } from "../../validation";
import { defineProvider, DynamicResource, type KeyedDiff, resourceSpec, unknownPropertyFailures } from "../resource-kit";
import { withNamedWorker } from "../deploy-order";
import { ownerInput, programOwner } from "../owner";
import {
  adoptFailures,
  resolveZone,
  servesOwnWorker,
  sameZone,
  takenError,
  type ZoneInputs,
  zoneFailures,
  zoneInputs,
  type ZoneObjectOutputs,
} from "./common";
import { preflightFailures } from "./preflight";

export interface WorkerRouteArgs {
  /** `host/path`: the host may start with `*` (any subdomain), the path may end with `*`; `*∕*` matches every host. */
  pattern: pulumi.Input<string>;
  /** The account-level Worker the matching requests run. */
  script: pulumi.Input<string>;
  /** The zone by name; or give `zoneId`. A change replaces the route. */
  zone?: pulumi.Input<string>;
  zoneId?: pulumi.Input<string>;
  /** Take over a route with the same pattern that this stack did not create. Default false. */
  adopt?: pulumi.Input<boolean>;
  accountId?: pulumi.Input<string>;
}

export interface WorkerRouteInputs extends ZoneInputs {
  pattern: string;
  script: string;
  adopt: boolean;
  accountId?: string;
  /** The stack's owner tag (set by the resource class). */
  owner?: string;
}

export interface WorkerRouteOutputs extends ZoneObjectOutputs {
  pattern: string;
  script: string;
  adopt: boolean;
  routeId: string;
  accountId?: string;
}

export const WORKER_ROUTE = resourceSpec<WorkerRouteArgs>()({
  kind: "WorkerRoute",
  inputs: ["pattern", "script", "zone", "zoneId", "adopt", "accountId"],
  outputs: ["routeId", "owner"],
});

const PATTERN_RE = /^(?:https?:\/\/)?(?:\*|\*?[a-z0-9.-]*[a-z0-9])\/\S*$/;

/** A route pattern: `host/path`, with Cloudflare's wildcards. */
export function patternProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || !PATTERN_RE.test(value))
    return "must be a route pattern host/path such as shop.example.com/*, *.example.com/* or */* (lowercase host, a path after it)";
  return undefined;
}

const op = (pattern: string, verb: string) => operation("WorkerRoute", pattern, verb);

export function checkWorkerRoute(news: Record<string, unknown>): { inputs: WorkerRouteInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures = unknownPropertyFailures(WORKER_ROUTE, n);
  failures.push(...fieldFailures(n, "pattern", patternProblem, "the route pattern, such as example.com/*"));
  failures.push(...fieldFailures(n, "script", scriptNameProblem, "the name of the account-level Worker the route runs"));
  failures.push(...zoneFailures(n));
  failures.push(...adoptFailures(n));
  failures.push(...fieldFailures(n, "accountId", accountIdProblem));
  const inputs: WorkerRouteInputs = {
    pattern: n.pattern as string,
    script: n.script as string,
    ...zoneInputs(n),
    adopt: (n.adopt as boolean | undefined) ?? false,
    ...ownerInput(n),
  };
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  return { inputs, failures };
}

export function diffWorkerRoute(olds: Partial<WorkerRouteOutputs>, news: WorkerRouteInputs): KeyedDiff {
  const replaces: string[] = [];
  if (!sameZone(olds, news)) replaces.push(news.zoneId !== undefined ? "zoneId" : "zone");
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");
  const changes = [...replaces];
  for (const key of ["pattern", "script"] as const) if (olds[key] !== news[key]) changes.push(key);
  if ((olds.adopt ?? false) !== news.adopt) changes.push("adopt");
  // Routes of two zones coexist, so the new route is made before the old one goes. A pattern is unique in its zone, and
  // only a change of account may still name the same zone (the account given where it was the default): delete first.
  return { changes: changes.length > 0, replaces, deleteBeforeReplace: replaces.includes("accountId"), changedKeys: changes };
}

function toOutputs(r: RouteObject, zone: ZoneObjectOutputs, inputs: { adopt: boolean; accountId?: string }): WorkerRouteOutputs {
  const out: WorkerRouteOutputs = { pattern: r.pattern, script: r.script ?? "", ...zone, adopt: inputs.adopt, routeId: r.id };
  if (inputs.accountId !== undefined) out.accountId = inputs.accountId;
  return out;
}

export const workerRouteProvider = defineProvider<WorkerRouteInputs, WorkerRouteOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    const { inputs, failures } = checkWorkerRoute(news);
    failures.push(...(await preflightFailures(run, olds, inputs, failures, op(inputs.pattern, "check"), "script")));
    return { inputs, failures };
  },

  async diff(_id: string, olds: WorkerRouteOutputs, news: WorkerRouteInputs, run: ProviderRun) {
    const diff = diffWorkerRoute(olds, news);
    if (diff.deleteBeforeReplace)
      run.log.warn(
        `WorkerRoute "${olds.pattern}": replacing it (${diff.replaces?.join(", ")} changed) deletes the route in zone ${olds.zone} ` +
          `before it creates the new one: requests matching ${olds.pattern} do not reach Worker "${olds.script}" until the new route exists`,
      );
    return diff;
  },

  async create(inputs: WorkerRouteInputs, run: ProviderRun) {
    const api = run.connect(inputs.accountId);
    const o = op(inputs.pattern, "create");
    const zone = await resolveZone(api, inputs, o);
    const body = { pattern: inputs.pattern, script: inputs.script };
    const existing = (await listRoutes(api, zone.id, o)).find((r) => r.pattern === inputs.pattern);
    const ours = existing?.script === inputs.script && (await servesOwnWorker(api, inputs.script, inputs.owner, o));
    if (existing && !inputs.adopt && !ours)
      throw takenError(
        o,
        `a route "${inputs.pattern}" in zone ${zone.name}`,
        `to Worker "${existing.script ?? "(none)"}"`,
        `${zone.name}/${inputs.pattern}`,
        "WorkerRoute",
      );
    const r = existing ? await updateRoute(api, zone.id, existing.id, body, o) : await createRoute(api, zone.id, body, o);
    return { id: r.id, outs: toOutputs(r, { zone: zone.name, zoneId: zone.id }, inputs) };
  },

  /** Refresh and import (id: `<zone name>/<pattern>`): the route is found in its zone's list. */
  async read(id: string, stored: Partial<WorkerRouteOutputs>, run: ProviderRun) {
    const importing = stored.routeId === undefined;
    const api = run.connect(stored.accountId);
    const slash = id.indexOf("/");
    const zoneIn: ZoneInputs = importing ? { zone: id.slice(0, slash) } : { zoneId: stored.zoneId };
    const o = op(importing ? id.slice(slash + 1) : stored.pattern!, importing ? "import" : "read");
    if (importing && slash < 1)
      throw new Error(`${o.resource}: import failed: the id must be <zone name>/<pattern>, e.g. example.com/*/* (got "${id}")`);
    const zone = await resolveZone(api, zoneIn, o);
    const routes = await listRoutes(api, zone.id, o);
    const r = importing ? routes.find((x) => x.pattern === id.slice(slash + 1)) : routes.find((x) => x.id === id);
    if (!r) return {};
    const outs = toOutputs(r, { zone: zone.name, zoneId: zone.id }, { adopt: stored.adopt ?? false, accountId: stored.accountId });
    if (!importing) return { id: r.id, props: outs };
    return { id: r.id, props: outs, inputs: { pattern: r.pattern, script: outs.script, zone: zone.name } };
  },

  async update(id: string, olds: WorkerRouteOutputs, news: WorkerRouteInputs, run: ProviderRun) {
    const api = run.connect(news.accountId);
    const r = await updateRoute(api, olds.zoneId, id, { pattern: news.pattern, script: news.script }, op(olds.pattern, "update"));
    return { outs: toOutputs(r, { zone: olds.zone, zoneId: olds.zoneId }, news) };
  },

  async delete(id: string, props: WorkerRouteOutputs, run: ProviderRun) {
    const api = run.connect(props.accountId);
    const o = op(props.pattern, "delete");
    if ((await listRoutes(api, props.zoneId, o)).some((r) => r.id === id)) await deleteRoute(api, props.zoneId, id, o);
  },
});

/** A zone's Worker route. */
export class WorkerRoute extends DynamicResource {
  declare public readonly pattern: pulumi.Output<string>;
  declare public readonly script: pulumi.Output<string>;
  declare public readonly zone: pulumi.Output<string>;
  declare public readonly zoneId: pulumi.Output<string>;
  declare public readonly routeId: pulumi.Output<string>;

  constructor(name: string, args: WorkerRouteArgs, opts?: pulumi.CustomResourceOptions) {
    super(WORKER_ROUTE, name, args, withNamedWorker(args.script, opts), { owner: programOwner() });
  }
}
