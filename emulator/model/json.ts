/**
 * @module
 * JSON from clients, with a bound on nesting. A body nested thousands of levels deep parses, but every later
 * `JSON.stringify` of the state (persistence, snapshots) would then overflow the stack.
 */
import { MAX_JSON_DEPTH } from "./limits";

export class JsonDepthError extends Error {}

/** Throws a {@link JsonDepthError} when `text` nests objects and arrays deeper than the limit. Linear, no parse. */
export function assertJsonDepth(text: string, max: number = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) throw new JsonDepthError(`JSON is nested more than ${max} levels deep`);
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
}

/** `JSON.parse` after {@link assertJsonDepth}. */
export function parseBoundedJson(text: string): unknown {
  assertJsonDepth(text);
  return JSON.parse(text);
}
