#!/usr/bin/env bash
# The README's main command (`npm start`): deploys the example platform (examples/platform, run by the
# root Pulumi.yaml) onto the embedded emulator, prints what each tenant got and its URL through the dispatch
# Worker, and serves the platform until Ctrl-C (WFP_WORKERS_PORT= empty: deploy only). Run it again: the
# same platform resumes, and only what changed in tenants.yaml or the code is deployed.
#
# State lives in .wfp/ (ignored by git): the emulator's data directory and the Pulumi file backend.
# The stack's secrets passphrase is the documented demo value below; no login, no prompts.
set -euo pipefail
# The deployed platform is served on this port (0 = any free one) until Ctrl-C.
export WFP_WORKERS_PORT="${WFP_WORKERS_PORT-8788}"
source "$(dirname "${BASH_SOURCE[0]}")/stack-env.sh"

if ! pulumi stack select "$WFP_STACK" --non-interactive 2>/dev/null; then
  pulumi stack init "$WFP_STACK" --secrets-provider passphrase --non-interactive
fi
# Demo values for the example tenants' secrets, set once. Another tenant's: `npm run secret -- <tenant> <NAME> <value>`
# (scripts/secret.sh); a real platform sets its own with `pulumi config set --secret` (or from its vault).
demo_secret() { pulumi config get "platform:$1" >/dev/null 2>&1 || pulumi config set --secret "platform:$1" "$2"; }
demo_secret globexStripeKey "sk_test_demo_$(printf 'globex' | sha256sum | cut -c1-24)"
demo_secret globexWebhookSecret "whsec_demo_$(printf 'webhook' | sha256sum | cut -c1-24)"

pulumi up --yes --non-interactive --suppress-outputs "$@"
echo
node dist/examples/platform/summary.js "$(pulumi stack output --json --non-interactive)" "${WFP_WORKERS_URL:-}"

# Serving until interrupted; started again, the same platform resumes from .wfp/emulator. Meanwhile the
# emulator's log follows: a line per request of each Worker, and the Workers' console output.
if [ -n "${WFP_WORKERS_URL:-}" ]; then
  echo
  echo "Requests and the Workers' console output follow (also in .wfp/emulator.log)."
  echo "Events as JSON: node dist/emulator/tail-cli.js --url $WFP_EMULATOR_URL --format json [--tenant acme]"
  [ -n "${WFP_EMULATOR_LOG:-}" ] && tail -n 0 -f "$WFP_EMULATOR_LOG" --pid "$WFP_EMULATOR_PID" &
  wait "$WFP_EMULATOR_PID"
fi
