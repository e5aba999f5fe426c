/** What tells a file unchanged without reading it, for the hash cache and the walk's snapshot alike. */

/** What identifies a file's content without reading it: the fields of its stat that any write changes. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** Filesystems with coarse timestamps (1 s and more) make a file changed just after its stat look unchanged. */
export const RACY_WINDOW_MS = 2_000;
