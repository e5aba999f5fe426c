// The platform's dispatch Worker: finds the tenant a request is for and hands it to that tenant's user Worker,
// with the custom limits of the tenant's plan and the outbound parameters the outbound Worker reads.
//
// Routing: a tenant's own hostname (TENANT_HOSTNAMES, the custom hostnames a `*/*` route sends here);
// `<tenant>.<ROUTING_DOMAIN>` (subdomain routing, e.g. acme.localhost); any other host falls back to path routing,
// `/<tenant>/...`, with the prefix stripped before dispatch.
export default {
  async fetch(request, env) {
    const route = tenantOf(new URL(request.url), env.ROUTING_DOMAIN, env.TENANT_HOSTNAMES ?? {});
    if (!route) return new Response("No tenant in this URL: use <tenant>.<domain>/ or /<tenant>/\n", { status: 404 });

    const plan = env.TENANT_PLANS[route.tenant];
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

function tenantOf(url, domain, hostnames) {
  if (Object.hasOwn(hostnames, url.hostname)) return { tenant: hostnames[url.hostname], url: url.href };
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
