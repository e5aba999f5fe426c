/** Script settings: usage model, limits, logpush, observability, placement, tail consumers; check and read-back. */
import type { ScriptSettings } from "../../api/settings";
import { USAGE_MODELS } from "../../../cloudflare/scripts";
import { booleanProblem, isPlainObject, isUnknown, scriptNameProblem, type CheckFailure } from "../../validation";
import { didYouMean } from "../../did-you-mean";
import { bindingFromWire, type Binding } from "./bindings";
import { convertKeys, snakeToCamel, stripUndefined } from "./keys";

export interface ObservabilityArgs {
  enabled: boolean;
  /** 0..1 */
  headSamplingRate?: number;
  logs?: { enabled: boolean; invocationLogs: boolean; headSamplingRate?: number; persist?: boolean; destinations?: string[] };
  traces?: { enabled?: boolean; headSamplingRate?: number; persist?: boolean; destinations?: string[] };
}

export interface PlacementArgs {
  mode?: "smart" | "targeted";
  region?: string;
  hostname?: string;
  host?: string;
}

export interface TailConsumer {
  service: string;
  environment?: string;
  namespace?: string;
}

/**
 * What check fills in for a setting or list the program leaves out: the values a script created without it has.
 * Fresh objects each call, so a caller may keep them.
 */
export function scriptDefaults(): Pick<
  ScriptSettingsShape,
  "compatibilityFlags" | "bindings" | "tags" | "usageModel" | "limits" | "logpush" | "observability" | "placement" | "tailConsumers"
> {
  return {
    compatibilityFlags: [],
    bindings: [],
    tags: [],
    usageModel: "standard",
    limits: {},
    logpush: false,
    observability: { enabled: false },
    placement: {},
    tailConsumers: [],
  };
}

/** The settings fields, shared by inputs and outputs under the same names. */
export interface ScriptSettingsShape {
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: Binding[];
  tags: string[];
  usageModel: string;
  limits: { cpuMs?: number };
  logpush: boolean;
  observability: Record<string, unknown>;
  placement: Record<string, unknown>;
  tailConsumers: TailConsumer[];
}

const MAX_CPU_MS = 300_000;

export function checkSettings(
  n: Record<string, unknown>,
  failures: CheckFailure[],
): Omit<ScriptSettingsShape, "compatibilityDate" | "compatibilityFlags" | "bindings" | "tags"> {
  const defaults = scriptDefaults();
  const usageModel = n.usageModel ?? defaults.usageModel;
  if (!isUnknown(usageModel) && !(USAGE_MODELS as readonly unknown[]).includes(usageModel)) {
    failures.push({ property: "usageModel", reason: `must be one of ${USAGE_MODELS.join(", ")}${didYouMean(usageModel, USAGE_MODELS)}` });
  }
  const limits = n.limits ?? defaults.limits;
  if (!isUnknown(limits)) {
    if (!isPlainObject(limits)) failures.push({ property: "limits", reason: "must be an object {cpuMs?}" });
    else {
      for (const key of Object.keys(limits))
        if (key !== "cpuMs") failures.push({ property: `limits.${key}`, reason: "is not a known limit; use cpuMs" });
      const cpu = limits.cpuMs;
      if (cpu !== undefined && !isUnknown(cpu) && (typeof cpu !== "number" || !Number.isInteger(cpu) || cpu < 1 || cpu > MAX_CPU_MS)) {
        failures.push({ property: "limits.cpuMs", reason: `must be a whole number of milliseconds from 1 to ${MAX_CPU_MS}` });
      }
    }
  }
  const logpushProblem = booleanProblem(n.logpush);
  if (logpushProblem) failures.push({ property: "logpush", reason: logpushProblem });
  const observability = n.observability ?? defaults.observability;
  if (!isUnknown(observability)) {
    if (!isPlainObject(observability) || (!isUnknown(observability.enabled) && typeof observability.enabled !== "boolean")) {
      failures.push({
        property: "observability",
        reason: "must be an object with enabled: boolean (and optionally headSamplingRate, logs, traces)",
      });
    } else {
      const allowed = ["enabled", "headSamplingRate", "logs", "traces"];
      for (const key of Object.keys(observability))
        if (!allowed.includes(key)) failures.push({ property: `observability.${key}`, reason: `is not known; use ${allowed.join(", ")}` });
      const rate = observability.headSamplingRate;
      if (rate !== undefined && !isUnknown(rate) && (typeof rate !== "number" || rate < 0 || rate > 1)) {
        failures.push({ property: "observability.headSamplingRate", reason: "must be a number from 0 to 1" });
      }
      for (const key of ["logs", "traces"]) {
        const v = observability[key];
        if (v !== undefined && !isUnknown(v) && !isPlainObject(v))
          failures.push({ property: `observability.${key}`, reason: "must be an object" });
      }
    }
  }
  const placement = n.placement ?? defaults.placement;
  if (!isUnknown(placement)) {
    if (!isPlainObject(placement))
      failures.push({ property: "placement", reason: 'must be an object: {mode: "smart"}, {region}, {hostname} or {host}' });
    else {
      for (const key of Object.keys(placement)) {
        if (!["mode", "region", "hostname", "host"].includes(key))
          failures.push({ property: `placement.${key}`, reason: "is not known; use mode, region, hostname or host" });
        else if (!isUnknown(placement[key]) && typeof placement[key] !== "string")
          failures.push({ property: `placement.${key}`, reason: "must be a string" });
      }
      if (placement.mode !== undefined && !isUnknown(placement.mode) && !["smart", "targeted"].includes(placement.mode as string)) {
        failures.push({ property: "placement.mode", reason: 'must be "smart" or "targeted"' });
      }
    }
  }
  const tailConsumers = n.tailConsumers ?? defaults.tailConsumers;
  if (!isUnknown(tailConsumers)) {
    if (!Array.isArray(tailConsumers))
      failures.push({ property: "tailConsumers", reason: "must be a list of {service, environment?, namespace?}" });
    else {
      tailConsumers.forEach((t, i) => {
        if (isUnknown(t)) return;
        if (!isPlainObject(t) || (!isUnknown(t.service) && scriptNameProblem(t.service) !== undefined)) {
          failures.push({ property: `tailConsumers[${i}]`, reason: "must be {service: <script name>, environment?, namespace?}" });
        }
      });
    }
  }
  return {
    usageModel: usageModel as string,
    limits: stripUndefined(limits) as { cpuMs?: number },
    logpush: (n.logpush as boolean | undefined) ?? defaults.logpush,
    observability: stripUndefined(observability) as Record<string, unknown>,
    placement: stripUndefined(placement) as Record<string, unknown>,
    tailConsumers: (Array.isArray(tailConsumers) ? tailConsumers.map(stripUndefined) : tailConsumers) as TailConsumer[],
  };
}

/** Settings as the API returns them → the input/output shape. */
export function settingsFromWire(s: ScriptSettings, tags: string[] | undefined): ScriptSettingsShape {
  const limits: { cpuMs?: number } = {};
  if (s.limits && typeof s.limits.cpu_ms === "number") limits.cpuMs = s.limits.cpu_ms;
  return {
    compatibilityDate: s.compatibility_date ?? "",
    compatibilityFlags: s.compatibility_flags ?? [],
    bindings: (s.bindings ?? []).map(bindingFromWire).filter((b): b is Binding => b !== undefined),
    tags: tags ?? s.tags ?? [],
    usageModel: s.usage_model ?? "standard",
    limits,
    logpush: s.logpush ?? false,
    observability: (convertKeys(s.observability ?? { enabled: false }, snakeToCamel) as Record<string, unknown>) ?? { enabled: false },
    placement: (convertKeys(s.placement ?? {}, snakeToCamel) as Record<string, unknown>) ?? {},
    tailConsumers: (s.tail_consumers ?? []) as unknown as TailConsumer[],
  };
}
