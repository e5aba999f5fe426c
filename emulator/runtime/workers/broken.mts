/** @module In place of an account-level Worker that would not start: it answers its error (`ERROR`). */
import { textResponse } from "./internal.mjs";

export default {
  fetch(_request: Request, env: { ERROR: string }): Response {
    return textResponse(`this Worker failed to start: ${env.ERROR}`, 500);
  },
};
