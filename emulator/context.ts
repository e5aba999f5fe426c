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
  Variables: { credential: string; userId: string };
};
