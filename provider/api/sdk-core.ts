/**
 * The part of the official `cloudflare` SDK the provider runs: its client core, `BaseCloudflare` (auth headers,
 * base URL, query and body encoding, fetch with a timeout, the request promise), and its error classes. Every
 * request is a raw `request()` (client.ts), so none of the SDK's resource classes runs; yet the package defines
 * its core in `client.js`, which requires every resource class when loaded (over 1,100 modules, its
 * `tree-shakable` entry included, since that loads the same file).
 *
 * So `client.js` is compiled here as a private module whose requires of `./resources/*` get empty objects: the
 * core never reads them, only the full `Cloudflare` subclass does, which is not used. Everything else it requires
 * (errors, headers, fetch shims) is the package's own module, shared, so the error classes are the package's and
 * `instanceof` holds. The private copy is not in require.cache: other code in the process that requires
 * `cloudflare` (another dynamic provider in the same host, say) gets the whole package, unchanged.
 */
import { readFileSync } from "node:fs";
import Module from "node:module";
import path from "node:path";
import type { BaseCloudflare } from "cloudflare/client";
import type { APIConnectionError, APIError } from "cloudflare/core/error";

export interface SdkCore {
  Client: typeof BaseCloudflare;
  APIError: typeof APIError;
  APIConnectionError: typeof APIConnectionError;
}

/** Node's CommonJS loader, as Pulumi's dynamic-provider host uses it to load a provider from source. */
type LoaderModule = Module & { _compile(source: string, filename: string): void };
const loader = Module as unknown as {
  new (id: string): LoaderModule;
  _nodeModulePaths(dir: string): string[];
};

/** The SDK's core once loaded: a cache, whose loss costs only loading it again. */
let sdkCoreCache: SdkCore | undefined;

/** The SDK's core, loaded on first use: the program side of a Pulumi run never loads it. */
export function sdkCore(): SdkCore {
  sdkCoreCache ??= load();
  return sdkCoreCache;
}

function load(): SdkCore {
  const file = require.resolve("cloudflare/client");
  const client = new loader(file);
  client.filename = file;
  client.paths = loader._nodeModulePaths(path.dirname(file));
  const requireShared = client.require.bind(client);
  client.require = ((id: string) => (id.startsWith("./resources/") ? {} : requireShared(id))) as NodeJS.Require;
  client._compile(readFileSync(file, "utf8"), file);
  const { BaseCloudflare: Core } = client.exports as typeof import("cloudflare/client");
  // Named as the package's full client, so requests carry the same User-Agent (`Cloudflare/JS <version>`).
  const Cloudflare = class Cloudflare extends Core {};
  const errors = require("cloudflare/core/error") as typeof import("cloudflare/core/error");
  return { Client: Cloudflare, APIError: errors.APIError, APIConnectionError: errors.APIConnectionError };
}
