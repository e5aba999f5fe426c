// Acme's Worker: everything is a static asset; this only answers what assets do not.
export default {
  async fetch(request, env) {
    return env.ASSETS.fetch(request);
  },
  // A cron run: a tenant's crons reach its Worker directly, not through the dispatch Worker.
  async scheduled(controller) {
    console.log(`acme: scheduled run (${controller.cron || "on demand"})`);
  },
};
