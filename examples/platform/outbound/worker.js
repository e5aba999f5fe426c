// The platform's outbound Worker: every fetch() a user Worker makes comes here first. It refuses the hosts the
// platform blocks and tells every other host which tenant is calling (the dispatcher's outbound parameter).
export default {
  async fetch(request, env) {
    const host = new URL(request.url).hostname;
    if (env.BLOCKED_HOSTS.some((blocked) => host === blocked || host.endsWith(`.${blocked}`))) {
      return new Response(`Outbound request to ${host} is blocked by the platform\n`, { status: 403 });
    }
    const headers = new Headers(request.headers);
    headers.set("x-tenant-id", env.tenant_id);
    return fetch(new Request(request, { headers }));
  },
};
