import { route } from "./router.js";
import banner from "./banner.txt";

export default {
  async fetch(request, env) {
    const response = route(new URL(request.url).pathname, env.FEATURES);
    response.headers.set("x-banner", banner.trim());
    return response;
  },
};
