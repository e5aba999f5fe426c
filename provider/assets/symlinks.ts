/** The symlinks of an asset directory: followed only inside it, never into a loop. */
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { Ignore } from "ignore";

export function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

interface DirLink {
  rel: string;
  /** Real path of the link itself (its real parent + its name). */
  location: string;
  target: string;
}

/**
 * Checks every symlink under the root (`links`, found without following any): a link that dangles, escapes the
 * directory or forms a loop is a problem, unless the ignore file leaves it out (then it is to be skipped).
 */
export async function symlinkProblems(
  root: string,
  realRoot: string,
  ig: Ignore,
  links: string[],
): Promise<{ skip: string[]; problems: string[] }> {
  const skip: string[] = [];
  const problems: string[] = [];
  const dirLinks: DirLink[] = [];
  for (const rel of links) {
    const ignored = ig.ignores(rel) || ig.ignores(`${rel}/`);
    const abs = path.join(root, rel);
    let target: string;
    try {
      target = await fsp.realpath(abs);
    } catch {
      if (ignored) skip.push(rel);
      else problems.push(`/${rel} is a symlink to ${JSON.stringify(await fsp.readlink(abs).catch(() => "?"))}, which does not exist`);
      continue;
    }
    if (!isInside(realRoot, target)) {
      if (ignored) skip.push(rel);
      else problems.push(`/${rel} is a symlink that points outside the directory (to ${target})`);
      continue;
    }
    if (ignored) {
      skip.push(rel);
      continue;
    }
    const st = await fsp.stat(target);
    if (st.isDirectory()) {
      const location = path.join(await fsp.realpath(path.dirname(abs)), path.basename(abs));
      dirLinks.push({ rel, location, target });
    }
  }
  // A directory link L leads to link M when M sits inside L's target; a cycle in that graph is a loop.
  const leadsTo = (l: DirLink, m: DirLink) => isInside(l.target, m.location) && m.location !== l.target;
  const state = new Map<DirLink, "visiting" | "done">();
  const visit = (l: DirLink): DirLink | undefined => {
    if (state.get(l) === "done") return undefined;
    if (state.get(l) === "visiting") return l;
    state.set(l, "visiting");
    for (const m of dirLinks) {
      if (!leadsTo(l, m)) continue;
      const loop = visit(m);
      if (loop) return loop;
    }
    state.set(l, "done");
    return undefined;
  };
  for (const l of dirLinks) {
    if (isInside(l.target, l.location)) {
      problems.push(`/${l.rel} is a symlink to a directory that contains it (${l.target}): a loop`);
      state.set(l, "done");
      continue;
    }
    const loop = visit(l);
    if (loop) {
      problems.push(`/${loop.rel} is a symlink that forms a loop with other symlinks`);
      break;
    }
  }
  return { skip, problems };
}
