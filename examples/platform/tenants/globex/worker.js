// Globex's Worker: uses its secrets and KV without ever printing them.
export default {
  async fetch(request, env) {
    const signed = request.headers.get("x-signature") === env.WEBHOOK_SECRET;
    const key = new URL(request.url).searchParams.get("session");
    const session = key ? await env.SESSIONS.get(key) : null;
    return Response.json({ region: env.REGION, signed, session: session !== null, billing: Boolean(env.STRIPE_KEY) });
  },
};
