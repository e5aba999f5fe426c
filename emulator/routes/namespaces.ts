/**
 * @module
 * Dispatch namespaces: `/dispatch/namespaces[/:namespace]`, plus the namespace-level scripts list and bulk delete.
 */
import { Hono } from "hono";
import { ApiError, Codes, invalidRequest, okEnvelope } from "../model/errors";
import { NAMESPACE_NAME_RE } from "../../cloudflare/names";
import type { NamespaceObject } from "../../cloudflare/wire";
import { DEFAULT_BULK_DELETE_LIMIT, MAX_LIST_LIMIT } from "../model/limits";
import type { AppEnv, EmulatorContext } from "../context";
import { dict, newUuid, timestamp, type Namespace } from "../model/store";
import { accountId, matchesTagFilter, parseTagFilter, readJson, requireNamespace, scriptEnvelopeItem, type C } from "./common";
import { isObject } from "../model/validate";

function namespaceObject(ns: Namespace): NamespaceObject {
  return {
    namespace_id: ns.id,
    namespace_name: ns.name,
    script_count: Object.keys(ns.scripts).length,
    trusted_workers: ns.trusted_workers,
    created_on: ns.created_on,
    created_by: ns.created_by,
    modified_on: ns.modified_on,
    modified_by: ns.modified_by,
  };
}

function validateName(name: unknown): string {
  if (typeof name !== "string" || !NAMESPACE_NAME_RE.test(name)) {
    throw invalidRequest(
      `Invalid namespace name ${JSON.stringify(name)}: use lowercase letters, digits and dashes (1-63 characters, starting with a letter or digit)`,
    );
  }
  return name;
}

function assertNameFree(ctx: EmulatorContext, c: C, name: string, except?: Namespace): void {
  const existing = ctx.store.findNamespace(accountId(c), name);
  if (existing && existing !== except) {
    throw new ApiError(
      400,
      Codes.NAMESPACE_EXISTS,
      `A dispatch namespace named '${name}' already exists. Ensure it does not already exist.`,
    );
  }
}

function parseLimit(raw: string | undefined, fallback: number | undefined): number | undefined {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT) throw invalidRequest(`limit must be an integer between 1 and ${MAX_LIST_LIMIT}`);
  return n;
}

export function namespaceRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { store } = ctx;

  r.get("/dispatch/namespaces", (c) => {
    const acc = store.state.accounts[accountId(c)];
    const list = acc ? Object.values(acc.namespaces) : [];
    list.sort((a, b) => a.created_on.localeCompare(b.created_on) || a.name.localeCompare(b.name));
    return c.json(okEnvelope(list.map(namespaceObject)));
  });

  r.post("/dispatch/namespaces", async (c) => {
    const body = await readJson(c, {});
    if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
    // [I] `name` is optional in the schema; when omitted we generate one.
    const name = body.name === undefined ? `namespace-${newUuid().slice(0, 8)}` : validateName(body.name);
    assertNameFree(ctx, c, name);
    const now = timestamp();
    const ns: Namespace = {
      id: newUuid(),
      name,
      // Create takes only a name; trusted mode is set with PUT.
      trusted_workers: false,
      created_on: now,
      created_by: c.var.userId,
      modified_on: now,
      modified_by: c.var.userId,
      scripts: dict(),
      blobs: dict(),
    };
    store.account(accountId(c)).namespaces[ns.id] = ns;
    store.touch();
    return c.json(okEnvelope(namespaceObject(ns)));
  });

  r.get("/dispatch/namespaces/:namespace", (c) => c.json(okEnvelope(namespaceObject(requireNamespace(ctx, c)))));

  // PUT replaces (omitted fields reset to defaults; an omitted name keeps the name); PATCH merges.
  for (const method of ["put", "patch"] as const) {
    r[method]("/dispatch/namespaces/:namespace", async (c) => {
      const body = await readJson(c, {});
      if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
      const ns = requireNamespace(ctx, c);
      if (body.trusted_workers !== undefined && typeof body.trusted_workers !== "boolean")
        throw invalidRequest("trusted_workers must be a boolean");
      if (body.name !== undefined && body.name !== ns.name) {
        const name = validateName(body.name);
        assertNameFree(ctx, c, name, ns);
        ns.name = name;
      }
      if (method === "put") ns.trusted_workers = body.trusted_workers === true;
      else if (body.trusted_workers !== undefined) ns.trusted_workers = body.trusted_workers as boolean;
      ns.modified_on = timestamp();
      ns.modified_by = c.var.userId;
      store.touch();
      return c.json(okEnvelope(namespaceObject(ns)));
    });
  }

  r.delete("/dispatch/namespaces/:namespace", async (c) => {
    // Under the namespace lock, so an asset upload in flight finishes (or sees the namespace gone) first.
    return store.lock(requireNamespace(ctx, c).id, () => deleteNamespace(c));
  });

  async function deleteNamespace(c: C): Promise<Response> {
    const ns = requireNamespace(ctx, c);
    const count = Object.keys(ns.scripts).length;
    if (count > 0 && ctx.opts.namespaceDelete === "reject") {
      throw new ApiError(
        400,
        Codes.NAMESPACE_NOT_EMPTY,
        `Dispatch namespace '${ns.name}' still contains ${count} script(s). You must delete all user Workers in the dispatch namespace before it can be deleted.`,
      );
    }
    delete store.account(accountId(c)).namespaces[ns.id];
    for (const [id, s] of Object.entries(store.state.sessions)) if (s.containerId === ns.id) delete store.state.sessions[id];
    store.touch();
    await store.dropNamespaceBlobs(ns.id);
    return c.json(okEnvelope(null));
  }

  r.get("/dispatch/namespaces/:namespace/scripts", (c) => {
    const ns = requireNamespace(ctx, c);
    const filter = parseTagFilter(c.req.query("tags"));
    const limit = parseLimit(c.req.query("limit"), undefined);
    const cursor = c.req.query("cursor");
    let after: string | undefined;
    if (cursor) {
      after = Buffer.from(cursor, "base64url").toString("utf8");
      if (!after.startsWith("n:")) throw invalidRequest("invalid cursor");
      after = after.slice(2);
    }
    const matching = Object.values(ns.scripts)
      .filter((s) => matchesTagFilter(s, filter))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((s) => after === undefined || s.name > after);
    const page = limit === undefined ? matching : matching.slice(0, limit);
    const more = page.length < matching.length;
    const next = more ? Buffer.from(`n:${page[page.length - 1]!.name}`).toString("base64url") : "";
    return c.json(
      okEnvelope(
        page.map((s) => scriptEnvelopeItem(ns.name, s)),
        { count: page.length, cursor: next },
      ),
    );
  });

  r.delete("/dispatch/namespaces/:namespace/scripts", (c) => {
    const ns = requireNamespace(ctx, c);
    const filter = parseTagFilter(c.req.query("tags"));
    const limit = parseLimit(c.req.query("limit"), DEFAULT_BULK_DELETE_LIMIT)!;
    const matching = Object.values(ns.scripts)
      .filter((s) => matchesTagFilter(s, filter))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const doomed = matching.slice(0, limit);
    for (const s of doomed) delete ns.scripts[s.name];
    if (doomed.length) store.touch();
    return c.json(
      okEnvelope({ deleted: doomed.map((s) => ({ id: s.tag })), deleted_count: doomed.length, has_more: matching.length > doomed.length }),
    );
  });

  return r;
}
