/** The example platform's tenants for test/e2e/platform.test.ts, and the `wfp-drift` command run against its stack. */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { dump } from "js-yaml";
import { writeFile } from "./files";
import type { PulumiProject } from "./pulumi-project";
import { ROOT } from "./pulumi-project";

export interface Fixture {
  dir: string;
  file: string;
  tenants: Record<string, unknown>[];
}

/** A Worker that answers its name. */
export function worker(name: string): string {
  return `export default { async fetch() { return new Response(${JSON.stringify(name)}); } };\n`;
}

/**
 * billing's Worker: its name, and a POST records a charge in its D1 database (DB) and its R2 bucket (FILES), and counts
 * it in its Durable Object (CHARGES, class ChargeCounter).
 */
const BILLING = `import { DurableObject } from "cloudflare:workers";
export class ChargeCounter extends DurableObject {
  add() {
    const n = (this.ctx.storage.kv.get("n") ?? 0) + 1;
    this.ctx.storage.kv.put("n", n);
    return n;
  }
}
export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("billing");
    const row = await env.DB.prepare("INSERT INTO charges (amount) VALUES (42) RETURNING id").first();
    await env.FILES.put(\`charges/\${row.id}.json\`, JSON.stringify({ id: row.id, amount: 42 }));
    return Response.json({ ...row, counted: await env.CHARGES.getByName("all").add() });
  },
};
`;

/**
 * Five tenants, one of each shape: with assets (site), with a plan, a custom hostname, a KV namespace, a D1
 * database with a migration, an R2 bucket, a Durable Object and secrets from config (billing), of two modules (multi), with a tag
 * (tagged), and one that drift tests delete (doomed).
 */
export function makeFixture(base: string): Fixture {
  const dir = path.join(base, "tenants-fixture");
  writeFile(path.join(dir, "site/worker.js"), worker("site"));
  writeFile(path.join(dir, "site/public/index.html"), "<h1>site</h1>\n");
  writeFile(path.join(dir, "site/public/about.html"), "<h1>about</h1>\n");
  writeFile(path.join(dir, "billing/worker.js"), BILLING);
  writeFile(path.join(dir, "billing/migrations/0001_charges.sql"), "CREATE TABLE charges (id INTEGER PRIMARY KEY, amount INTEGER);\n");
  writeFile(path.join(dir, "multi/index.js"), 'import { hello } from "./lib.js";\nexport default { fetch: () => new Response(hello) };\n');
  writeFile(path.join(dir, "multi/lib.js"), 'export const hello = "multi";\n');
  writeFile(path.join(dir, "tagged/worker.js"), worker("tagged"));
  writeFile(path.join(dir, "doomed/worker.js"), worker("doomed"));
  const w = (d: string, modules = ["worker.js"]) => ({ dir: d, modules, compatibilityDate: "2025-06-01" });
  const tenants: Record<string, unknown>[] = [
    { id: "site", worker: { ...w("site"), bindings: [{ type: "assets", name: "ASSETS" }] }, assets: { directory: "site/public" } },
    {
      id: "billing",
      plan: "pro",
      hostnames: ["billing.example.com"],
      kvNamespaces: ["KV"],
      d1Databases: [{ binding: "DB", migrationsDir: "billing/migrations" }],
      r2Buckets: ["FILES"],
      durableObjects: [{ binding: "CHARGES", className: "ChargeCounter" }],
      worker: w("billing"),
      secrets: { STRIPE_KEY: "stripeKey", WEBHOOK_SECRET: "hookSecret" },
    },
    { id: "multi", worker: w("multi", ["index.js", "lib.js"]) },
    { id: "tagged", worker: w("tagged"), tags: ["team-blue"] },
    { id: "doomed", worker: w("doomed") },
  ];
  const file = path.join(dir, "tenants.yaml");
  writeFileSync(file, dump({ tenants }));
  return { dir, file, tenants };
}

export function setTenants(f: Fixture, tenants: Record<string, unknown>[]): void {
  writeFileSync(f.file, dump({ tenants }));
}

/** `wfp-drift` on the project's stack: exit 1 and one line per drifted resource when anything drifted. */
export function runDrift(project: PulumiProject): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [path.join(ROOT, "dist/provider/drift-cli.js"), "--cwd", project.dir, "--stack", "dev"], {
      env: project.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The field lines wfp-drift prints under a resource's line (`  Tenant "x" update`); fails when the line is missing. */
export function fieldsUnder(output: string, resource: string): string[] {
  const lines = output.split("\n");
  const at = lines.indexOf(`  ${resource}`);
  expect(at, output).toBeGreaterThanOrEqual(0);
  const fields: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith("    ")) break;
    fields.push(line.trim());
  }
  return fields;
}
