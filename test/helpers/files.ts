/** Temporary file trees for tests. */
import { promises as fsp } from "node:fs";
import path from "node:path";

let counter = 0;

/** Writes `files` (relative path → content) into a new directory under `root`, and returns it. */
export async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(root, `site-${++counter}`);
  await fsp.mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    await fsp.mkdir(path.dirname(abs), { recursive: true });
    await fsp.writeFile(abs, content);
  }
  return dir;
}
