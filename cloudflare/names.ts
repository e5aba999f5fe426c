/** Cloudflare's rules for the names and tags both halves check: the emulator refuses what they refuse, and so does check. */
import { MAX_TAG_LENGTH_CHARS } from "./limits";

/**
 * Dispatch namespace names: lowercase letters, digits and dashes, 1-63 characters, not starting with a dash
 * (API operation "Create dispatch namespace").
 */
export const NAMESPACE_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Script names: lowercase letters, digits, `-` and `_`, 1-63 characters, not starting with a dash. Uppercase is
 * refused: Cloudflare answers 10016 `invalid_script_name` for it.
 */
export const SCRIPT_NAME_RE = /^[a-z0-9_][a-z0-9_-]{0,62}$/;

/** Account ids: 32 hexadecimal digits. */
export const ACCOUNT_ID_RE = /^[0-9a-f]{32}$/i;

/** What is wrong with a tag, by Cloudflare's error codes: 100102 (too long), 100134 (empty, or `,` or `&` in it). */
export type TagFault = "too long" | "empty" | "forbidden character";

/** The tag's fault, or undefined for a tag Cloudflare takes (Workers for Platforms docs: Configuration, Tags). */
export function tagFault(tag: string): TagFault | undefined {
  if (tag.length > MAX_TAG_LENGTH_CHARS) return "too long";
  if (tag === "") return "empty";
  if (/[,&]/.test(tag)) return "forbidden character";
  return undefined;
}
