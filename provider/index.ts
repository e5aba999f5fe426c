/**
 * pulumi-cloudflare-wfp: Pulumi resources for Cloudflare Workers for Platforms.
 *
 * Credentials: stack config `cloudflare:apiToken` (secret), `cloudflare:accountId`, `cloudflare:baseUrl`,
 * or the environment variables CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_BASE_URL.
 */
export { DispatchNamespace, type DispatchNamespaceArgs } from "./resources/dispatch-namespace";
export {
  UserScript,
  type UserScriptArgs,
  type ModuleArgs,
  type ModuleType,
  type Binding,
  type ObservabilityArgs,
  type PlacementArgs,
  type TailConsumer,
} from "./resources/user-script";
export { Worker, type WorkerArgs } from "./resources/worker";
export { ScriptSecret, type ScriptSecretArgs } from "./resources/script-secret";
export { StaticAssets, type StaticAssetsArgs, type AssetsAttachment, type AssetConfig } from "./resources/static-assets";
export { WorkerDomain, type WorkerDomainArgs } from "./resources/hostnames/worker-domain";
export { WorkerRoute, type WorkerRouteArgs } from "./resources/hostnames/worker-route";
export { CustomHostname, type CustomHostnameArgs } from "./resources/hostnames/custom-hostname";
export { KvNamespace, kvBinding, type KvNamespaceArgs } from "./resources/kv/namespace";
export { KvEntries, type KvEntriesArgs } from "./resources/kv/entries";
export { D1Database, d1Binding, type D1DatabaseArgs } from "./resources/d1/database";
export { R2Bucket, r2Binding, type R2BucketArgs } from "./resources/r2/bucket";
export { Tenant, type TenantArgs, type TenantAssetsArgs } from "./resources/tenant/resource";
export { tenantTag } from "./resources/tenant/check";
export { offboardByTag, tagFilter, type OffboardOptions, type OffboardResult } from "./offboard";
export { detectDrift, driftFromPreview, formatDrift, type DriftReport, type DriftedResource } from "./drift";
export { CloudflareApiError } from "./api/errors";
export { ConfigurationError, type ConnectionArgs } from "./credentials";
