/**
 * ScriptSecret: one `secret_text` binding on a UserScript, managed on its own so that script
 * deploys (which send `keep_bindings: ["secret_text","secret_key"]`) never wipe it.
 *
 * The value is write-only: the API never returns it. State holds `valueHash` = sha256(name + "\0" + text),
 * marked secret through `additionalSecretOutputs`, so a rotation shows as a diff; the plaintext is never
 * in outputs. `read` can only check that the secret still exists.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ProviderRun } from "../run";
import { operation } from "../api/errors";
import type { ScriptRef } from "../api/scripts";
import { deleteSecret, secretExists, updateSecret } from "../api/secrets";
import { accountIdProblem } from "../credentials";
import {
  bindingNameProblem,
  fieldFailures,
  isImportCheck,
  isUnknown,
  namespaceNameProblem,
  scriptNameProblem,
  type CheckFailure,
} from "../validation";
import { sha256Hex } from "../sha256";
import { withNamedNamespace } from "./deploy-order";
import { namespaceFailures } from "./namespace-preflight";
import { defineProvider, DynamicResource, resourceSpec, unknownPropertyFailures, type KeyedDiff } from "./resource-kit";

/** Largest secret value accepted (the Workers limit for an environment variable / secret is 5 KiB). */
export const MAX_SECRET_BYTES = 5 * 1024;

/** Arguments of a {@link ScriptSecret}. */
export interface ScriptSecretArgs {
  /** The dispatch namespace of a user Worker; omit it for an account-level Worker. Changing it replaces the secret. */
  namespace?: pulumi.Input<string>;
  /** The script name (usually `userScript.name`). Changing it replaces the secret. */
  scriptName: pulumi.Input<string>;
  /** The binding name, e.g. `API_KEY` (letters, digits, `_`; not starting with a digit). Changing it replaces the secret. */
  name: pulumi.Input<string>;
  /** The secret value (non-empty). Always stored as a Pulumi secret; a change updates in place. */
  text: pulumi.Input<string>;
  /** The Cloudflare account id; defaults to `cloudflare:accountId` / `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: pulumi.Input<string>;
}

export interface ScriptSecretInputs {
  namespace?: string;
  scriptName: string;
  name: string;
  text: string;
  accountId?: string;
}

export interface ScriptSecretOutputs {
  namespace?: string;
  scriptName: string;
  name: string;
  /** sha256 hex of `name + "\0" + text` (a secret output); "" after an import, which forces a rewrite. */
  valueHash: string;
  accountId?: string;
}

/** The value hash stored in state. */
export function secretValueHash(name: string, text: string): string {
  return sha256Hex(`${name}\0${text}`);
}

export const SCRIPT_SECRET = resourceSpec<ScriptSecretArgs>()({
  kind: "ScriptSecret",
  inputs: ["namespace", "scriptName", "name", "text", "accountId"],
  outputs: ["valueHash"],
});

/** Messages never include the value. */
export function secretTextProblem(text: unknown): string | undefined {
  if (typeof text !== "string") return "must be a string";
  if (text === "") return "must not be empty";
  if (Buffer.byteLength(text) > MAX_SECRET_BYTES) return `must be at most ${MAX_SECRET_BYTES} bytes`;
  return undefined;
}

/** Validates and normalizes inputs. Pure. Messages never include the value. */
export function checkScriptSecret(news: Record<string, unknown>): { inputs: ScriptSecretInputs; failures: CheckFailure[] } {
  const n = news ?? {};
  const failures: CheckFailure[] = [
    ...unknownPropertyFailures(SCRIPT_SECRET, n),
    ...fieldFailures(n, "namespace", namespaceNameProblem),
    ...fieldFailures(n, "scriptName", scriptNameProblem, "the script name"),
    ...fieldFailures(n, "name", bindingNameProblem, "the secret's binding name"),
    ...fieldFailures(n, "text", secretTextProblem, "the secret value"),
    ...fieldFailures(n, "accountId", accountIdProblem),
  ];
  const inputs: ScriptSecretInputs = {
    namespace: n.namespace as string,
    scriptName: n.scriptName as string,
    name: n.name as string,
    text: n.text as string,
  };
  if (n.accountId !== undefined) inputs.accountId = n.accountId as string;
  // The gRPC Struct rejects undefined: leave missing inputs out so that the failures reach the user.
  for (const key of Object.keys(inputs) as Array<keyof ScriptSecretInputs>) if (inputs[key] === undefined) delete inputs[key];
  return { inputs, failures };
}

/** diff(olds = outputs, news = inputs). Pure. Compares the value by hash only. */
export function diffScriptSecret(olds: Partial<ScriptSecretOutputs>, news: ScriptSecretInputs): KeyedDiff {
  const replaces: string[] = [];
  for (const key of ["namespace", "scriptName", "name"] as const)
    if ((olds[key] ?? undefined) !== (news[key] ?? undefined)) replaces.push(key);
  if ((olds.accountId ?? undefined) !== (news.accountId ?? undefined)) replaces.push("accountId");
  const changes = [...replaces];
  if (isUnknown(news.text) || olds.valueHash !== secretValueHash(news.name, news.text)) changes.push("text");
  // Every replacement targets another script or binding name, so create-before-delete is safe.
  return { changes: changes.length > 0, replaces, deleteBeforeReplace: false, changedKeys: changes };
}

type SecretKey = { namespace?: string; scriptName: string; name: string };
const refOf = (k: SecretKey): ScriptRef => ({ namespace: k.namespace, script: k.scriptName });
/** `<namespace>/<script>/<secret>` for a user Worker, `<script>/<secret>` for an account-level one. */
const idOf = (k: SecretKey) => [k.namespace, k.scriptName, k.name].filter((p) => p !== undefined).join("/");
const opFor = (k: SecretKey, verb: string) => operation("ScriptSecret", idOf(k), verb);

/** Splits a ScriptSecret id (see {@link idOf}). */
export function parseScriptSecretId(id: string): SecretKey {
  const parts = id.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new Error(
      `ScriptSecret: invalid id ${JSON.stringify(id)}: expected <namespace>/<script name>/<secret name>, or <script name>/<secret name> for an account-level Worker`,
    );
  }
  const [name, scriptName, namespace] = parts.reverse();
  return namespace === undefined ? { scriptName: scriptName!, name: name! } : { namespace, scriptName: scriptName!, name: name! };
}

/** The stored key when state has it, else the id's. */
function keyOf(id: string, stored: Partial<SecretKey> | undefined): SecretKey {
  if (!stored?.scriptName || !stored.name) return parseScriptSecretId(id);
  const key: SecretKey = { scriptName: stored.scriptName, name: stored.name };
  if (stored.namespace !== undefined) key.namespace = stored.namespace;
  return key;
}

async function put(run: ProviderRun, inputs: ScriptSecretInputs, verb: string): Promise<ScriptSecretOutputs> {
  await updateSecret(run.connect(inputs.accountId), refOf(inputs), { name: inputs.name, text: inputs.text }, opFor(inputs, verb));
  const outs: ScriptSecretOutputs = {
    scriptName: inputs.scriptName,
    name: inputs.name,
    valueHash: secretValueHash(inputs.name, inputs.text),
  };
  if (inputs.namespace !== undefined) outs.namespace = inputs.namespace;
  if (inputs.accountId !== undefined) outs.accountId = inputs.accountId;
  return outs;
}

export const scriptSecretProvider = defineProvider<ScriptSecretInputs, ScriptSecretOutputs>({
  async check(olds: Record<string, unknown>, news: Record<string, unknown>, run: ProviderRun) {
    const { inputs, failures } = checkScriptSecret(news);
    if (typeof inputs.scriptName === "string" && typeof inputs.name === "string" && !isUnknown(inputs.namespace)) {
      const key = { accountId: inputs.accountId, namespace: inputs.namespace, script: inputs.scriptName };
      const tenantId = run.secretClaims.claimScriptSecret(key, inputs.name);
      if (tenantId !== undefined && !isUnknown(inputs.scriptName) && !isUnknown(inputs.name)) {
        failures.push({
          property: "name",
          reason: `is also in the secrets of Tenant "${tenantId}" on the same script: manage it in one place (remove this ScriptSecret or the Tenant's entry)`,
        });
      }
    }
    // `pulumi import` checks the inputs read back against themselves, and those cannot hold the value.
    const importCheck = isImportCheck(olds, news, "text");
    const checked = importCheck ? failures.filter((f) => f.property !== "text") : failures;
    checked.push(...(await namespaceFailures(run, olds, inputs, checked, opFor(inputs, "check"))));
    return { inputs, failures: checked };
  },

  async diff(_id: string, olds: ScriptSecretOutputs, news: ScriptSecretInputs) {
    return diffScriptSecret(olds, news);
  },

  async create(inputs: ScriptSecretInputs, run: ProviderRun) {
    const outs = await put(run, inputs, "create");
    return { id: idOf(inputs), outs };
  },

  /**
   * Checks that the secret exists. Import id: `<namespace>/<script name>/<secret name>`. The value cannot
   * be read back, so an import stores `valueHash: ""` and the next `pulumi up` rewrites the secret once.
   * A secret, script or namespace that is gone returns `{}` (the next `up` recreates the secret).
   */
  async read(id: string, stored: Partial<ScriptSecretOutputs>, run: ProviderRun) {
    const importing = stored.valueHash === undefined;
    const key = keyOf(id, stored);
    if (!(await secretExists(run.connect(stored.accountId), refOf(key), key.name, opFor(key, importing ? "import" : "read")))) return {};
    const outs: ScriptSecretOutputs = { ...key, valueHash: stored.valueHash ?? "" };
    if (stored.accountId !== undefined) outs.accountId = stored.accountId;
    const result = { id: idOf(key), props: outs };
    // On import, the inputs are all but the value, which the API never returns.
    return importing ? { ...result, inputs: { ...key } } : result;
  },

  async update(_id: string, _olds: ScriptSecretOutputs, news: ScriptSecretInputs, run: ProviderRun) {
    return { outs: await put(run, news, "update") };
  },

  async delete(id: string, props: ScriptSecretOutputs, run: ProviderRun) {
    const key = keyOf(id, props);
    // A Tenant of this run manages the secret now (its upload holds the value): forget it, delete nothing.
    const tenantId = run.secretClaims.tenantManagingSecret(
      { accountId: props.accountId, namespace: key.namespace, script: key.scriptName },
      key.name,
    );
    if (tenantId !== undefined) {
      run.log.info(`${opFor(key, "delete").resource}: now managed by Tenant "${tenantId}"; removed from the stack only`);
      return;
    }
    // Gone (10056 secret, 10007/10092 script, 100119 namespace, by Cloudflare's code) is success.
    await deleteSecret(run.connect(props.accountId), refOf(key), key.name, opFor(key, "delete"));
  },
});

/**
 * A secret on a UserScript (a `secret_text` binding).
 *
 * `text` is always wrapped as a Pulumi secret and `valueHash` is a secret output; neither the value nor
 * its hash appears in plaintext in state.
 *
 * Import: `pulumi import pulumi-nodejs:dynamic/wfp:ScriptSecret <name> <namespace>/<script name>/<secret name>`.
 * The value cannot be read back: after an import, the next `pulumi up` writes the secret once.
 */
export class ScriptSecret extends DynamicResource {
  declare public readonly namespace: pulumi.Output<string | undefined>;
  declare public readonly scriptName: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  /** sha256 of name + "\0" + value (secret). */
  declare public readonly valueHash: pulumi.Output<string>;
  declare public readonly accountId: pulumi.Output<string | undefined>;

  constructor(name: string, args: ScriptSecretArgs, opts?: pulumi.CustomResourceOptions) {
    const additionalSecretOutputs = [...new Set([...(opts?.additionalSecretOutputs ?? []), "valueHash"])];
    super(
      SCRIPT_SECRET,
      name,
      { ...args, text: pulumi.secret(args.text) },
      withNamedNamespace(args.namespace, { ...opts, additionalSecretOutputs }),
    );
  }
}
