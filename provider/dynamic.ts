/**
 * The implementations behind the serialized providers (resources/thin-provider.ts), resolved at run
 * time in the dynamic provider process as `require("pulumi-cloudflare-wfp/dynamic")`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { configureFromStack } from "./config";
import { dispatchNamespaceProvider } from "./resources/dispatch-namespace";
import { scriptSecretProvider } from "./resources/script-secret";
import { staticAssetsProvider } from "./resources/static-assets";
import type { ResourceKind } from "./resources/thin-provider";
import { userScriptProvider } from "./resources/user-script";

export const providers: Record<ResourceKind, pulumi.dynamic.ResourceProvider> = {
  DispatchNamespace: dispatchNamespaceProvider,
  UserScript: userScriptProvider,
  ScriptSecret: scriptSecretProvider,
  StaticAssets: staticAssetsProvider,
};

/** The dynamic provider's `configure` hook: receives the whole stack config, once per process. */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
  configureFromStack(req.config);
}
