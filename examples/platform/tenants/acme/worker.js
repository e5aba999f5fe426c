// Acme's Worker: everything is a static asset; this only answers what assets do not.
export default {
  async fetch(request, env) {
    return env.ASSETS.fetch(request);
  },
};
