#!/usr/bin/env bash
# `npm run secret -- <tenant> <NAME> [value]`: sets the value of a tenant's secret for the demo stack, on the
# demo's backend and passphrase (scripts/stack-env.sh), as the stack config key that examples/platform/tenants.yaml
# names for it (`secrets: {NAME: key}` → platform:key). Without a value, pulumi reads it from stdin (or prompts),
# which keeps it out of the shell history. The next `npm start` deploys it.
set -euo pipefail
if [ "$#" -lt 2 ] || [ "$#" -gt 3 ] || [ "$1" = "--help" ] || [ "$1" = "-h" ]; then
  echo "usage: npm run secret -- <tenant> <NAME> [value]   (value from stdin when omitted)" >&2
  [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ] && exit 0
  exit 2
fi
export WFP_SKIP_EMULATOR=1
source "$(dirname "${BASH_SOURCE[0]}")/stack-env.sh"

key="$(node -e '
const [file, tenant, name] = process.argv.slice(1);
const { loadTenantsFile } = require("./dist/examples/platform/tenants.js");
const found = require("./dist/examples/platform/secrets.js").secretConfigKey(loadTenantsFile(file), tenant, name);
if ("problem" in found) {
  console.error(found.problem);
  process.exit(1);
}
process.stdout.write(found.key);
' "$WFP_ROOT/examples/platform/tenants.yaml" "$1" "$2")"

select_stack
if [ "$#" -eq 3 ]; then
  pulumi config set --secret "platform:$key" "$3" --non-interactive
else
  pulumi config set --secret "platform:$key"
fi
echo "[platform] set platform:$key (tenant $1, secret $2); npm start deploys it"
