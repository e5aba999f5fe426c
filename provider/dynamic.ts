/**
 * The implementations behind each resource's `__provider` (resources/resource-kit.ts), resolved at run
 * time in the dynamic provider process as `require("pulumi-cloudflare-wfp/dynamic")`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { beginRun } from "./api/run-cache";
import { failuresForEngine } from "./check-failures";
import { persistCompileCache } from "./compile-cache";
import { configureFromStack } from "./credentials";
import { dispatchNamespaceProvider } from "./resources/dispatch-namespace";
import { kvEntriesProvider } from "./resources/kv/entries";
import { kvNamespaceProvider } from "./resources/kv/namespace";
import { scriptSecretProvider } from "./resources/script-secret";
import { staticAssetsProvider } from "./resources/static-assets";
import { tenantProvider } from "./resources/tenant/provider";
import type { ResourceKind } from "./resources/resource-kit";
import { userScriptProvider } from "./resources/user-script";
import { workerProvider } from "./resources/worker";
import { customHostnameProvider } from "./resources/hostnames/custom-hostname";
import { workerDomainProvider } from "./resources/hostnames/worker-domain";
import { workerRouteProvider } from "./resources/hostnames/worker-route";

export const providers: Record<ResourceKind, pulumi.dynamic.ResourceProvider> = {
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
};

/** The dynamic provider's `configure` hook: receives the whole stack config, once per process. */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  configureFromStack(req.config);
  // One provider process serves one engine run: GETs are shared by its resources from here on.
  beginRun();
}

/** The provider object Pulumi's dynamic-provider host gets from a resource's `__provider`. */
export function handler(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  const provider: Record<string, unknown> = { configure };
  for (const [name, fn] of Object.entries(providers[kind])) {
    // What a call loaded (the host, this package, the SDK) reaches the compile cache before Pulumi kills the host.
    provider[name] = async (...args: unknown[]) => {
      try {
        const result = await fn(...args);
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
