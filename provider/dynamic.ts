/**
 * The implementations behind each resource's `__provider` (resources/resource-kit.ts), resolved at run
 * time in the dynamic provider process as `require("pulumi-cloudflare-wfp/dynamic")`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { failuresForEngine } from "./check-failures";
import type { CheckFailure } from "./validation";
import { persistCompileCache } from "./compile-cache";
import { stackConfigFrom } from "./credentials";
import { dispatchNamespaceProvider } from "./resources/dispatch-namespace";
import { d1DatabaseProvider } from "./resources/d1/database";
import { r2BucketProvider } from "./resources/r2/bucket";
import { kvEntriesProvider } from "./resources/kv/entries";
import { kvNamespaceProvider } from "./resources/kv/namespace";
import { scriptSecretProvider } from "./resources/script-secret";
import { staticAssetsProvider } from "./resources/static-assets";
import { tenantProvider } from "./resources/tenant/provider";
import type { ResourceKind, RunProvider } from "./resources/resource-kit";
import { userScriptProvider } from "./resources/user-script";
import { workerProvider } from "./resources/worker";
import { customHostnameProvider } from "./resources/hostnames/custom-hostname";
import { workerDomainProvider } from "./resources/hostnames/worker-domain";
import { workerRouteProvider } from "./resources/hostnames/worker-route";
import { ProviderRun } from "./run";

export const providers: Record<ResourceKind, RunProvider> = {
  DispatchNamespace: dispatchNamespaceProvider,
  UserScript: userScriptProvider,
  Worker: workerProvider,
  ScriptSecret: scriptSecretProvider,
  StaticAssets: staticAssetsProvider,
  Tenant: tenantProvider,
  WorkerDomain: workerDomainProvider,
  WorkerRoute: workerRouteProvider,
  CustomHostname: customHostnameProvider,
  KvNamespace: kvNamespaceProvider,
  KvEntries: kvEntriesProvider,
  D1Database: d1DatabaseProvider,
  R2Bucket: r2BucketProvider,
};

/**
 * The run of this process. Pulumi's host serves one engine run per process and configures each kind's provider
 * on its first use, with the same stack config: the first `configure` makes the run, every kind joins it. The one
 * binding from the process to its run; everything below takes the run as an argument.
 */
let processRun: ProviderRun | undefined;

/** Set by this package's plugin host (plugin-host.ts), which passes diff and update the stored inputs too. */
const PRIOR_INPUTS = Symbol.for("pulumi-cloudflare-wfp.prior-inputs");
const priorInputs = () => (globalThis as { [PRIOR_INPUTS]?: boolean })[PRIOR_INPUTS] === true;

/** The dynamic provider's `configure` hook: receives the whole stack config, once per kind. */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  // One provider process serves one engine run: GETs are shared by its resources.
  processRun ??= new ProviderRun({ stack: stackConfigFrom(req.config), shareReads: true, priorInputs: priorInputs() });
}

/** This process's run; a host that never called `configure` gets one without stack config. */
function runOfProcess(): ProviderRun {
  processRun ??= new ProviderRun({ shareReads: true, priorInputs: priorInputs() });
  return processRun;
}

const OPERATIONS = ["check", "diff", "create", "read", "update", "delete"] as const;

/** The provider object Pulumi's dynamic-provider host gets from a resource's `__provider`. */
export function handler(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  const provider: Record<string, unknown> = { configure };
  for (const name of OPERATIONS) {
    // What a call loaded (the host, this package, the SDK) reaches the compile cache before Pulumi kills the host.
    provider[name] = async (...args: unknown[]) => {
      try {
        const operation = providers[kind](runOfProcess())[name] as (
          ...args: unknown[]
        ) => Promise<{ failures?: CheckFailure[] } | undefined>;
        const result = await operation(...args);
        if (name === "check" && result?.failures?.length) {
          return { ...result, failures: failuresForEngine(result.failures, (args[1] ?? {}) as Record<string, unknown>) };
        }
        return result;
      } catch (error) {
        markAnswered(error);
        throw error;
      } finally {
        persistCompileCache();
      }
    };
  }
  return provider as unknown as pulumi.dynamic.ResourceProvider;
}

/**
 * Errors our providers raise on purpose reach the user through the engine's error. Pulumi's host also prints
 * each to stderr as `${error}: ${error.stack}` (the message twice more): plugin-host.ts drops exactly those
 * lines, found in this registry. A programming error (a TypeError, say) keeps its stack.
 */
const ANSWERED = Symbol.for("pulumi-cloudflare-wfp.answered-errors");
type Registry = { [ANSWERED]?: Set<string> };

function markAnswered(error: unknown): void {
  if (!(error instanceof Error) || error instanceof TypeError || error instanceof ReferenceError) return;
  const registry = globalThis as Registry;
  registry[ANSWERED] ??= new Set();
  const set = registry[ANSWERED];
  if (set.size > 100) set.clear();
  set.add(`${error}: ${error.stack}`);
}
