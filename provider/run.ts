/**
 * A provider run: what the operations of every resource share, from the engine's `configure` to the end of the
 * provider process (Pulumi starts one host process per engine run and configures each kind's provider in it).
 * dynamic.ts makes one at `configure` and hands it to every operation; tests and library code make their own.
 *
 * It holds the stack's credentials (resolved into a client per call, never kept in state), the GETs its
 * resources share, what check learned for the deploys of the same run (asset descriptions, secret claims), and
 * where its messages go.
 */
import { type ClientOptions, CloudflareApi } from "./api/client";
import { RunCache } from "./api/run-cache";
import { AssetDescriptions } from "./assets/describe";
import { resolveCredentials, type StackConfig } from "./credentials";
import { engineLog, type Logger } from "./log";
import { SecretClaims } from "./resources/secret-claims";

export interface RunOptions {
  /** The stack's `cloudflare:*` config; without it, resource arguments and the environment. */
  stack?: StackConfig;
  /** Share GETs between the run's resources (an engine run: see api/run-cache.ts). Default: every GET is made. */
  shareReads?: boolean;
  /** What every client of the run is given (tests: a fast retry policy, a recording sleep, a clock). */
  client?: Omit<ClientOptions, "reads" | "log">;
  /** Where the run's messages go; default the engine (stderr outside one). */
  log?: Logger;
  /** diff and update receive the stored inputs as well as the stored outputs (this package's plugin host passes them). */
  priorInputs?: boolean;
}

export class ProviderRun {
  readonly log: Logger;
  /** Asset descriptions made by this run's checks, for its deploys to take. */
  readonly assets = new AssetDescriptions();
  /** Which secrets this run's Tenants and ScriptSecrets manage. */
  readonly secretClaims = new SecretClaims();
  /** What this run's checks declared (a Worker, by key): what names it is not looked up while it may be yet to be created. */
  readonly declared = new Set<string>();
  /** See {@link RunOptions.priorInputs}: without them, a Tenant's outputs keep what its next diff compares. */
  readonly priorInputs: boolean;
  private readonly stack: StackConfig;
  private readonly reads: RunCache | undefined;
  private readonly clientOptions: ClientOptions;

  constructor(options: RunOptions = {}) {
    this.stack = options.stack ?? {};
    this.reads = options.shareReads ? new RunCache() : undefined;
    this.log = options.log ?? engineLog;
    this.clientOptions = options.client ?? {};
    this.priorInputs = options.priorInputs ?? false;
  }

  /** The client for a resource whose `accountId` input may be unset; credentials are resolved now. */
  connect(accountId?: string): CloudflareApi {
    return new CloudflareApi(resolveCredentials({ accountId }, this.stack), { ...this.clientOptions, reads: this.reads, log: this.log });
  }
}
