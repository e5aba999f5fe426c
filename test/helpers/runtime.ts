/** Deploying through the API and requesting through the workers port, for the runtime tests and benches. */
import { request } from "node:http";
import { ACCOUNT, assetHash, type Harness, scriptForm } from "./emulator-api";

export type Modules = Record<string, { content: string; type?: string }>;

export interface Site {
  /** Path → content. */
  files: Record<string, string>;
  /** The wire-format `assets.config` (html_handling, not_found_handling, run_worker_first, _headers, _redirects). */
  config?: Record<string, unknown>;
}

const scriptPath = (ns: string | null, name: string) => (ns === null ? `/scripts/${name}` : `/dispatch/namespaces/${ns}/scripts/${name}`);

/** Uploads assets (session, one bucket) and returns the completion JWT. */
async function uploadAssets(h: Harness, ns: string | null, name: string, files: Record<string, string>): Promise<string> {
  const manifest = Object.fromEntries(Object.entries(files).map(([p, c]) => [p, { hash: assetHash(c), size: Buffer.byteLength(c) }]));
  const s = await h.api("POST", `${scriptPath(ns, name)}/assets-upload-session`, { json: { manifest } });
  if (s.status !== 200) throw new Error(`assets session: ${s.text}`);
  const buckets: string[][] = s.body.result.buckets ?? [];
  let jwt: string = s.body.result.jwt;
  for (const bucket of buckets) {
    const fd = new FormData();
    for (const hash of bucket) {
      const content = Object.values(files).find((c) => assetHash(c) === hash)!;
      fd.append(hash, new File([Buffer.from(content).toString("base64")], hash, { type: "application/octet-stream" }));
    }
    const u = await h.api("POST", `/assets/upload?base64=true`, { body: fd, token: s.body.result.jwt });
    if (u.status >= 300) throw new Error(`assets upload: ${u.text}`);
    if (u.body?.result?.jwt) jwt = u.body.result.jwt;
  }
  return jwt;
}

/** PUTs a Worker (`ns` null: account-level) with its main module first in `modules`; answers the API result. */
export async function deploy(
  h: Harness,
  ns: string | null,
  name: string,
  modules: Modules,
  metadata: Record<string, unknown> = {},
  site?: Site,
) {
  const meta: Record<string, unknown> = { main_module: Object.keys(modules)[0], compatibility_date: "2025-06-01", ...metadata };
  if (site) meta.assets = { jwt: await uploadAssets(h, ns, name, site.files), config: site.config ?? {} };
  return h.api("PUT", scriptPath(ns, name), { body: scriptForm(meta, modules) });
}

export async function deployOk(...args: Parameters<typeof deploy>): Promise<void> {
  const r = await deploy(...args);
  if (r.status !== 200) throw new Error(`deploy ${args[2]}: ${r.status} ${r.text}`);
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request to the workers port with an explicit Host header, as `curl -H "Host: ..."` sends it. */
export function get(base: string, host: string, path = "/", headers: Record<string, string> = {}, method = "GET"): Promise<HttpResult> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * The example dispatcher's routing KV namespace (`ROUTES`): `tenant:<id>` → `{tenant, plan}` per tenant, and each
 * hostname given → its tenant's. Answers the binding to give the dispatcher.
 */
export async function routesBinding(
  h: Harness,
  plans: Record<string, string>,
  hostnames: Record<string, string> = {},
): Promise<{ type: "kv_namespace"; name: "ROUTES"; namespace_id: string }> {
  const binding = await kvBinding(h, "ROUTES");
  const id = binding.namespace_id;
  const value = (tenant: string) => JSON.stringify({ tenant, plan: plans[tenant] });
  const pairs = [
    ...Object.keys(plans).map((t) => ({ key: `tenant:${t}`, value: value(t) })),
    ...Object.entries(hostnames).map(([host, t]) => ({ key: host, value: value(t) })),
  ];
  const put = await h.api("PUT", `${h.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces/${id}/bulk`, { json: pairs });
  if (put.status !== 200) throw new Error(`routes entries: ${put.text}`);
  return binding;
}

/** A new KV namespace of the account, as a binding named `name` (an upload may bind only the account's own). */
export async function kvBinding<N extends string>(h: Harness, name: N): Promise<{ type: "kv_namespace"; name: N; namespace_id: string }> {
  const created = await h.api("POST", `${h.apiBase}/accounts/${ACCOUNT}/storage/kv/namespaces`, {
    json: { title: `${name.toLowerCase()}-${Math.random().toString(16).slice(2)}` },
  });
  if (created.status !== 200) throw new Error(`KV namespace ${name}: ${created.text}`);
  return { type: "kv_namespace", name, namespace_id: created.body.result.id };
}
