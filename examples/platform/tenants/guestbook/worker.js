// The guestbook's Worker: entries in its own D1 database (DB), each also archived as a JSON object in its own R2
// bucket (FILES), and a live count of signatures in its own Durable Object (SIGNATURES, class SignatureCounter).
// GET shows the book (`?format=json`: as JSON); POST signs it (form fields name and message).
import { DurableObject } from "cloudflare:workers";

/** One object counts every signature, in its SQLite-backed storage: it outlives code updates and restarts. */
export class SignatureCounter extends DurableObject {
  add() {
    const n = (this.ctx.storage.kv.get("signatures") ?? 0) + 1;
    this.ctx.storage.kv.put("signatures", n);
    return n;
  }
  count() {
    return this.ctx.storage.kv.get("signatures") ?? 0;
  }
}

const counter = (env) => env.SIGNATURES.getByName("guestbook");

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function book(env) {
  const { results } = await env.DB.prepare("SELECT id, name, message, created_at FROM entries ORDER BY id DESC LIMIT 20").all();
  const { count } = await env.DB.prepare("SELECT count(*) AS count FROM entries").first();
  const archived = (await env.FILES.list({ prefix: "entries/" })).objects.length;
  return { count, archived, signatures: await counter(env).count(), entries: results };
}

export default {
  async fetch(request, env) {
    if (request.method === "POST") {
      const form = await request.formData();
      const name = String(form.get("name") ?? "").trim().slice(0, 80) || "anonymous";
      const message = String(form.get("message") ?? "").trim().slice(0, 500);
      if (!message) return new Response("a message is required\n", { status: 400 });
      const entry = await env.DB.prepare("INSERT INTO entries (name, message) VALUES (?, ?) RETURNING id, name, message, created_at")
        .bind(name, message)
        .first();
      await env.FILES.put(`entries/${entry.id}.json`, JSON.stringify(entry), { httpMetadata: { contentType: "application/json" } });
      await counter(env).add();
      return new Response(null, { status: 303, headers: { location: request.url } });
    }
    const data = await book(env);
    if (new URL(request.url).searchParams.get("format") === "json") return Response.json(data);
    const rows = data.entries.map((e) => `<li><b>${escape(e.name)}</b> (${escape(e.created_at)}): ${escape(e.message)}</li>`).join("");
    return new Response(
      `<!doctype html><title>Guestbook</title><h1>Guestbook</h1><p>${data.count} entries, ${data.archived} archived in R2, ${data.signatures} signatures counted by a Durable Object.</p>` +
        `<form method="post"><input name="name" placeholder="name"> <input name="message" placeholder="message" required> <button>Sign</button></form>` +
        `<ul>${rows}</ul>`,
      { headers: { "content-type": "text/html; charset=utf-8" } },
    );
  },
};
