/**
 * @module
 * Where a script lives. Cloudflare serves one set of script endpoints twice, for user Workers in a dispatch namespace
 * (`/dispatch/namespaces/:namespace/scripts/:script`) and for account-level Workers (`/scripts/:script`), with the
 * same envelopes and codes but one: a missing script. Route modules register each shared route once per
 * {@link Scope}; the few routes one scope alone has are registered for it only.
 */
import { ApiError, Codes } from "../model/errors";
import type { EmulatorContext } from "../context";
import type { Script, ScriptContainer } from "../model/store";
import { accountId, type C, requireNamespace } from "./common";

export interface Scope {
  kind: "namespace" | "account";
  /** A script's route, relative to `/accounts/:account_id/workers`. */
  script: string;
  /** The container the path names, or undefined (the account before its first Worker); a missing namespace throws 100119. */
  find(ctx: EmulatorContext, c: C): ScriptContainer | undefined;
  /** The container to write to; the account's is created on first use. */
  open(ctx: EmulatorContext, c: C): ScriptContainer;
  /** The answer for a missing script. */
  missing(ctx: EmulatorContext): ApiError;
}

export const NAMESPACE_SCOPE: Scope = {
  kind: "namespace",
  script: "/dispatch/namespaces/:namespace/scripts/:script",
  find: (ctx, c) => requireNamespace(ctx, c),
  open: (ctx, c) => requireNamespace(ctx, c),
  // 10092 by default: wrangler's dispatch-namespace probe reads only that code as "not deployed yet".
  missing: (ctx) => missingScript(ctx.opts.missingScriptCode),
};

export const ACCOUNT_SCOPE: Scope = {
  kind: "account",
  script: "/scripts/:script",
  find: (ctx, c) => ctx.store.state.accounts[accountId(c)]?.workers,
  open: (ctx, c) => ctx.store.accountWorkers(accountId(c)),
  missing: () => missingScript(Codes.SCRIPT_NOT_FOUND),
};

export const SCOPES = [NAMESPACE_SCOPE, ACCOUNT_SCOPE] as const;

const MISSING_SCRIPT_MESSAGES: Record<number, string> = {
  [Codes.SCRIPT_NOT_FOUND]: "workers.api.error.script_not_found",
  [Codes.ENVIRONMENT_NOT_FOUND]: "workers.api.error.environment_not_found",
};

function missingScript(code: number): ApiError {
  return new ApiError(404, code, MISSING_SCRIPT_MESSAGES[code] ?? "workers.api.error.script_not_found");
}

/** The `:script` path parameter. */
export const scriptParam = (c: C): string => c.req.param("script") ?? "";

/** The script the path names, with its container; 404 with the scope's code when it does not exist. */
export function requireScript(scope: Scope, ctx: EmulatorContext, c: C): { container: ScriptContainer; script: Script } {
  const container = scope.find(ctx, c);
  const script = container?.scripts[scriptParam(c)];
  if (!container || !script) throw scope.missing(ctx);
  return { container, script };
}
