/**
 * @module
 * Durable Object namespaces: `GET /accounts/{account}/workers/durable_objects/namespaces`, one per class a script's
 * migrations created, account-level Workers' and user Workers' alike (a user Worker's and an account-level Worker's
 * of the same name are separate).
 *
 * [I] `name` is `<script>_<class>`; a user Worker's namespace carries `dispatch_namespace` (the SDK's type has no such
 * field); the list is in script, then class order.
 */
import { Hono } from "hono";
import type { AppEnv, EmulatorContext } from "../context";
import { invalidRequest, okEnvelope } from "../model/errors";
import { accountId } from "./common";

export function durableObjectRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/durable_objects/namespaces", (c) => {
    const page = Number(c.req.query("page") ?? 1);
    const perPage = Number(c.req.query("per_page") ?? 20);
    if (!Number.isInteger(page) || page < 1) throw invalidRequest("page must be a positive integer");
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 1000) throw invalidRequest("per_page must be an integer between 1 and 1000");
    const acc = ctx.store.state.accounts[accountId(c)];
    const containers = [...(acc?.workers ? [acc.workers] : []), ...Object.values(acc?.namespaces ?? {})];
    const all = containers.flatMap((container) =>
      Object.values(container.scripts)
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .flatMap((s) =>
          Object.entries(s.durable_objects ?? {})
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([cls, d]) => ({
              id: d.id,
              name: `${s.name}_${cls}`,
              class: cls,
              script: s.name,
              use_sqlite: d.sqlite,
              ...(container.name ? { dispatch_namespace: container.name } : {}),
            })),
        ),
    );
    const items = all.slice((page - 1) * perPage, page * perPage);
    return c.json(okEnvelope(items, { page, per_page: perPage, count: items.length, total_count: all.length }));
  });
  return r;
}
