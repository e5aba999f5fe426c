/** Prints what each tenant got, from `pulumi stack output --json` (argv[2]). */
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
  deployed?: Deployed[];
};
const rows = outputs.deployed ?? [];
console.log(`Namespace ${outputs.namespaceName ?? "?"}: ${rows.length} tenant(s)`);
console.log(`Dispatch Worker ${outputs.dispatcherName ?? "?"} (workers.dev on), outbound Worker ${outputs.outboundName ?? "?"}`);
for (const t of rows) {
  const secrets = t.secrets.length > 0 ? t.secrets.join(", ") : "none";
  console.log(
    `  ${t.script.padEnd(12)} etag ${t.etag.slice(0, 12)}  assets ${String(t.assetFiles).padStart(3)} file(s)  secrets ${secrets}  tags ${t.tags.join(", ")}`,
  );
}
