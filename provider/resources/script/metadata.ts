/** The upload's metadata part: everything but the modules, and the assets to deploy with them. */
import type { CloudflareApi } from "../../api/client";
import type { ScriptRef } from "../../api/scripts";
import { SECRET_BINDING_TYPES } from "../../../cloudflare/bindings";
import type { AssetDescriptions } from "../../assets/describe";
import { bindingToWire } from "./bindings";
import { camelToSnake, convertKeys } from "./keys";
import { withOwnerTag } from "../owner";
import type { ScriptInputs } from "./types";

/** The upload metadata for a PUT (without assets, added by the caller); `migrations` when Durable Objects change. */
export function buildMetadata(inputs: ScriptInputs, migrations?: Record<string, unknown>): Record<string, unknown> {
  const m: Record<string, unknown> = {
    main_module: inputs.mainModule,
    compatibility_date: inputs.compatibilityDate,
    compatibility_flags: inputs.compatibilityFlags,
    bindings: inputs.bindings.map(bindingToWire),
    // ScriptSecrets are bindings too: keep them, or every deploy would wipe them.
    keep_bindings: [...SECRET_BINDING_TYPES],
    tags: withOwnerTag(inputs.tags, inputs.owner),
    logpush: inputs.logpush,
    observability: convertKeys(inputs.observability, camelToSnake),
  };
  if (inputs.usageModel !== "standard") m.usage_model = inputs.usageModel;
  if (inputs.limits.cpuMs !== undefined) m.limits = { cpu_ms: inputs.limits.cpuMs };
  if (Object.keys(inputs.placement).length > 0) m.placement = convertKeys(inputs.placement, camelToSnake);
  if (inputs.tailConsumers.length > 0) m.tail_consumers = inputs.tailConsumers;
  if (migrations !== undefined) m.migrations = migrations;
  return m;
}

/**
 * The assets part of the metadata. With the digest we last deployed, no upload session: keep the deployed
 * assets but resend the config (the PUT replaces it). Otherwise a completion token (see assets/attach.ts).
 */
export async function assetsMetadata(
  api: CloudflareApi,
  described: AssetDescriptions,
  ref: ScriptRef,
  inputs: ScriptInputs,
  deployedDigest: string | undefined,
  resourceLabel?: string,
): Promise<Record<string, unknown>> {
  const a = inputs.assets;
  if (!a) return {};
  if (deployedDigest !== undefined && deployedDigest === a.digest) return { keep_assets: true, assets: { config: a.config } };
  // Loaded only when assets change: the manifest machinery is not needed otherwise.
  const { prepareAssetsForDeploy } = await import("../../assets/attach.js");
  const { jwt, config } = await prepareAssetsForDeploy(api, described, ref, a, resourceLabel);
  return { assets: { jwt, config } };
}
