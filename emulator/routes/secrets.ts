/**
 * @module
 * Script secrets, in either scope: PUT (upsert), list, GET one (value never returned), DELETE (10056 when missing),
 * PATCH bulk.
 * Secrets are bindings of type secret_text / secret_key; values are write-only.
 */
import { Hono } from "hono";
import { ApiError, Codes, invalidScript, okEnvelope } from "../model/errors";
import type { AppEnv, EmulatorContext } from "../context";
import { dict, timestamp, type Binding, type Script } from "../model/store";
import { type C, readJson } from "./common";
import { isObject } from "../model/validate";
import { requireScript, SCOPES } from "./scope";

const SECRET_TYPES = new Set(["secret_text", "secret_key"]);

function secretView(b: Binding): Record<string, unknown> {
  const out: Record<string, unknown> = { name: b.name, type: b.type };
  if (b.type === "secret_key") for (const k of ["format", "algorithm", "usages"]) if (b[k] !== undefined) out[k] = b[k];
  return out;
}

function validateSecret(body: unknown, name?: string): Binding {
  if (!isObject(body)) throw invalidScript("secret must be a JSON object");
  const secretName = name ?? body.name;
  if (typeof secretName !== "string" || secretName === "") throw invalidScript("secret name is required");
  const type = body.type ?? "secret_text";
  if (type === "secret_text") {
    if (typeof body.text !== "string") throw invalidScript(`invalid or missing text property for binding ${secretName}`);
    return { name: secretName, type, text: body.text };
  }
  if (type === "secret_key") {
    if (typeof body.format !== "string" || body.algorithm === undefined || !Array.isArray(body.usages)) {
      throw invalidScript(`secret_key ${secretName} needs format, algorithm and usages`);
    }
    if (body.key_base64 === undefined && body.key_jwk === undefined)
      throw invalidScript(`secret_key ${secretName} needs key_base64 or key_jwk`);
    const b: Binding = { name: secretName, type, format: body.format, algorithm: body.algorithm, usages: body.usages };
    if (body.key_base64 !== undefined) b.key_base64 = body.key_base64;
    if (body.key_jwk !== undefined) b.key_jwk = body.key_jwk;
    return b;
  }
  throw invalidScript(`unsupported secret type ${JSON.stringify(type)}`);
}

/** A secret may replace a secret, never another kind of binding: 10053. */
function assertSecretName(s: Script, name: string): void {
  if (s.bindings.some((x) => x.name === name && !SECRET_TYPES.has(x.type))) {
    throw new ApiError(400, Codes.BINDING_NAME_IN_USE, `Binding name '${name}' already in use`);
  }
}

function upsert(s: Script, b: Binding): void {
  s.bindings = [...s.bindings.filter((x) => x.name !== b.name), b];
}

function secretName(c: C): string {
  const raw = c.req.param("name")!;
  if (c.req.query("url_encoded") !== "true") return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function findSecret(s: Script, name: string): Binding {
  const b = s.bindings.find((x) => x.name === name && SECRET_TYPES.has(x.type));
  if (!b) throw new ApiError(404, Codes.SECRET_NOT_FOUND, `Secret '${name}' not found`);
  return b;
}

export function secretRoutes(ctx: EmulatorContext): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  for (const scope of SCOPES) {
    const SECRETS = `${scope.script}/secrets`;
    const script = (c: C): Script => requireScript(scope, ctx, c).script;

    r.get(SECRETS, (c) => {
      const s = script(c);
      return c.json(okEnvelope(s.bindings.filter((b) => SECRET_TYPES.has(b.type)).map(secretView)));
    });

    r.put(SECRETS, async (c) => {
      const body = await readJson(c);
      const s = script(c);
      const b = validateSecret(body);
      assertSecretName(s, b.name);
      upsert(s, b);
      s.modified_on = timestamp();
      ctx.store.touch();
      return c.json(okEnvelope(secretView(b)));
    });

    r.get(`${SECRETS}/:name`, (c) => {
      const s = script(c);
      return c.json(okEnvelope(secretView(findSecret(s, secretName(c)))));
    });

    r.delete(`${SECRETS}/:name`, (c) => {
      const s = script(c);
      const name = secretName(c);
      findSecret(s, name);
      s.bindings = s.bindings.filter((b) => b.name !== name);
      s.modified_on = timestamp();
      ctx.store.touch();
      return c.json(okEnvelope(null));
    });

    // JSON Merge Patch: null deletes, an object upserts, an omitted name is unchanged.
    r.patch(`${scope.script}/secrets-bulk`, async (c) => {
      const body = await readJson(c);
      if (!isObject(body) || !isObject(body.secrets)) throw invalidScript('body must be {"secrets": {NAME: secret | null}}');
      const s = script(c);
      const changes: Array<[string, Binding | null]> = Object.entries(body.secrets).map(([name, v]) => [
        name,
        v === null ? null : validateSecret(v, name),
      ]);
      for (const [name, b] of changes) if (b) assertSecretName(s, name);
      const result = dict<unknown>();
      for (const [name, b] of changes) {
        if (b === null) s.bindings = s.bindings.filter((x) => !(x.name === name && SECRET_TYPES.has(x.type)));
        else {
          upsert(s, b);
          result[name] = secretView(b);
        }
      }
      s.modified_on = timestamp();
      ctx.store.touch();
      return c.json(okEnvelope(result));
    });
  }

  return r;
}
