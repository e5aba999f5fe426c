/**
 * What a Tenant's state holds. Inputs: check's normalized inputs (the description and the secrets) less what check
 * fills in where the program says nothing (storedTenantInputs; tenantInputs puts it back for diff, create and
 * update), its structured fields as JSON text (TENANT.wire, wire-form.ts). Outputs: what users read (`scriptName`,
 * `etag`, `tags`, `secretNames`, `assetFiles`, `owner`) and, for the diff, a short digest per field of the rest of
 * the script's description (script/digests.ts; one text) and a short assets digest; short hashes of the secrets
 * only where diff is not given the stored inputs (Pulumi's own plugin host).
 * States written by earlier versions (the full description in the outputs too, the hashes) are read as they are:
 * diff, update and read accept every shape, and the next update or refresh writes the compact one. Pure.
 */
import { SHORT_ASSETS_DIGEST } from "../../assets/describe";
import { DEFAULT_MAX_FILES } from "../../assets/manifest";
import { deepEqual } from "../../deep-equal";
import { isUnknown } from "../../validation";
import { DIGESTED_FIELDS } from "../script/diff";
import { type FieldDigests, fieldDigests, storedDigests } from "../script/digests";
import { inferType, type ModuleInput } from "../script/modules";
import { scriptDefaults } from "../script/settings";
import type { ScriptOutputs } from "../script/types";
import type { TenantInputs } from "./check";
import { secretValueHash } from "../script-secret";

/** A Tenant's outputs, compact or (written by earlier versions) full. */
export interface TenantOutputs extends Partial<ScriptOutputs> {
  namespace: string;
  /** The script's name: `scriptName` (states of earlier versions have both). */
  name?: string;
  scriptName: string;
  etag: string;
  /** The managed secrets' names, sorted. */
  secretNames: string[];
  /**
   * Secret name → the first characters of the sha256 of name and value (a secret output; the whole hash in
   * states of earlier versions). Written only where diff does not get the stored inputs, whose values it then
   * compares instead; absent too in a state taken over from a UserScript.
   */
  secretHashes?: Record<string, string>;
  assetFiles: number;
  /** The compact shape's digests of the script's description; absent in a full state. */
  digests?: FieldDigests;
}

/** The hex characters of a secret's hash the compact state keeps: 64 bits. */
export const SHORT_SECRET_HASH = 16;

/** Secret name → full hash of name and value. */
export function secretHashesOf(secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(secrets).map(([name, text]) => [name, secretValueHash(name, text)]));
}

/** The short hashes the compact state stores. */
export const shortSecretHashes = (secrets: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(secretHashesOf(secrets)).map(([name, hash]) => [name, hash.slice(0, SHORT_SECRET_HASH)]));

/** The program's secrets hashed as long as the stored hashes are (short for a secret the state lacks). */
export function hashesLike(stored: Record<string, string>, secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secrets).map(([name, text]) => {
      const hash = secretValueHash(name, text);
      const length = stored[name]?.length ?? 0;
      return [name, hash.slice(0, Math.max(length, SHORT_SECRET_HASH))];
    }),
  );
}

/**
 * The script's part of a stored state as the script's functions take it (read, deployed digest): the deployed
 * etag is the observed one unless stored apart.
 */
export function storedScript(stored: Partial<TenantOutputs>): Partial<ScriptOutputs> & { digests?: FieldDigests } {
  const script: Partial<TenantOutputs> = { ...stored };
  script.name ??= stored.scriptName;
  if (script.deployedEtag === undefined && stored.digests !== undefined) script.deployedEtag = stored.etag;
  return script;
}

/**
 * The compact outputs of a script (full, from a deploy or a read; or already compact). `keep`: digests of fields
 * the source cannot tell (a read cannot read modules back), taken from the stored state when it is compact.
 */
export function compactScript(
  script: Partial<ScriptOutputs> & { digests?: FieldDigests },
  keep?: FieldDigests,
): Partial<ScriptOutputs> & { digests: FieldDigests } {
  const out: Record<string, unknown> = {};
  // The Durable Object classes and tag are what the next migrations start from: kept as they are (a few names).
  // The script's name is the Tenant's `scriptName` output (storedScript reads it back).
  const kept = [
    "namespace",
    "tags",
    "owner",
    "accountId",
    "crons",
    "etag",
    "durableObjectClasses",
    "migrationTag",
    "deployedMigrationTag",
  ] as const;
  for (const key of kept) if (script[key] !== undefined) out[key] = script[key];
  if (script.deployedEtag !== undefined && script.deployedEtag !== script.etag) out.deployedEtag = script.deployedEtag;
  if (script.assetsDigest !== undefined) out.assetsDigest = script.assetsDigest.slice(0, SHORT_ASSETS_DIGEST);
  const digests = { ...(storedDigests(script) ?? fieldDigests(script, DIGESTED_FIELDS)) };
  if (keep !== undefined) {
    for (const key of ["modules", "mainModule"]) {
      if (keep[key] !== undefined) digests[key] = keep[key];
      else delete digests[key];
    }
  }
  out.digests = digests;
  return out as Partial<ScriptOutputs> & { digests: FieldDigests };
}

/**
 * The inputs a Tenant's state stores: check's, less each value check filled in itself: a setting at its default, a
 * module type its name tells, the site's salt when it is the tenant id, its default file limit and empty serving
 * config. Every stored property costs the engine at every step (docs/benchmarks.md).
 */
export function storedTenantInputs(inputs: TenantInputs): Partial<TenantInputs> {
  const stored: Record<string, unknown> = { ...inputs };
  for (const [key, value] of Object.entries(scriptDefaults())) if (deepEqual(stored[key], value)) delete stored[key];
  const id = inputs.tenantId;
  if (Array.isArray(inputs.modules))
    stored.modules = inputs.modules.map((m) => {
      if (m?.type === undefined || m.type !== inferType(m.name, m.path)) return m;
      const { type: _inferred, ...rest } = m;
      return rest;
    });
  const assets = inputs.assets;
  if (assets?.source !== undefined && !isUnknown(assets) && !isUnknown(assets.source)) {
    const { isolationSalt, maxFiles, ...source } = assets.source;
    const { config, ...rest } = assets;
    stored.assets = {
      ...rest,
      ...(deepEqual(config, {}) ? {} : { config }),
      source: {
        ...source,
        ...(isolationSalt === id ? {} : { isolationSalt }),
        ...(maxFiles === DEFAULT_MAX_FILES ? {} : { maxFiles }),
      },
    };
  }
  return stored as Partial<TenantInputs>;
}

/** The inputs diff, create and update work from: stored inputs (either shape) with check's fill-ins back. Pure. */
export function tenantInputs(stored: Partial<TenantInputs>): TenantInputs {
  const inputs = { ...scriptDefaults(), ...stored } as TenantInputs;
  const id = stored.tenantId;
  if (Array.isArray(stored.modules))
    inputs.modules = stored.modules.map((m) =>
      m?.type === undefined && typeof m?.name === "string" ? ({ ...m, type: inferType(m.name, m.path) } as ModuleInput) : m,
    );
  const assets = stored.assets;
  if (assets?.source !== undefined && !isUnknown(assets) && !isUnknown(assets.source))
    inputs.assets = {
      ...assets,
      config: assets.config ?? {},
      source: { ...assets.source, isolationSalt: assets.source.isolationSalt ?? id, maxFiles: assets.source.maxFiles ?? DEFAULT_MAX_FILES },
    };
  return inputs;
}
