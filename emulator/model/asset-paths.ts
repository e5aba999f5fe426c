/**
 * @module
 * Which asset manifests can be laid out as files. The runtime writes each deployed asset set to a directory, and a
 * manifest that no file system can hold (a path that is also another's directory, `/`, an empty, `.` or `..`
 * segment, a segment over 255 bytes, a path over 2,048 bytes) would otherwise fail there, for every tenant at once. Pure functions.
 */
import { MAX_ASSET_PATH_BYTES, MAX_ASSET_PATH_SEGMENT_BYTES } from "./limits";

/** Why one manifest path cannot be a file, or undefined when it can. */
export function assetPathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "paths must start with '/'";
  if (path.includes("\0")) return "NUL byte";
  const total = Buffer.byteLength(path);
  if (total > MAX_ASSET_PATH_BYTES) return `the path is ${total} bytes, the limit is ${MAX_ASSET_PATH_BYTES}`;
  // Backslashes count as separators too: a server on Windows, or a normalizing proxy, would treat them so.
  const segments = path.slice(1).split(/[/\\]/);
  for (const seg of segments) {
    if (seg === "") return "empty segment (a path must name a file: no '//', no trailing '/', not '/' itself)";
    if (seg === "." || seg === "..") return "'.' and '..' segments are not allowed";
    const bytes = Buffer.byteLength(seg);
    if (bytes > MAX_ASSET_PATH_SEGMENT_BYTES)
      return `a segment is ${bytes} bytes, the limit is ${MAX_ASSET_PATH_SEGMENT_BYTES} (a file name's limit)`;
  }
  return undefined;
}

/** A path of the manifest that is also a directory of another path (`/a` beside `/a/b`), or undefined. Linear. */
export function fileDirectoryClash(paths: Iterable<string>): string | undefined {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const p of paths) {
    files.add(p);
    for (let i = p.indexOf("/", 1); i > 0; i = p.indexOf("/", i + 1)) dirs.add(p.slice(0, i));
  }
  for (const d of dirs) if (files.has(d)) return d;
  return undefined;
}
