#!/usr/bin/env bash
# `npm run drift`: refreshes the root stack against the API (the embedded emulator, the one a serving `npm start`
# runs if there is one; another API with WFP_DEMO_TARGET=inherit and CLOUDFLARE_BASE_URL) and prints each drifted
# resource; exits non-zero on drift.
set -euo pipefail
export WFP_EMULATOR_SHARED=1
source "$(dirname "${BASH_SOURCE[0]}")/stack-env.sh"
select_stack existing
node dist/provider/drift-cli.js --cwd "$WFP_ROOT" --stack "$WFP_STACK"
