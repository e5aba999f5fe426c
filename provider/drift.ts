/**
 * Drift detection for CI: runs `pulumi preview --refresh --json` on a stack and reports every
 * resource whose real state no longer matches the program, with the fields that differ and what happened to each.
 * The exit code of `wfp-drift` is non-zero on drift, like `pulumi preview --refresh --expect-no-changes`.
 */
import { spawn } from "node:child_process";
import { type StackConfig, stackConfigFrom } from "./credentials";
import { type DriftField, driftFields, type StepStates } from "./drift-fields";
import { findStrays, formatStrays, scopeFromPreview, type StrayScript } from "./drift-strays";
import { ProviderRun } from "./run";

export interface DriftedResource {
  urn: string;
  /** `pulumi preview` operation that would repair it: update, create (deleted out of band), replace, delete. */
  op: string;
  type: string;
  name: string;
  /** The fields that differ between the live resource and the program, as its provider's diff names them. */
  fields: DriftField[];
}

export interface DriftReport {
  drifted: DriftedResource[];
  /** Scripts in the stack's namespaces the state does not hold: this stack's own, or no stack's (drift-strays.ts). */
  strays?: StrayScript[];
  /** The CLI's change summary. */
  summary: Record<string, number>;
}

interface PreviewStep extends StepStates {
  op: string;
  urn: string;
  type?: string;
  oldState?: StepStates["oldState"] & { type?: string };
  newState?: StepStates["newState"] & { type?: string };
}

/** The steps that repair drift; a replacement (create-replacement, replace, delete-replaced) counts once. */
const REPAIR_OPS = new Set(["update", "create", "delete", "create-replacement"]);

/** Builds a report from `pulumi preview --json` output. Pure. */
export function driftFromPreview(preview: { steps?: PreviewStep[]; changeSummary?: Record<string, number> }): DriftReport {
  const drifted: DriftedResource[] = [];
  for (const step of withoutRefreshSteps(preview.steps ?? [])) {
    if (!REPAIR_OPS.has(step.op)) continue;
    const type = step.newState?.type ?? step.oldState?.type ?? step.type ?? "";
    if (type.startsWith("pulumi:providers:") || type === "pulumi:pulumi:Stack") continue;
    drifted.push({
      urn: step.urn,
      op: step.op === "create-replacement" ? "replace" : step.op,
      type,
      name: step.urn.split("::").pop() ?? step.urn,
      fields: driftFields(step),
    });
  }
  return { drifted, summary: preview.changeSummary ?? {} };
}

/**
 * A resource the refresh found changed or gone is listed twice: first as the refresh's own step (an update, its
 * diff inverted: live against the last `up`; or a delete), then as the step the program's run plans, which says
 * what the next `up` does: only the latter is kept.
 */
function withoutRefreshSteps(steps: readonly PreviewStep[]): PreviewStep[] {
  const lastIndex = new Map(steps.map((step, index) => [step.urn, index]));
  return steps.filter((step, index) => !(step.op === "update" || step.op === "delete") || lastIndex.get(step.urn) === index);
}

const OP_WORDS: Record<string, string> = {
  create: "missing (deleted out of band)",
  delete: "present but no longer in the program",
};

export function formatDrift(report: DriftReport): string {
  const strays = formatStrays(report.strays ?? []);
  if (report.drifted.length === 0) return strays.length > 0 ? strays.join("\n") : "No drift: every resource matches the program.";
  const lines = [`Drift in ${report.drifted.length} resource(s):`];
  for (const r of report.drifted) {
    lines.push(`  ${r.type.split(":").pop()} "${r.name}" ${OP_WORDS[r.op] ?? r.op}`);
    for (const field of r.fields) lines.push(`    ${field.path}: ${field.message}`);
  }
  return [...lines, ...strays].join("\n");
}

/** The report as one JSON document for CI; its shape is stable (the README describes it). */
export function driftJson(report: DriftReport): string {
  const document = {
    drift: hasDrift(report),
    resources: report.drifted.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      change: r.op,
      fields: r.fields.map(({ path, change, replaces, message }) => ({ path, change, replaces, message })),
    })),
    strays: (report.strays ?? []).map(({ namespace, name, owner, kind, declared }) => ({ namespace, name, owner, kind, declared })),
  };
  return JSON.stringify(document, null, 2);
}

/** Runs `pulumi preview --refresh --json` in `cwd` (inheriting the environment) and reports drift. */
export async function detectDrift(options: { cwd: string; stack?: string; pulumi?: string }): Promise<DriftReport> {
  const args = ["preview", "--refresh", "--json", "--non-interactive", ...(options.stack ? ["--stack", options.stack] : [])];
  const { code, stdout, stderr } = await run(options.pulumi ?? "pulumi", args, options.cwd);
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`pulumi preview --refresh failed (exit ${code}):\n${stderr || stdout}`);
  }
  const preview = parsed as {
    steps?: PreviewStep[];
    changeSummary?: Record<string, number>;
    diagnostics?: Array<{ severity?: string; message?: string }>;
  };
  const errors = (preview.diagnostics ?? []).filter((d) => d.severity === "error");
  if (code !== 0 && errors.length > 0) {
    throw new Error(`pulumi preview --refresh failed:\n${errors.map((d) => d.message ?? "").join("\n")}`);
  }
  const report = driftFromPreview(preview);
  const scope = scopeFromPreview(preview.steps ?? []);
  if (scope.namespaces.length > 0) {
    const providerRun = new ProviderRun({ stack: await stackCredentials(options) });
    report.strays = await findStrays(providerRun.connect(), scope);
  }
  return report;
}

/** The stack's `cloudflare:*` config, as the provider reads it in the engine; the environment when it has none. */
async function stackCredentials(options: { cwd: string; stack?: string; pulumi?: string }): Promise<StackConfig> {
  if (process.env.CLOUDFLARE_API_TOKEN) return {};
  const args = ["config", "--json", "--show-secrets", "--non-interactive", ...(options.stack ? ["--stack", options.stack] : [])];
  const { code, stdout } = await run(options.pulumi ?? "pulumi", args, options.cwd);
  if (code !== 0) return {};
  const config = JSON.parse(stdout) as Record<string, { value?: unknown }>;
  return stackConfigFrom({ get: (key) => (typeof config[key]?.value === "string" ? (config[key].value as string) : undefined) });
}

/** True when the report shows drift: a resource to repair, or a script the state does not hold. */
export function hasDrift(report: DriftReport): boolean {
  return report.drifted.length > 0 || (report.strays?.length ?? 0) > 0;
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
