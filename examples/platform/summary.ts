/**
 * Prints what each tenant got, from `pulumi stack output --json` (argv[2]); given the URL the emulator serves the
 * Workers on (argv[3]), also each tenant's URL through the dispatch Worker and what a first request to it returned.
 */
import * as http from "node:http";

interface Deployed {
  script: string;
  etag: string;
  tags: string[];
  secrets: string[];
  assetFiles: number;
}

const outputs = JSON.parse(process.argv[2] ?? "{}") as {
  namespaceName?: string;
  dispatcherName?: string;
  outboundName?: string;
  routingDomain?: string;
  deployed?: Deployed[];
  customHostnames?: Array<{ tenant: string; hostname: string; status: string; ownership?: { name?: string; value?: string } }>;
};
const workersUrl = process.argv[3];
const rows = outputs.deployed ?? [];
console.log(`Namespace ${outputs.namespaceName ?? "?"}: ${rows.length} tenant(s)`);
console.log(`Dispatch Worker ${outputs.dispatcherName ?? "?"} (workers.dev on), outbound Worker ${outputs.outboundName ?? "?"}`);
for (const t of rows) {
  const secrets = t.secrets.length > 0 ? t.secrets.join(", ") : "none";
  console.log(
    `  ${t.script.padEnd(12)} etag ${t.etag.slice(0, 12)}  assets ${String(t.assetFiles).padStart(3)} file(s)  secrets ${secrets}  tags ${t.tags.join(", ")}`,
  );
}

/** The first line of a GET through the Workers port, with the Host the dispatcher routes by. */
function firstResponse(base: URL, host: string): Promise<string> {
  return new Promise((resolve) => {
    http
      .get({ host: base.hostname, port: base.port, path: "/", headers: { host } }, (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => {
          const type = String(res.headers["content-type"] ?? "").split(";")[0];
          resolve(`${res.statusCode} ${type}: ${body.replace(/\s+/g, " ").trim().slice(0, 60)}`);
        });
      })
      .on("error", (error) => resolve(`error: ${error.message}`));
  });
}

async function probe(): Promise<void> {
  if (!workersUrl) return;
  const base = new URL(workersUrl);
  const domain = outputs.routingDomain ?? "localhost";
  console.log("\nEach tenant through the dispatch Worker (open them in a browser; Ctrl-C stops the platform):");
  for (const t of rows) {
    const host = `${t.script}.${domain}`;
    console.log(`  ${`http://${host}:${base.port}/`.padEnd(34)} ${await firstResponse(base, host)}`);
  }
  const own = outputs.customHostnames ?? [];
  if (own.length === 0) return;
  console.log("\nTenants' own hostnames (custom hostnames, through the zone's */* route to the dispatch Worker):");
  for (const h of own) {
    const curl = `curl -H 'Host: ${h.hostname}' ${base.origin}/`;
    console.log(`  ${h.tenant.padEnd(8)} ${curl.padEnd(58)} ${await firstResponse(base, h.hostname)}`);
    if (h.status !== "active" && h.ownership?.name)
      console.log(`           for the customer's DNS: TXT ${h.ownership.name} ${h.ownership.value ?? ""}`);
  }
  const first = own[0]!.hostname;
  console.log(`  In Chromium started with --host-resolver-rules="MAP ${first} 127.0.0.1": http://${first}:${base.port}/`);
}

void probe();
