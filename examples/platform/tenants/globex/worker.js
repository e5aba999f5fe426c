// Globex's Worker: uses its secrets and KV without ever printing them.
export default {
  async fetch(request, env) {
    const signed = request.headers.get("x-signature") === env.WEBHOOK_SECRET;
    const session = await env.SESSIONS.get(new URL(request.url).searchParams.get("session") ?? "");
    return Response.json({ region: env.REGION, signed, session: session !== null, billing: Boolean(env.STRIPE_KEY) });
  },
};
