/** Bindings: the table of types and fields, check-time validation, and conversion to and from the API's form. */
import type * as pulumi from "@pulumi/pulumi";
import { type BindingType, SECRET_BINDING_TYPES } from "../../../cloudflare/bindings";
import { bindingNameProblem, isPlainObject, isUnknown, scriptNameProblem, type CheckFailure } from "../../validation";
import { didYouMean } from "../../did-you-mean";
import { camelToSnake, convertKeys, snakeToCamel } from "./keys";

type FieldSpec = { required: string[]; optional: string[] };

/** The binding types UserScript takes (a subset of Cloudflare's), their fields (camelCase, as inputs take them) and which are required. */
export const BINDING_FIELDS: Record<string, FieldSpec> = {
  plain_text: { required: ["text"], optional: [] },
  json: { required: ["json"], optional: [] },
  kv_namespace: { required: ["namespaceId"], optional: [] },
  d1: { required: ["databaseId"], optional: [] },
  r2_bucket: { required: ["bucketName"], optional: ["jurisdiction"] },
  durable_object_namespace: { required: ["className"], optional: ["scriptName", "environment", "dispatchNamespace", "namespaceId"] },
  service: { required: ["service"], optional: ["environment", "entrypoint"] },
  queue: { required: ["queueName"], optional: [] },
  analytics_engine: { required: ["dataset"], optional: [] },
  hyperdrive: { required: ["id"], optional: [] },
  mtls_certificate: { required: ["certificateId"], optional: [] },
  vectorize: { required: ["indexName"], optional: [] },
  workflow: { required: ["workflowName"], optional: ["className", "scriptName"] },
  secrets_store_secret: { required: ["storeId", "secretName"], optional: [] },
  ratelimit: { required: ["namespaceId", "simple"], optional: [] },
  dispatch_namespace: { required: ["namespace"], optional: ["outbound"] },
  pipelines: { required: ["pipeline"], optional: [] },
  send_email: { required: [], optional: ["destinationAddress", "allowedDestinationAddresses", "allowedSenderAddresses"] },
  version_metadata: { required: [], optional: [] },
  assets: { required: [], optional: [] },
  ai: { required: [], optional: [] },
  browser: { required: [], optional: [] },
  images: { required: [], optional: [] },
  media: { required: [], optional: [] },
  inherit: { required: [], optional: ["oldName", "versionId"] },
} satisfies Partial<Record<BindingType, FieldSpec>>;

/** A value any part of which may be an Output or a Promise: Pulumi resolves inputs deeply. */
export type DeepInput<T> = pulumi.Input<
  T extends readonly (infer U)[] ? DeepInput<U>[] : T extends Record<string, unknown> ? { [K in keyof T]: DeepInput<T[K]> } : T
>;

type B<T extends string, F = object> = { name: string; type: T } & F;
/** A binding, in camelCase. Secrets are not bindings here: use {@link ScriptSecret}. */
export type Binding =
  | B<"plain_text", { text: string }>
  | B<"json", { json: unknown }>
  | B<"kv_namespace", { namespaceId: string }>
  | B<"d1", { databaseId: string }>
  | B<"r2_bucket", { bucketName: string; jurisdiction?: "eu" | "fedramp" | "fedramp-high" }>
  | B<
      "durable_object_namespace",
      { className: string; scriptName?: string; environment?: string; dispatchNamespace?: string; namespaceId?: string }
    >
  | B<"service", { service: string; environment?: string; entrypoint?: string }>
  | B<"queue", { queueName: string }>
  | B<"analytics_engine", { dataset: string }>
  | B<"hyperdrive", { id: string }>
  | B<"mtls_certificate", { certificateId: string }>
  | B<"vectorize", { indexName: string }>
  | B<"workflow", { workflowName: string; className?: string; scriptName?: string }>
  | B<"secrets_store_secret", { storeId: string; secretName: string }>
  | B<"ratelimit", { namespaceId: string; simple: { limit: number; period: number; mitigationTimeout?: number } }>
  | B<
      "dispatch_namespace",
      {
        namespace: string;
        outbound?: { worker: { service: string; environment?: string; entrypoint?: string }; params?: Array<{ name: string }> };
      }
    >
  | B<"pipelines", { pipeline: string }>
  | B<"send_email", { destinationAddress?: string; allowedDestinationAddresses?: string[]; allowedSenderAddresses?: string[] }>
  | B<"version_metadata" | "assets" | "ai" | "browser" | "images" | "media">
  | B<"inherit", { oldName?: string; versionId?: string }>;

const OUTBOUND_SHAPE = "{ worker: { service, environment?, entrypoint? }, params?: [{ name }] }";

/** A dispatch namespace's outbound Worker: which account Worker sees the user Workers' fetch(), with which params. */
function outboundFailures(property: string, outbound: unknown): CheckFailure[] {
  if (!isPlainObject(outbound)) return [{ property, reason: `must be an object ${OUTBOUND_SHAPE}` }];
  const failures: CheckFailure[] = [];
  for (const key of Object.keys(outbound)) {
    if (key !== "worker" && key !== "params")
      failures.push({ property: `${property}.${key}`, reason: `is not known; use worker and params: ${OUTBOUND_SHAPE}` });
  }
  const { worker, params } = outbound;
  if (worker === undefined)
    failures.push({ property: `${property}.worker`, reason: "is required: { service: <account Worker name>, environment?, entrypoint? }" });
  else if (!isUnknown(worker)) {
    if (!isPlainObject(worker)) failures.push({ property: `${property}.worker`, reason: "must be { service, environment?, entrypoint? }" });
    else {
      for (const key of Object.keys(worker)) {
        if (!["service", "environment", "entrypoint"].includes(key))
          failures.push({ property: `${property}.worker.${key}`, reason: "is not known; use service, environment or entrypoint" });
        else if (!isUnknown(worker[key]) && typeof worker[key] !== "string")
          failures.push({ property: `${property}.worker.${key}`, reason: "must be a string" });
      }
      if (worker.service === undefined)
        failures.push({ property: `${property}.worker.service`, reason: "is required: the outbound Worker's script name" });
      else if (!isUnknown(worker.service)) {
        const problem = scriptNameProblem(worker.service);
        if (problem) failures.push({ property: `${property}.worker.service`, reason: problem });
      }
    }
  }
  if (params !== undefined && !isUnknown(params)) {
    if (!Array.isArray(params)) failures.push({ property: `${property}.params`, reason: "must be a list of { name }" });
    else {
      const seen = new Set<string>();
      params.forEach((param, i) => {
        if (isUnknown(param)) return;
        const name = isPlainObject(param) ? param.name : undefined;
        const problem =
          isPlainObject(param) && Object.keys(param).every((k) => k === "name") ? bindingNameProblem(name) : "must be { name }";
        if (problem) failures.push({ property: `${property}.params[${i}]`, reason: problem });
        else if (seen.has(name as string))
          failures.push({ property: `${property}.params[${i}].name`, reason: `duplicates the parameter ${name as string}` });
        else seen.add(name as string);
      });
    }
  }
  return failures;
}

export const ASSETS_BINDING_NEEDS_ASSETS = "an assets binding needs the assets input (a StaticAssets attachment)";

export function checkBindings(value: unknown, failures: CheckFailure[], hasAssets: boolean): Binding[] {
  if (value === undefined) return [];
  if (isUnknown(value)) return value as unknown as Binding[];
  if (!Array.isArray(value)) {
    failures.push({ property: "bindings", reason: "must be a list of bindings {name, type, ...}" });
    return [];
  }
  const seen = new Set<string>();
  value.forEach((b, i) => {
    const p = `bindings[${i}]`;
    if (isUnknown(b)) return;
    if (!isPlainObject(b)) {
      failures.push({ property: p, reason: "must be an object {name, type, ...}" });
      return;
    }
    if (!isUnknown(b.name)) {
      const problem = bindingNameProblem(b.name);
      if (problem) failures.push({ property: `${p}.name`, reason: problem });
      else if (seen.has(b.name as string))
        failures.push({ property: `${p}.name`, reason: `duplicates the binding name ${b.name as string}: binding names must be unique` });
      else seen.add(b.name as string);
    }
    if (isUnknown(b.type)) return;
    if (typeof b.type === "string" && SECRET_BINDING_TYPES.includes(b.type)) {
      failures.push({
        property: `${p}.type`,
        reason: `${b.type} is not taken here: manage secrets with the ScriptSecret resource, which survives script updates`,
      });
      return;
    }
    const spec = typeof b.type === "string" ? BINDING_FIELDS[b.type] : undefined;
    if (!spec) {
      failures.push({
        property: `${p}.type`,
        reason: `must be one of ${Object.keys(BINDING_FIELDS).join(", ")}${didYouMean(b.type, Object.keys(BINDING_FIELDS))}`,
      });
      return;
    }
    const allowed = ["name", "type", ...spec.required, ...spec.optional];
    for (const key of Object.keys(b)) {
      if (!allowed.includes(key))
        failures.push({
          property: `${p}.${key}`,
          reason: `is not a field of a ${b.type} binding; allowed: ${allowed.join(", ")}${didYouMean(key, allowed)}`,
        });
    }
    for (const key of spec.required) {
      if (b[key] === undefined || b[key] === null || b[key] === "")
        failures.push({ property: `${p}.${key}`, reason: `is required for a ${b.type} binding` });
    }
    for (const key of [...spec.required, ...spec.optional]) {
      const v = b[key];
      if (v === undefined || isUnknown(v) || key === "json" || key === "simple" || key === "outbound") continue;
      if (key.startsWith("allowed")) {
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
          failures.push({ property: `${p}.${key}`, reason: "must be a list of strings" });
      } else if (typeof v !== "string") failures.push({ property: `${p}.${key}`, reason: "must be a string" });
    }
    if (b.type === "kv_namespace" && typeof b.namespaceId === "string" && !isUnknown(b.namespaceId) && b.namespaceId.length > 32) {
      failures.push({ property: `${p}.namespaceId`, reason: "must be at most 32 characters (a KV namespace id)" });
    }
    if (b.type === "r2_bucket" && b.jurisdiction !== undefined && !["eu", "fedramp", "fedramp-high"].includes(b.jurisdiction as string)) {
      failures.push({
        property: `${p}.jurisdiction`,
        reason: `must be eu, fedramp or fedramp-high${didYouMean(b.jurisdiction, ["eu", "fedramp", "fedramp-high"])}`,
      });
    }
    if (b.type === "ratelimit" && b.simple !== undefined && !isUnknown(b.simple)) {
      const s = b.simple;
      if (!isPlainObject(s) || typeof s.limit !== "number" || typeof s.period !== "number") {
        failures.push({ property: `${p}.simple`, reason: "must be {limit: number, period: number, mitigationTimeout?: number}" });
      }
    }
    if (b.type === "dispatch_namespace" && b.outbound !== undefined && !isUnknown(b.outbound)) {
      failures.push(...outboundFailures(`${p}.outbound`, b.outbound));
    }
    if (b.type === "json" && b.json !== undefined && !isUnknown(b.json)) {
      try {
        JSON.stringify(b.json);
      } catch {
        failures.push({ property: `${p}.json`, reason: "must be a JSON value" });
      }
    }
    if (b.type === "assets" && !hasAssets) {
      failures.push({ property: `${p}.type`, reason: ASSETS_BINDING_NEEDS_ASSETS });
    }
  });
  return value as Binding[];
}

export function bindingToWire(b: Binding): Record<string, unknown> {
  return convertKeys(b, camelToSnake) as Record<string, unknown>;
}

/** An API binding in input form: camelCase, limited to the fields its type defines. Undefined for secrets. */
export function bindingFromWire(raw: Record<string, unknown>): Binding | undefined {
  if (typeof raw.type !== "string" || SECRET_BINDING_TYPES.includes(raw.type)) return undefined;
  const camel = convertKeys(raw, snakeToCamel) as Record<string, unknown>;
  const spec = BINDING_FIELDS[raw.type];
  if (!spec) return camel as Binding;
  const out: Record<string, unknown> = { name: camel.name, type: camel.type };
  for (const key of [...spec.required, ...spec.optional]) if (camel[key] !== undefined && camel[key] !== null) out[key] = camel[key];
  return out as Binding;
}
