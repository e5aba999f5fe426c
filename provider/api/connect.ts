/**
 * How resources get their API client: resolve credentials at call time (never captured in state), then build
 * a client. Tests replace the factory to inject a retry policy, a sleep and a clock.
 */
import { resolveCredentials } from "../credentials";
import { CloudflareApi } from "./client";

export type ClientFactory = (args: { accountId?: string }) => CloudflareApi;

const defaultFactory: ClientFactory = (args) => new CloudflareApi(resolveCredentials(args));

let factory: ClientFactory = defaultFactory;

/** The client for a resource whose `accountId` input may be unset. */
export function connect(accountId?: string): CloudflareApi {
  return factory({ accountId });
}

/** Installs a factory (tests); returns a function that restores the previous one. */
export function setClientFactory(next: ClientFactory | undefined): () => void {
  const previous = factory;
  factory = next ?? defaultFactory;
  return () => {
    factory = previous;
  };
}
