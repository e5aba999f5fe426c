/**
 * @module
 * What every route module receives: the store, the resolved options and the token signer. Also the Hono env type.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TokenSigner } from "./jwt";
import type { ResolvedOptions } from "./options";
import type { ScheduledTarget } from "./runtime/cron";
import type { TailHub } from "./runtime/tail";
import type { Script, Store } from "./model/store";

export interface EmulatorContext {
  store: Store;
  opts: ResolvedOptions;
  signer: TokenSigner;
  /** Refuses a Worker that would not start (throws an ApiError); set when uploads are validated by the runtime. */
  validateScript?: (script: Script) => Promise<void>;
  /** Called (and awaited) after an API write to a KV namespace (`<account>:<namespace id>`): the runtime drops its reads. */
  kvChanged?: (key: string) => Promise<void>;
  /** Runs a Worker's scheduled() now; set when the runtime serves the Workers. */
  scheduled?: (target: ScheduledTarget, cron: string, scheduledTime: number) => Promise<{ outcome: string; noRetry: boolean }>;
  /** The Workers' invocations as tail events; set when the runtime serves the Workers. */
  tail?: TailHub;
  /** Called after every request that may have changed state (the runtime reloads the Workers). */
  changeListeners: Array<() => void>;
}

export type AppEnv = {
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  /** `withholdCompletionJwt`: set by a fault rule for this request. */
  Variables: { credential: string; userId: string; withholdCompletionJwt?: boolean };
};
