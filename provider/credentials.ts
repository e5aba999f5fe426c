/**
 * Credentials, account and base URL, resolved at call time inside the provider process (each run holds its stack's
 * config: run.ts).
 *
 * Precedence: resource arguments, then stack config
 * (`cloudflare:apiToken`, `cloudflare:accountId`, `cloudflare:baseUrl`), then the environment
 * (`CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_ACCOUNT_ID`, `CLOUDFLARE_BASE_URL`).
 *
 * Nothing here is captured by Pulumi's closure serialization: the dynamic providers only hold a
 * `require()` of this package (see dynamic.ts), so the token never reaches `__provider` or state.
 */

export const DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";

export interface Credentials {
  apiToken: string;
  accountId: string;
  /** Includes `/client/v4`, as in the SDK. */
  baseUrl: string;
}

/** Connection settings a resource may carry as inputs. The token is deliberately not one of them. */
export interface ConnectionArgs {
  accountId?: string;
  baseUrl?: string;
}

/** The stack's `cloudflare:*` config, as the dynamic provider's `configure` received it. */
export interface StackConfig {
  apiToken?: string;
  accountId?: string;
  baseUrl?: string;
}

/** The subset of Pulumi's dynamic ConfigureRequest we read. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** The `cloudflare:*` keys of a stack's config (empty values count as unset). */
export function stackConfigFrom(config: ConfigSource): StackConfig {
  return {
    apiToken: nonEmpty(config.get("cloudflare:apiToken")),
    accountId: nonEmpty(config.get("cloudflare:accountId")),
    baseUrl: nonEmpty(config.get("cloudflare:baseUrl")),
  };
}

const ACCOUNT_ID = /^[0-9a-f]{32}$/;

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

export function resolveCredentials(args: ConnectionArgs = {}, stackConfig: StackConfig = {}): Credentials {
  const env = process.env;
  const apiToken = stackConfig.apiToken ?? nonEmpty(env.CLOUDFLARE_API_TOKEN);
  const accountId = nonEmpty(args.accountId) ?? stackConfig.accountId ?? nonEmpty(env.CLOUDFLARE_ACCOUNT_ID);
  const baseUrl = nonEmpty(args.baseUrl) ?? stackConfig.baseUrl ?? nonEmpty(env.CLOUDFLARE_BASE_URL) ?? DEFAULT_BASE_URL;
  if (!apiToken) {
    throw new ConfigurationError(
      "No Cloudflare API token: set the secret stack config `cloudflare:apiToken` " +
        "(pulumi config set --secret cloudflare:apiToken ...) or the CLOUDFLARE_API_TOKEN environment variable.",
    );
  }
  if (!accountId) {
    throw new ConfigurationError(
      "No Cloudflare account id: set `accountId` on the resource, the stack config `cloudflare:accountId`, " +
        "or the CLOUDFLARE_ACCOUNT_ID environment variable.",
    );
  }
  if (!ACCOUNT_ID.test(accountId)) {
    throw new ConfigurationError(`Invalid Cloudflare account id: expected 32 lowercase hex characters.`);
  }
  const problem = baseUrlProblem(baseUrl);
  if (problem) throw new ConfigurationError(`Invalid Cloudflare base URL ${JSON.stringify(baseUrl)}: ${problem}.`);
  return { apiToken, accountId, baseUrl: baseUrl.replace(/\/+$/, "") };
}

/**
 * The base URL must be the API root, ending in `/client/v4`: against any other path every request answers a
 * plain 404, which must never be mistaken for "deleted".
 */
export function baseUrlProblem(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return `expected an http(s) URL ending in /client/v4, such as ${DEFAULT_BASE_URL}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `expected http or https, not ${url.protocol.replace(":", "")}`;
  if (url.search || url.hash) return "expected no query string or fragment";
  const path = url.pathname.replace(/\/+$/, "");
  if (!path.endsWith("/client/v4")) {
    return `the path must end in /client/v4 (got ${JSON.stringify(url.pathname)}), e.g. ${url.origin}${path === "" ? "" : path}/client/v4`;
  }
  return undefined;
}

/** Validation for an `accountId` resource input (check time, no API call). */
export function accountIdProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !ACCOUNT_ID.test(value)) {
    return "must be a Cloudflare account id: 32 lowercase hex characters";
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
