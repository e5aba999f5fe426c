// The platform's dispatch Worker: finds the tenant a request is for and hands it to that tenant's user Worker,
// with the custom limits of the tenant's plan and the outbound parameters the outbound Worker reads.
//
// Routing, first match wins: the request's hostname in the ROUTES KV namespace (a customer's own domain, written
// by the stack); `<tenant>.<ROUTING_DOMAIN>` (subdomain routing, e.g. acme.localhost); `/<tenant>/...` (path
// routing, the prefix stripped before dispatch). The tenant's plan comes from ROUTES too (`tenant:<id>`), so adding
// a tenant writes keys and never uploads this Worker again.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const byHost = await env.ROUTES.get(url.hostname, "json");
    const route = byHost ? { tenant: byHost.tenant, plan: byHost.plan, url: url.href } : tenantOf(url, env.ROUTING_DOMAIN);
    if (!route) return new Response("No tenant in this URL: use <tenant>.<domain>/ or /<tenant>/\n", { status: 404 });

    const plan = route.plan ?? (await env.ROUTES.get(`tenant:${route.tenant}`, "json"))?.plan;
    const limits = plan === undefined ? undefined : env.PLANS[plan];
    const userWorker = env.DISPATCHER.get(route.tenant, {}, { limits, outbound: { tenant_id: route.tenant } });
    try {
      return await userWorker.fetch(new Request(route.url, request));
    } catch (error) {
      // get() does not throw for a missing script; its fetch() does.
      const message = String(error?.message ?? error);
      if (message.startsWith("Worker not found")) return new Response(`No tenant "${route.tenant}"\n`, { status: 404 });
      return new Response(`Tenant "${route.tenant}" failed: ${message}\n`, { status: 500 });
    }
  },
};

function tenantOf(url, domain) {
  const suffix = `.${domain}`;
  if (url.hostname.endsWith(suffix)) {
    const label = url.hostname.slice(0, -suffix.length);
    if (label !== "" && !label.includes(".")) return { tenant: label, url: url.href };
  }
  const match = /^\/([^/]+)(\/.*)?$/.exec(url.pathname);
  if (!match) return undefined;
  const inner = new URL(url.href);
  inner.pathname = match[2] ?? "/";
  return { tenant: match[1], url: inner.href };
}
