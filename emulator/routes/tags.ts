/**
 * @module
 * Script tags: GET and PUT the set, PUT and DELETE one tag. Limits: 100103 (count), 100102 (length), 100134 (`,`/`&`).
 */
import { Hono } from "hono";
import { ApiError, Codes, okEnvelope } from "../model/errors";
import type { AppEnv, EmulatorContext } from "../context";
import { timestamp } from "../model/store";
import { readJson } from "./common";
import { validateTag, validateTags } from "../model/validate";
import { NAMESPACE_SCOPE, requireScript } from "./scope";

const TAGS = `${NAMESPACE_SCOPE.script}/tags`;

export function tagRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const max = (): number => ctx.opts.maxTagsPerScript;

  r.get(TAGS, (c) => {
    const s = requireScript(NAMESPACE_SCOPE, ctx, c).script;
    return c.json(okEnvelope(s.tags));
  });

  r.put(TAGS, async (c) => {
    const body = await readJson(c);
    const s = requireScript(NAMESPACE_SCOPE, ctx, c).script;
    s.tags = validateTags(body, max());
    s.modified_on = timestamp();
    ctx.store.touch();
    return c.json(okEnvelope(s.tags));
  });

  r.put(`${TAGS}/:tag`, (c) => {
    const s = requireScript(NAMESPACE_SCOPE, ctx, c).script;
    const tag = c.req.param("tag");
    validateTag(tag);
    if (!s.tags.includes(tag)) {
      if (s.tags.length >= max()) throw new ApiError(400, Codes.TOO_MANY_TAGS, `Too many tags: a script can have at most ${max()} tags.`);
      s.tags = [...s.tags, tag];
      s.modified_on = timestamp();
      ctx.store.touch();
    }
    return c.json(okEnvelope(null));
  });

  r.delete(`${TAGS}/:tag`, (c) => {
    const s = requireScript(NAMESPACE_SCOPE, ctx, c).script;
    const tag = c.req.param("tag");
    if (s.tags.includes(tag)) {
      s.tags = s.tags.filter((t) => t !== tag);
      s.modified_on = timestamp();
      ctx.store.touch();
    }
    return c.json(okEnvelope(null));
  });

  return r;
}
