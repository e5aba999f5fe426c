/**
 * The asset config (`assets.config` of a script upload): validation of the user-facing camelCase
 * input and conversion to the wire format, with `_headers` / `_redirects` carried as strings.
 */
import { HTML_HANDLING, type HtmlHandling, NOT_FOUND_HANDLING, type NotFoundHandling } from "../../cloudflare/assets";
import { isPlainObject, isUnknown, type CheckFailure } from "../validation";
import { didYouMean } from "../did-you-mean";

/** How assets are served (the input form). */
export interface AssetConfig {
  /** Trailing-slash and `.html` handling. Default (server side): `auto-trailing-slash`. */
  htmlHandling?: HtmlHandling;
  /** What to serve when no asset matches. Default (server side): `none`. */
  notFoundHandling?: NotFoundHandling;
  /**
   * `true` to always invoke the Worker first, or route rules starting with `/` or `!/` (with `*` globs);
   * at least one positive rule is required and negative rules take precedence.
   */
  runWorkerFirst?: boolean | string[];
}

/** The wire-format `assets.config`, keys in a fixed order. */
export type WireAssetConfig = Record<string, unknown>;

/** `_headers` / `_redirects` read from the top of the assets directory. */
export interface SpecialFiles {
  headers?: string;
  redirects?: string;
}

const CONFIG_KEYS = ["htmlHandling", "notFoundHandling", "runWorkerFirst"];

/** Check failures for a `config` input (property names are `config.<key>`). */
export function assetConfigFailures(value: unknown, property = "config"): CheckFailure[] {
  if (value === undefined || isUnknown(value)) return [];
  if (!isPlainObject(value)) return [{ property, reason: "must be an object with htmlHandling, notFoundHandling and runWorkerFirst" }];
  const failures: CheckFailure[] = [];
  for (const key of Object.keys(value)) {
    if (!CONFIG_KEYS.includes(key))
      failures.push({
        property: `${property}.${key}`,
        reason: `is not a known setting; use one of ${CONFIG_KEYS.join(", ")}${didYouMean(key, CONFIG_KEYS)}`,
      });
  }
  const { htmlHandling, notFoundHandling, runWorkerFirst } = value;
  if (htmlHandling !== undefined && !isUnknown(htmlHandling) && !HTML_HANDLING.includes(htmlHandling as HtmlHandling)) {
    failures.push({
      property: `${property}.htmlHandling`,
      reason: `must be one of ${HTML_HANDLING.map((v) => `"${v}"`).join(", ")}${didYouMean(htmlHandling, HTML_HANDLING)}`,
    });
  }
  if (
    notFoundHandling !== undefined &&
    !isUnknown(notFoundHandling) &&
    !NOT_FOUND_HANDLING.includes(notFoundHandling as NotFoundHandling)
  ) {
    failures.push({
      property: `${property}.notFoundHandling`,
      reason: `must be one of ${NOT_FOUND_HANDLING.map((v) => `"${v}"`).join(", ")}${didYouMean(notFoundHandling, NOT_FOUND_HANDLING)}`,
    });
  }
  if (runWorkerFirst !== undefined && !isUnknown(runWorkerFirst) && typeof runWorkerFirst !== "boolean") {
    const problem = runWorkerFirstProblem(runWorkerFirst);
    if (problem) failures.push({ property: `${property}.runWorkerFirst`, reason: problem });
  }
  return failures;
}

function runWorkerFirstProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be true, false, or a list of route rules such as "/api/*" or "!/api/public/*"';
  if (value.some(isUnknown)) return undefined;
  const bad = value.find((r) => typeof r !== "string" || !(r.startsWith("/") || r.startsWith("!/")));
  if (bad !== undefined) return `rule ${JSON.stringify(bad)} must be a string starting with "/" or "!/"`;
  if (!value.some((r) => (r as string).startsWith("/")))
    return 'needs at least one positive rule (starting with "/"); negative rules only narrow positive ones';
  return undefined;
}

/** The wire-format config: set keys only, in a fixed order, then `_headers` and `_redirects`. */
export function toWireConfig(config: AssetConfig | undefined, special: SpecialFiles): WireAssetConfig {
  const wire: WireAssetConfig = {};
  if (config?.htmlHandling !== undefined) wire.html_handling = config.htmlHandling;
  if (config?.notFoundHandling !== undefined) wire.not_found_handling = config.notFoundHandling;
  if (config?.runWorkerFirst !== undefined) wire.run_worker_first = config.runWorkerFirst;
  return withSpecialFiles(wire, special);
}

/** The settings part of a wire config: everything but `_headers` / `_redirects`, which come from the directory. */
export function wireSettings(wire: WireAssetConfig): WireAssetConfig {
  const { _headers: _h, _redirects: _r, ...settings } = wire;
  return settings;
}

/** Wire settings with the directory's `_headers` / `_redirects` folded in, as Cloudflare takes them. */
export function withSpecialFiles(settings: WireAssetConfig, special: SpecialFiles): WireAssetConfig {
  const wire: WireAssetConfig = { ...settings };
  if (special.headers !== undefined) wire._headers = special.headers;
  if (special.redirects !== undefined) wire._redirects = special.redirects;
  return wire;
}
