/**
 * @module
 * What every route module receives: the store, the resolved options and the token signer. Also the Hono env type.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TokenSigner } from "./jwt";
import type { ResolvedOptions } from "./options";
import type { Store } from "./store";

export interface EmulatorContext {
  store: Store;
  opts: ResolvedOptions;
  signer: TokenSigner;
}

export type AppEnv = {
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  /** `withholdCompletionJwt`: set by a fault rule for this request. */
  Variables: { credential: string; userId: string; withholdCompletionJwt?: boolean };
};
