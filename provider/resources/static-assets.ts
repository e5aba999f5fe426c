/**
 * StaticAssets: a directory of static files uploaded for one script: a user Worker of a dispatch namespace, or an
 * account-level Worker.
 *
 * Lifecycle, top to bottom:
 * - check: validate inputs, build the manifest (walk + hash, no API call) and add `digest`, `fileCount` and
 *   `totalBytes` to the normalized inputs;
 * - diff: pure; the digest decides whether there is anything to upload; `namespace`, `scriptName` and
 *   `accountId` are identity (replace);
 * - create / update: an upload session and the missing buckets (provider/assets/upload.ts); an update whose
 *   digest did not change (only the source description moved) makes no API call;
 * - read: assets cannot be listed back, so it returns the stored outputs while the namespace exists, `{}` once it
 *   is gone;
 * - delete: nothing to call. Uploaded files belong to the namespace and are served only through a script version
 *   that references them; the UserScript owns that.
 *
 * The `attachment` output (secret: it carries a one-hour upload token) is what UserScript takes as `assets`;
 * see provider/assets/attach.ts.
 */
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderRun } from "../run";
import { operation } from "../api/errors";
import { getNamespace } from "../api/namespaces";
import { accountIdProblem } from "../credentials";
import type { AssetsAttachment } from "../assets/attach";
import { assetConfigFailures, toWireConfig, type AssetConfig } from "../assets/serving-config";
import { type AssetDescriptions, describeAssets } from "../assets/describe";
import { DEFAULT_MAX_FILES, HASH_FORMULA, ManifestError, MAX_FILES_CEILING } from "../assets/manifest";
import { DEFAULT_UPLOAD_CONCURRENCY, MAX_UPLOAD_CONCURRENCY, uploadAssets } from "../assets/upload";
import {
  containsUnknown,
  fieldFailures,
  isImportCheck,
  isUnknown,
  namespaceNameProblem,
  scriptNameProblem,
  type CheckFailure,
} from "../validation";
import { deepEqual } from "../deep-equal";
import { withNamedNamespace } from "./deploy-order";
import { namespaceFailures } from "./namespace-preflight";
import { defineProvider, DynamicResource, resourceSpec, unknownPropertyFailures, type KeyedDiff } from "./resource-kit";

export type { AssetsAttachment } from "../assets/attach";
export type { AssetConfig } from "../assets/serving-config";

/** Arguments of a {@link StaticAssets} resource. */
export interface StaticAssetsArgs {
  /** The dispatch namespace of a user Worker; omit it for an account-level Worker. Changing it replaces the resource. */
  namespace?: pulumi.Input<string>;
  /**
   * The user script the assets are for: the upload session is opened for it. The script need not exist yet;
   * pass the `attachment` output to the UserScript's `assets`. Changing it replaces the resource.
   */
  scriptName: pulumi.Input<string>;
  /**
   * The directory to upload, absolute or relative to the Pulumi project directory. Stored relative to the
   * project directory when inside it, so moving the checkout changes nothing. The diff depends only on the
   * files' paths, contents and types and on `config`, never on where the directory is.
   *
   * `.assetsignore` in the directory leaves files out (gitignore syntax). `_headers` and `_redirects` at its
   * top are not uploaded as files but sent as part of the asset config, as Cloudflare does.
   */
  directory: pulumi.Input<string>;
  /** fast-glob patterns (relative to `directory`) of files to upload; default all (`**`, dot files included). */
  include?: pulumi.Input<pulumi.Input<string>[]>;
  /** fast-glob patterns of files to leave out, in addition to `.assetsignore`. */
  exclude?: pulumi.Input<pulumi.Input<string>[]>;
  /** How the assets are served: `htmlHandling`, `notFoundHandling`, `runWorkerFirst`. */
  config?: pulumi.Input<AssetConfig>;
  /**
   * Salts every file hash, e.g. with the tenant id, so that tenants sharing a namespace never share (or learn
   * about) each other's uploaded files. Changing it uploads every file again.
   */
  isolationSalt?: pulumi.Input<string>;
  /** The most files allowed; default 100,000 (Workers Paid); 20,000 on the Free plan. */
  maxFiles?: pulumi.Input<number>;
  /** Upload requests in flight; default 3. */
  uploadConcurrency?: pulumi.Input<number>;
  /** The Cloudflare account id; defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

/** Normalized inputs, as check() returns them. */
export interface StaticAssetsInputs {
  namespace?: string;
  scriptName: string;
  directory: string;
  include?: string[];
  exclude?: string[];
  config?: AssetConfig;
  isolationSalt?: string;
  maxFiles: number;
  uploadConcurrency: number;
  accountId?: string;
  /** Set by check from the files (absent while an input is unknown during preview). */
  digest: string;
  fileCount: number;
  totalBytes: number;
}

/** Outputs in state: the inputs, plus what read can reproduce (it echoes them) and the attachment. */
export interface StaticAssetsOutputs extends StaticAssetsInputs {
  /** The per-file hash formula ({@link HASH_FORMULA}). */
  hashFormula: string;
  /** Files (distinct contents) the last create/update uploaded; 0 when the server already had them all. */
  uploadedFiles: number;
  /** For UserScript `assets` (secret). */
  attachment: AssetsAttachment;
}

/** Inputs the program gives; `digest`, `fileCount` and `totalBytes` are inputs too, but set by check from the files. */
const INPUT_KEYS = [
  "namespace",
  "scriptName",
  "directory",
  "include",
  "exclude",
  "config",
  "isolationSalt",
  "maxFiles",
  "uploadConcurrency",
  "accountId",
] as const;
const COMPUTED_INPUT_KEYS = ["digest", "fileCount", "totalBytes"] as const;

export const STATIC_ASSETS = resourceSpec<StaticAssetsArgs>()({
  kind: "StaticAssets",
  inputs: INPUT_KEYS,
  outputs: [...COMPUTED_INPUT_KEYS, "hashFormula", "uploadedFiles", "attachment"],
});

/** `<namespace>/<script>`, or `<script>` for an account-level Worker. */
const idOf = (ns: string | undefined, script: string) => (ns === undefined ? script : `${ns}/${script}`);
const op = (ns: string | undefined, script: string, verb: string) => operation("StaticAssets", idOf(ns, script), verb);

/** Relative (POSIX) to the current directory, i.e. the Pulumi project, when inside it; else absolute. */
export function normalizeDirectory(directory: string, cwd = process.cwd()): string {
  const abs = path.resolve(cwd, directory);
  const rel = path.relative(cwd, abs);
  if (rel === "") return ".";
  if (rel.startsWith("..") || path.isAbsolute(rel)) return abs;
  return rel.split(path.sep).join("/");
}

export function patternsFailures(property: string, value: unknown): CheckFailure[] {
  if (value === undefined || isUnknown(value)) return [];
  if (!Array.isArray(value)) return [{ property, reason: "must be a list of glob patterns" }];
  const failures: CheckFailure[] = [];
  value.forEach((p, i) => {
    if (isUnknown(p)) return;
    if (typeof p !== "string" || p === "") failures.push({ property: `${property}[${i}]`, reason: "must be a non-empty glob pattern" });
    else if (p.startsWith("/") || p.split("/").includes("..")) {
      failures.push({
        property: `${property}[${i}]`,
        reason: `must be relative to the directory, without a leading "/" or ".." (got ${JSON.stringify(p)})`,
      });
    }
  });
  return failures;
}

function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (value === undefined || isUnknown(value)) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    return `must be a whole number from ${min} to ${max}`;
  return undefined;
}

/** Validates inputs (pure). */
export function staticAssetsFailures(n: Record<string, unknown>): CheckFailure[] {
  const failures: CheckFailure[] = [
    ...fieldFailures(n, "namespace", namespaceNameProblem),
    ...fieldFailures(n, "scriptName", scriptNameProblem, "the user script the assets are for"),
    ...fieldFailures(
      n,
      "directory",
      (v) => (typeof v !== "string" || v === "" ? "must be a non-empty path" : undefined),
      "the directory to upload",
    ),
  ];
  failures.push(...patternsFailures("include", n.include), ...patternsFailures("exclude", n.exclude), ...assetConfigFailures(n.config));
  if (n.isolationSalt !== undefined && !isUnknown(n.isolationSalt)) {
    if (typeof n.isolationSalt !== "string") failures.push({ property: "isolationSalt", reason: "must be a string, e.g. the tenant id" });
    else if (n.isolationSalt.includes("\0")) failures.push({ property: "isolationSalt", reason: "must not contain a NUL character" });
  }
  for (const [key, min, max] of [
    ["maxFiles", 1, MAX_FILES_CEILING],
    ["uploadConcurrency", 1, MAX_UPLOAD_CONCURRENCY],
  ] as const) {
    const p = integerProblem(n[key], min, max);
    if (p) failures.push({ property: key, reason: p });
  }
  failures.push(...fieldFailures(n, "accountId", accountIdProblem), ...unknownPropertyFailures(STATIC_ASSETS, n));
  return failures;
}

/**
 * check(): validate, normalize, and add the digest, file count and size from the directory; the description is
 * kept in `described` for the upload of the same run.
 */
export async function checkStaticAssets(
  news: Record<string, unknown>,
  described: AssetDescriptions,
): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
  const n = { ...news };
  // Computed fields come only from the files, never from the program.
  delete n.digest;
  delete n.fileCount;
  delete n.totalBytes;
  const failures = staticAssetsFailures(n);
  if (failures.length) return { inputs: n, failures };

  const inputs: Record<string, unknown> = {
    scriptName: n.scriptName,
    directory: isUnknown(n.directory) ? n.directory : normalizeDirectory(n.directory as string),
    maxFiles: n.maxFiles ?? DEFAULT_MAX_FILES,
    uploadConcurrency: n.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
  };
  for (const key of ["namespace", "include", "exclude", "isolationSalt", "accountId"] as const) {
    const v = n[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) inputs[key] = v; // [] means the same as unset
  }
  if (n.config !== undefined && (isUnknown(n.config) || Object.values(n.config as object).some((v) => v !== undefined)))
    inputs.config = n.config;

  const sourceKeys = ["directory", "include", "exclude", "config", "isolationSalt", "maxFiles"];
  if (sourceKeys.some((k) => containsUnknown(inputs[k]))) return { inputs, failures }; // preview: the digest is unknown
  try {
    const settings = toWireConfig(inputs.config as AssetConfig | undefined, {});
    const { manifest, digest } = await described.describe(inputs as unknown as StaticAssetsInputs, settings);
    inputs.digest = digest;
    inputs.fileCount = manifest.files.length;
    inputs.totalBytes = manifest.totalBytes;
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    failures.push({ property: error.property, reason: error.message });
  }
  return { inputs, failures };
}

/** diff(): pure. Olds are the stored outputs (they repeat the inputs). */
export function diffStaticAssets(olds: Partial<StaticAssetsOutputs>, news: Partial<StaticAssetsInputs>): KeyedDiff {
  const replaces = (["namespace", "scriptName", "accountId"] as const).filter((k) => (olds[k] ?? undefined) !== (news[k] ?? undefined));
  const changes: string[] = [...replaces];
  if (news.digest === undefined || olds.digest !== news.digest) changes.push("digest");
  // The source description: not part of the digest, but attach.ts rebuilds the manifest from it.
  for (const key of ["directory", "include", "exclude", "isolationSalt", "maxFiles"] as const) {
    if (!deepEqual(olds[key] ?? null, news[key] ?? null)) changes.push(key);
  }
  return { changes: changes.length > 0, replaces, deleteBeforeReplace: false, changedKeys: changes };
}

function attachmentFor(inputs: StaticAssetsInputs, config: Record<string, unknown>, completionToken: string | undefined): AssetsAttachment {
  const source: AssetsAttachment["source"] = { directory: inputs.directory, maxFiles: inputs.maxFiles };
  if (inputs.include) source.include = inputs.include;
  if (inputs.exclude) source.exclude = inputs.exclude;
  if (inputs.isolationSalt !== undefined) source.isolationSalt = inputs.isolationSalt;
  const attachment: AssetsAttachment = {
    digest: inputs.digest,
    config,
    source,
    uploadedFor:
      inputs.namespace === undefined ? { scriptName: inputs.scriptName } : { namespace: inputs.namespace, scriptName: inputs.scriptName },
  };
  if (completionToken) attachment.completionToken = completionToken;
  return attachment;
}

/** Uploads what the server lacks of the manifest check made (built again when this process has none), and returns the outputs. */
async function upload(run: ProviderRun, inputs: StaticAssetsInputs, verb: string): Promise<StaticAssetsOutputs> {
  const api = run.connect(inputs.accountId);
  const { namespace, scriptName } = inputs;
  const { resource } = op(namespace, scriptName, verb);
  const described = run.assets.take(inputs.digest) ?? (await describeAssets(inputs, toWireConfig(inputs.config, {})));
  const { manifest, config, digest } = described;
  if (inputs.digest && digest !== inputs.digest) {
    run.log.warn(`${resource}: the files changed between preview and ${verb}; uploading them as they are now`);
  }
  const current: StaticAssetsInputs = { ...inputs, digest, fileCount: manifest.files.length, totalBytes: manifest.totalBytes };
  const result = await uploadAssets(api, { namespace, script: scriptName }, manifest.files, {
    resource,
    concurrency: inputs.uploadConcurrency,
    salt: inputs.isolationSalt,
  });
  return {
    ...current,
    hashFormula: HASH_FORMULA,
    uploadedFiles: result.uploadedFiles,
    attachment: attachmentFor(current, config, result.completionToken),
  };
}

function pickInputs(stored: Partial<StaticAssetsOutputs>): Partial<StaticAssetsInputs> {
  const inputs: Record<string, unknown> = {};
  for (const key of [...INPUT_KEYS, ...COMPUTED_INPUT_KEYS]) if (stored[key] !== undefined) inputs[key] = stored[key];
  return inputs as Partial<StaticAssetsInputs>;
}

export const staticAssetsProvider = defineProvider<StaticAssetsInputs, StaticAssetsOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    const { inputs, failures } = await checkStaticAssets(news, run.assets);
    // `pulumi import` checks the inputs read back against themselves, and the API cannot tell the directory.
    const importCheck = isImportCheck(olds, news, "directory");
    const checked = importCheck ? failures.filter((f) => f.property !== "directory") : failures;
    const checkOp = op(inputs.namespace as string | undefined, inputs.scriptName as string, "check");
    checked.push(...(await namespaceFailures(run, olds, inputs, checked, checkOp)));
    // Partial while a failure or an unknown (preview) leaves fields out.
    return { inputs: inputs as Partial<StaticAssetsInputs>, failures: checked };
  },

  async diff(_id: string, olds: StaticAssetsOutputs, news: StaticAssetsInputs) {
    return diffStaticAssets(olds, news);
  },

  async create(inputs: StaticAssetsInputs, run: ProviderRun) {
    const outs = await upload(run, inputs, "create");
    return { id: idOf(outs.namespace, outs.scriptName), outs };
  },

  async update(_id: string, olds: StaticAssetsOutputs, n: StaticAssetsInputs, run: ProviderRun) {
    if (olds.digest === n.digest && olds.attachment) {
      // Same files and config: only the source description moved. No session, no upload.
      const attachment = attachmentFor(n, olds.attachment.config, olds.attachment.completionToken);
      return { outs: { ...n, hashFormula: HASH_FORMULA, uploadedFiles: 0, attachment } satisfies StaticAssetsOutputs };
    }
    return { outs: await upload(run, n, "update") };
  },

  /**
   * Refresh (and import, id `<namespace>/<script>` or `<script>`). Assets cannot be listed back through the API:
   * the stored outputs are returned while the namespace exists; `{}` (deleted) once Cloudflare says it is gone.
   */
  async read(id: string, stored: Partial<StaticAssetsOutputs>, run: ProviderRun) {
    const parts = id.split("/");
    if (parts.length > 2 || parts.some((p) => p === "")) {
      throw new Error(`StaticAssets: id must be "<namespace>/<script name>" or "<script name>", got ${JSON.stringify(id)}`);
    }
    const scriptName = stored.scriptName ?? parts[parts.length - 1]!;
    const namespace = stored.scriptName ? stored.namespace : parts.length === 2 ? parts[0] : undefined;
    if (namespace !== undefined) {
      const ns = await getNamespace(run.connect(stored.accountId), namespace, op(namespace, scriptName, stored.digest ? "read" : "import"));
      if (!ns) return {};
    }
    if (stored.digest === undefined) {
      // Import: the files are not known to the API; the next `pulumi up` computes the digest and uploads.
      const key = namespace === undefined ? { scriptName } : { namespace, scriptName };
      return { id: idOf(namespace, scriptName), props: key, inputs: key };
    }
    return { id, props: stored, inputs: pickInputs(stored) };
  },

  async delete() {
    // Nothing to delete: uploaded files belong to the namespace and stop being served with the script version
    // that references them (UserScript). Cloudflare offers no endpoint to delete assets.
  },
});

/**
 * Static files for a Workers for Platforms user script, uploaded by manifest diff: unchanged files are never
 * sent again, and nothing at all happens when nothing changed.
 *
 * Pass `attachment` to the UserScript's `assets`. Import: `<namespace>/<script name>`.
 */
export class StaticAssets extends DynamicResource {
  declare public readonly namespace: pulumi.Output<string | undefined>;
  declare public readonly scriptName: pulumi.Output<string>;
  declare public readonly directory: pulumi.Output<string>;
  /** sha256 over the sorted manifest, the asset config and the hash formula. */
  declare public readonly digest: pulumi.Output<string>;
  declare public readonly fileCount: pulumi.Output<number>;
  declare public readonly totalBytes: pulumi.Output<number>;
  declare public readonly hashFormula: pulumi.Output<string>;
  declare public readonly uploadedFiles: pulumi.Output<number>;
  /** For UserScript `assets`. Secret: it holds an upload token. */
  declare public readonly attachment: pulumi.Output<AssetsAttachment>;

  constructor(name: string, args: StaticAssetsArgs, opts?: pulumi.CustomResourceOptions) {
    const secretOutputs = [...(opts?.additionalSecretOutputs ?? []), "attachment"];
    super(STATIC_ASSETS, name, args, withNamedNamespace(args.namespace, { ...opts, additionalSecretOutputs: secretOutputs }));
  }
}
