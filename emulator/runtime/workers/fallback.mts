/** @module Miniflare's first Worker, which a request for no Worker reaches. */
import { textResponse } from "./internal.mjs";

export default {
  fetch(): Response {
    return textResponse("no Worker here", 404);
  },
};
