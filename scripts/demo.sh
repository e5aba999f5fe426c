#!/usr/bin/env bash
# The README's main command (`npm start`): deploys the example platform (examples/platform, run by the
# root Pulumi.yaml) onto the embedded emulator, prints what each tenant got and its URL through the dispatch
# Worker, and serves the platform until Ctrl-C (WFP_WORKERS_PORT= empty: deploy only). Run it again: the
# same platform resumes, and only what changed in tenants.yaml or the code is deployed.
#
# State lives in .wfp/ (ignored by git): the emulator's data directory and the Pulumi file backend.
# The stack's secrets passphrase is the documented demo value (scripts/stack-env.sh); no login, no prompts.
# CLOUDFLARE_* and PULUMI_* variables exported in the shell are ignored unless WFP_DEMO_TARGET=inherit.
set -euo pipefail
# The deployed platform is served on this port (0 = any free one) until Ctrl-C.
export WFP_WORKERS_PORT="${WFP_WORKERS_PORT-8788}"
source "$(dirname "${BASH_SOURCE[0]}")/stack-env.sh"

select_stack
# Demo values for the example tenants' secrets, set once. Another tenant's: `npm run secret -- <tenant> <NAME> <value>`
# (scripts/secret.sh); a real platform sets its own with `pulumi config set --secret` (or from its vault).
demo_secret() { pulumi config get "platform:$1" >/dev/null 2>&1 || pulumi config set --secret "platform:$1" "$2"; }
demo_secret globexStripeKey "sk_test_demo_$(printf 'globex' | sha256sum | cut -c1-24)"
demo_secret globexWebhookSecret "whsec_demo_$(printf 'webhook' | sha256sum | cut -c1-24)"

# On the emulator, the platform's Cloudflare for SaaS zone is added as Cloudflare would have it, and the tenants'
# custom hostnames are validated after the up as their DNS records would do (examples/platform/local-dns.ts).
on_emulator=""
[ -n "${WFP_EMULATOR_PID:-}" ] && on_emulator=1
zone="$(pulumi config get platform:zone 2>/dev/null || echo platform.test)"
[ -z "$on_emulator" ] || node dist/examples/platform/local-dns.js zone "$zone"

pulumi up --yes --non-interactive --suppress-outputs "$@"
echo
outputs="$(pulumi stack output --json --non-interactive)"
[ -z "$on_emulator" ] || node dist/examples/platform/local-dns.js activate "$outputs"
node dist/examples/platform/summary.js "$outputs" "${WFP_WORKERS_URL:-}"

# Serving until interrupted; started again, the same platform resumes from .wfp/emulator. Meanwhile the
# emulator's log follows: a line per request of each Worker, and the Workers' console output.
if [ -n "${WFP_WORKERS_URL:-}" ]; then
  echo
  echo "Requests and the Workers' console output follow (also in .wfp/emulator.log)."
  echo "Events as JSON: node dist/emulator/tail-cli.js --url $WFP_EMULATOR_URL --format json [--tenant acme]"
  [ -n "${WFP_EMULATOR_LOG:-}" ] && tail -n 0 -f "$WFP_EMULATOR_LOG" --pid "$WFP_EMULATOR_PID" &
  wait "$WFP_EMULATOR_PID"
fi
