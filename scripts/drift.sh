#!/usr/bin/env bash
# `npm run drift`: refreshes the root stack against the API (the embedded emulator unless
# CLOUDFLARE_BASE_URL is set) and prints each drifted resource; exits non-zero on drift.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack-env.sh"
node dist/provider/drift-cli.js --cwd "$WFP_ROOT" --stack "$WFP_STACK"
