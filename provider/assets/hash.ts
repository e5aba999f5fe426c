/**
 * Per-file hashing and content types of the asset manifest: `hex(sha256(salt ‖ 0x00 ‖ ext ‖ 0x00 ‖ bytes))[0:32]`,
 * and the Content-Type each file is uploaded with.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import * as path from "node:path";

/** A sha256 already fed the salt and extension prefix of the hash formula (manifest.ts `HASH_FORMULA`). */
export function startAssetHash(salt: string, ext: string): Hash {
  const h = createHash("sha256");
  h.update(salt, "utf8");
  h.update("\0");
  h.update(ext, "utf8");
  h.update("\0");
  return h;
}

/** The extension part of the formula: after the last dot of the basename, without the dot ("" for none). */
export function hashExtension(filePath: string): string {
  return path.posix.extname(filePath).slice(1);
}

/** The hash of in-memory bytes (tests, tooling). */
export function hashAssetBytes(bytes: Uint8Array | string, filePath: string, salt = ""): string {
  return startAssetHash(salt, hashExtension(filePath)).update(bytes).digest("hex").slice(0, 32);
}

/**
 * Streams a file through the hash in chunks of `buffer.length` (synchronous reads: for many small files they are
 * several times faster than FileHandle reads; callers yield to the event loop between files). Returns the hash and
 * the bytes read.
 */
export function hashFileSync(absPath: string, filePath: string, salt: string, buffer: Buffer): { hash: string; size: number } {
  const h = startAssetHash(salt, hashExtension(filePath));
  const fd = openSync(absPath, "r");
  let size = 0;
  try {
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      h.update(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    closeSync(fd);
  }
  return { hash: h.digest("hex").slice(0, 32), size };
}

type MimeLike = { getType(path: string): string | null };
/** The `mime` module once imported: a cache, whose loss costs only the import. */
let mimeCache: Promise<MimeLike> | undefined;
/** `mime` is ESM-only: load it once with a dynamic import (works from CommonJS and under vitest). */
export function loadMime(): Promise<MimeLike> {
  mimeCache ??= import("mime").then((m) => m.default as MimeLike);
  return mimeCache;
}

/** wrangler's rule: the `mime` map; `text/*` gets `; charset=utf-8`; unknown → `application/null` (no Content-Type). */
export function contentTypeOf(mime: MimeLike, filePath: string): string {
  const type = mime.getType(filePath);
  if (!type) return "application/null";
  return type.startsWith("text/") ? `${type}; charset=utf-8` : type;
}

/**
 * {@link contentTypeOf} remembered per extension: `mime` decides by the lowercased text after the last dot of the
 * basename, when that dot is not its first character (other names, and names with a backslash, which `mime` takes
 * for a separator, go to `mime` each time). Keyed by the extension as written (no lowercasing per file).
 */
export function contentTypes(mime: MimeLike): (filePath: string) => string {
  const byExt = new Map<string, string>();
  return (filePath) => {
    const dot = filePath.lastIndexOf(".");
    const slash = filePath.lastIndexOf("/");
    if (dot <= slash + 1 || filePath.includes("\\", slash)) return contentTypeOf(mime, filePath);
    const ext = filePath.slice(dot + 1);
    let type = byExt.get(ext);
    if (type === undefined) {
      type = contentTypeOf(mime, filePath);
      byExt.set(ext, type);
    }
    return type;
  };
}
