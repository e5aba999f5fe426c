/**
 * Tenant, provider side: one resource per customer, so one engine step (and one checkpoint save) per tenant.
 *
 * - check (check.ts): the script's inputs, the secrets, and the site's digest;
 * - diff (pure): the script's diff, plus `secrets.<NAME>` for each secret whose value differs from the stored one (or
 *   its stored hash) or that comes or goes;
 * - create: the assets session and missing buckets (with a site), then one script PUT carrying the secrets as
 *   `secret_text` bindings: 3 calls with a site, 1 without;
 * - update: a script change is one PUT (with every managed secret, other secrets kept by `keep_bindings`); a
 *   secret change alone is one PUT of that secret; a secret removed from the list is one DELETE;
 * - crons: one PUT of the schedules after the script's, only when they change (a change of crons alone uploads nothing);
 * - read: the script (one list of the namespace per run) and its settings, whose bindings name its secrets: a
 *   secret deleted out of band drops out of `secretNames`, so the next diff puts it back;
 * - delete: the script (its secrets and assets go with it), unless another stack's owner tag is on it now.
 *
 * The secrets' values are in the inputs only, as Pulumi secrets: this package's plugin host passes the stored
 * inputs to diff and update, which compare with them. Under Pulumi's own host, which does not, the outputs keep
 * short hashes of the values too (`secretHashes`, a secret output). The script's description is stored once, in
 * the inputs: the outputs keep digests of it (./state.ts).
 */
import type { ProviderRun } from "../../run";
import { sameAssetsDigest } from "../../assets/describe";
import { operation } from "../../api/errors";
import type { ScriptRef } from "../../api/scripts";
import { deleteSecret, updateSecret } from "../../api/secrets";
import { containsUnknown, isPlainObject, isUnknown } from "../../validation";
import { deepEqual } from "../../deep-equal";
import { diffScript } from "../script/diff";
import type { FieldDigests } from "../script/digests";
import { deployScript, keptAssetsDigest, readScript, syncCrons, withCrons } from "../script/lifecycle";
import { deleteOwnedScript } from "../owner";
import type { ScriptOutputs } from "../script/types";
import { checkTenant, type TenantInputs } from "./check";
import {
  compactScript,
  hashesLike,
  SHORT_SECRET_HASH,
  shortSecretHashes,
  storedScript,
  storedTenantInputs,
  tenantInputs,
  type TenantOutputs,
} from "./state";
import { droppedClassFailures } from "../script/durable-objects";
import { entryChanges, type FieldChange, fieldsOf } from "../field-changes";
import { defineProvider, type KeyedDiff, type ResourceMethods } from "../resource-kit";
import { namespaceFailures } from "../namespace-preflight";
import { storageBindingFailures } from "../storage-preflight";
import { TENANT } from "./resource";

export { secretHashesOf, type TenantOutputs } from "./state";

const refOf = (k: { namespace: string; name: string }): ScriptRef => ({ namespace: k.namespace, script: k.name });
const opFor = (k: { namespace: string; name: string }, verb: string) => operation("Tenant", `${k.namespace}/${k.name}`, verb);

/**
 * The managed secrets as stored and as the program has them, in a form that compares entry by entry: the stored
 * hashes and the program's hashed alike (a state written where diff gets no stored inputs), or the stored values
 * (the stored inputs this package's plugin host passes) of the secrets the script still had at the last read. Undefined
 * when neither is there or a value is unknown.
 */
function comparableSecrets(
  olds: Partial<TenantOutputs>,
  secrets: Record<string, string>,
  priorInputs?: Partial<TenantInputs>,
): { before: Record<string, string>; after: Record<string, string> } | undefined {
  if (isUnknown(secrets) || containsUnknown(secrets)) return undefined;
  if (olds.secretHashes !== undefined) return { before: olds.secretHashes, after: hashesLike(olds.secretHashes, secrets) };
  const prior = priorInputs?.secrets;
  if (!isPlainObject(prior) || containsUnknown(prior)) return undefined;
  // A secret deleted out of band is gone from `secretNames` since the refresh: the program's value is new again.
  const present = Array.isArray(olds.secretNames) ? new Set(olds.secretNames) : undefined;
  const before = Object.entries(prior as Record<string, string>).filter(([name]) => present?.has(name) ?? true);
  return { before: Object.fromEntries(before), after: secrets };
}

/** Each managed secret added, rotated or gone, by name; `secrets` as a whole when they cannot be compared. */
function secretChanges(olds: Partial<TenantOutputs>, secrets: Record<string, string>, priorInputs?: Partial<TenantInputs>): FieldChange[] {
  const compared = comparableSecrets(olds, secrets, priorInputs);
  return compared ? entryChanges("secrets", compared.before, compared.after) : [{ path: "secrets", kind: "update" }];
}

/** The program's secrets whose value is new or changed: all of them when they cannot be compared. */
function secretsToPut(olds: Partial<TenantOutputs>, secrets: Record<string, string>, priorInputs?: Partial<TenantInputs>): string[] {
  const compared = comparableSecrets(olds, secrets, priorInputs);
  return Object.keys(secrets).filter((name) => compared === undefined || compared.before[name] !== compared.after[name]);
}

/**
 * diff(olds = stored outputs, compact or full; news = normalized inputs; priorInputs = the stored inputs, where
 * the host passes them). Pure.
 */
export function diffTenant(olds: Partial<TenantOutputs>, news: TenantInputs, priorInputs?: Partial<TenantInputs>): KeyedDiff {
  const script = diffScript(storedScript(olds), news);
  const changedKeys = [...script.changedKeys];
  const secrets = secretChanges(olds, news.secrets, priorInputs);
  // Names are not secret: a secret gone or added is told as such, even where the values are masked (drift reports).
  if (Array.isArray(news.secretNames) && Array.isArray(olds.secretNames) && !deepEqual([...olds.secretNames].sort(), news.secretNames))
    changedKeys.push("secretNames");
  else if (secrets.length > 0) changedKeys.push("secrets");
  const secretsDiffer = changedKeys.length > script.changedKeys.length;
  const fields = [...fieldsOf(script), ...(secretsDiffer ? secrets : [])];
  return { changes: changedKeys.length > 0, replaces: script.replaces, deleteBeforeReplace: false, changedKeys, fields };
}

/**
 * The compact outputs: the script's (see ./state.ts), what users read, and, where diff gets no stored inputs to
 * compare the secrets with, their short hashes.
 */
function outputsOf(script: Partial<ScriptOutputs>, inputs: TenantInputs, run: ProviderRun, keep?: FieldDigests): TenantOutputs {
  const outputs: TenantOutputs = {
    ...(compactScript(script, keep) as TenantOutputs),
    scriptName: inputs.name,
    secretNames: Object.keys(inputs.secrets).sort(),
    assetFiles: inputs.assetFiles,
  };
  if (!run.priorInputs) outputs.secretHashes = shortSecretHashes(inputs.secrets);
  return outputs;
}

const secretList = (secrets: Record<string, string>) => Object.entries(secrets).map(([name, text]) => ({ name, text }));

/** The assets digest the script has now, if ours; the stored one, short or whole, stands for the program's when they agree. */
function deployedDigest(stored: Partial<TenantOutputs>, news: TenantInputs): string | undefined {
  const kept = keptAssetsDigest(storedScript(stored));
  const digest = news.assets?.digest;
  return kept !== undefined && digest !== undefined && sameAssetsDigest(kept, digest) ? digest : kept;
}

/** Splits a Tenant id `<namespace>/<script>`. */
function parseTenantId(id: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = id.split("/");
  if (!namespace || !name || rest.length > 0)
    throw new Error(`Tenant: invalid id ${JSON.stringify(id)}: expected <namespace>/<script name>`);
  return { namespace, name };
}

const tenantMethods: ResourceMethods<TenantInputs, TenantOutputs> = {
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    const { inputs, failures } = await checkTenant(news, run);
    failures.push(...droppedClassFailures(olds.durableObjects, inputs.durableObjects));
    failures.push(...(await namespaceFailures(run, olds, inputs, failures, opFor(inputs, "check"))));
    failures.push(...(await storageBindingFailures(run, olds, inputs, failures, opFor(inputs, "check"))));
    return { inputs: storedTenantInputs(inputs), failures };
  },

  async diff(_id: string, olds: TenantOutputs, news: TenantInputs, _run: ProviderRun, priorInputs?: Partial<TenantInputs>) {
    return diffTenant(olds, tenantInputs(news), priorInputs);
  },

  async create(stored: TenantInputs, run: ProviderRun) {
    const inputs = tenantInputs(stored);
    const api = run.connect(inputs.accountId);
    const script = await deployScript(run, refOf(inputs), inputs, opFor(inputs, "create"), undefined, secretList(inputs.secrets));
    await syncCrons(api, refOf(inputs), undefined, inputs.crons, opFor(inputs, "create"));
    return { id: `${inputs.namespace}/${inputs.name}`, outs: outputsOf(script, inputs, run) };
  },

  async update(_id: string, stored: TenantOutputs, storedNews: TenantInputs, run: ProviderRun, priorInputs?: Partial<TenantInputs>) {
    const news = tenantInputs(storedNews);
    const api = run.connect(news.accountId);
    const ref = refOf(news);
    const op = opFor(news, "update");
    let script: Partial<ScriptOutputs>;
    // The crons have their own endpoint: a change of those alone uploads nothing.
    if (diffScript(storedScript(stored), news).changedKeys.some((k) => k !== "crons")) {
      // Every managed secret rides on the upload; other secrets (ScriptSecrets) are kept.
      script = await deployScript(run, ref, news, op, deployedDigest(stored, news), secretList(news.secrets), storedScript(stored));
    } else {
      const { scriptName: _s, secretNames: _n, secretHashes: _h, assetFiles: _a, ...unchanged } = storedScript(stored) as TenantOutputs;
      script = withCrons(unchanged, news.crons);
      for (const name of secretsToPut(stored, news.secrets, priorInputs))
        await updateSecret(api, ref, { name, text: news.secrets[name]! }, op);
    }
    await syncCrons(api, ref, stored.crons, news.crons, op);
    const key = { accountId: news.accountId, namespace: news.namespace, script: news.name };
    const managed = new Set([...Object.keys(stored.secretHashes ?? {}), ...(stored.secretNames ?? [])]);
    for (const name of managed)
      if (!(name in news.secrets) && !run.secretClaims.scriptSecretManages(key, name)) await deleteSecret(api, ref, name, op);
    return { outs: outputsOf(script, news, run) };
  },

  /** Refresh: the script as readScript sees it, and which managed secrets the settings still list. */
  async read(id: string, stored: Partial<TenantOutputs>, run: ProviderRun) {
    if (stored.etag === undefined) {
      throw new Error(
        `Tenant: ${id} cannot be imported (secret values cannot be read back); import its UserScript, or let Tenant adopt it`,
      );
    }
    const script = storedScript(stored);
    const key = script.namespace && script.name ? { namespace: script.namespace, name: script.name } : parseTenantId(id);
    const found = await readScript(run.connect(stored.accountId), refOf(key), script, opFor(key, "read"));
    if (!found) return {};
    const present = new Set(found.secretNames);
    // Modules cannot be read back: a compact state keeps their digests (a full one, its modules, which readScript kept).
    const outs: Partial<TenantOutputs> = {
      ...compactScript(found.outs, stored.digests),
      scriptName: key.name,
      secretNames: (stored.secretNames ?? []).filter((n) => present.has(n)),
      assetFiles: stored.assetFiles ?? 0,
    };
    if (stored.secretHashes !== undefined)
      outs.secretHashes = Object.fromEntries(
        Object.entries(stored.secretHashes)
          .filter(([name]) => present.has(name))
          .map(([name, hash]) => [name, hash.slice(0, SHORT_SECRET_HASH)]),
      );
    return { id: `${key.namespace}/${key.name}`, props: outs };
  },

  async delete(id: string, props: TenantOutputs, run: ProviderRun) {
    const script = storedScript(props);
    const key = script.namespace && script.name ? { namespace: script.namespace, name: script.name } : parseTenantId(id);
    await deleteOwnedScript(run.connect(props.accountId), refOf(key), props.owner, opFor(key, "delete"), {
      durableObjectClasses: props.durableObjectClasses,
    });
  },
};

export const tenantProvider = defineProvider(tenantMethods, TENANT.wire);
