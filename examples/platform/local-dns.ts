/**
 * What Cloudflare and the customers' DNS do for the demo on the emulator (never run against Cloudflare):
 * `zone <name>` adds the platform's zone to the account when it is missing (on Cloudflare the zone comes with its
 * DNS), and `activate <stack outputs json>` validates each pending custom hostname through the emulator's operator
 * endpoint, as a customer's CNAME and TXT records would. Reads CLOUDFLARE_BASE_URL, _API_TOKEN and _ACCOUNT_ID.
 */
const api = process.env.CLOUDFLARE_BASE_URL ?? "";
const headers = { authorization: `Bearer ${process.env.CLOUDFLARE_API_TOKEN ?? ""}`, "content-type": "application/json" };

async function ensureZone(name: string): Promise<void> {
  const account = process.env.CLOUDFLARE_ACCOUNT_ID ?? "";
  const found = await (await fetch(`${api}/zones?name=${encodeURIComponent(name)}&account.id=${account}`, { headers })).json();
  if ((found as { result?: unknown[] }).result?.length) return;
  const res = await fetch(`${api}/zones`, { method: "POST", headers, body: JSON.stringify({ name, account: { id: account } }) });
  if (!res.ok) throw new Error(`could not add the zone ${name}: ${res.status} ${await res.text()}`);
  console.log(`[platform] added the zone ${name} to the emulator's account`);
}

async function activate(outputsJson: string): Promise<void> {
  const outputs = JSON.parse(outputsJson) as { customHostnames?: Array<{ hostname: string; status: string }> };
  const operator = api.replace(/\/client\/v4$/, "");
  for (const h of outputs.customHostnames ?? []) {
    if (h.status === "active") continue;
    const res = await fetch(`${operator}/__emulator/custom-hostnames/${h.hostname}/activate`, { method: "POST" });
    if (res.ok) console.log(`[platform] ${h.hostname}: validated, as the customer's DNS records would (emulator)`);
  }
}

const [command, arg] = process.argv.slice(2);
const run =
  command === "zone"
    ? ensureZone(arg ?? "")
    : command === "activate"
      ? activate(arg ?? "{}")
      : Promise.reject(new Error(`usage: local-dns zone <name> | activate <outputs json>`));
run.catch((error: Error) => {
  console.error(`[platform] ${error.message}`);
  process.exit(1);
});
