/** Static assets: the manifest's hash form and the serving settings Cloudflare enumerates. */

/**
 * A manifest entry's hash: 32 lowercase hex digits (API operation "Create Assets Upload Session": the first 16
 * bytes of a hash of the file, as hex).
 */
export const ASSET_HASH_RE = /^[0-9a-f]{32}$/;

/** `assets.config.html_handling` ("Upload Worker Module", metadata; Workers docs: Static Assets, Routing). */
export const HTML_HANDLING = ["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"] as const;
export type HtmlHandling = (typeof HTML_HANDLING)[number];

/** `assets.config.not_found_handling` (same sources). */
export const NOT_FOUND_HANDLING = ["none", "404-page", "single-page-application"] as const;
export type NotFoundHandling = (typeof NOT_FOUND_HANDLING)[number];
