# shellcheck shell=bash
# The demo stack's own target and its checks, for stack-env.sh (functions only: sourcing this changes nothing).

DEMO_PASSPHRASE="wfp-demo-passphrase"
DEMO_TOKEN="local-dev-token"
# "<pid> <url>" of the emulator stack-env.sh started, so that drift.sh can reach it while npm start serves.
EMULATOR_URL_FILE="$WFP_ROOT/.wfp/emulator.url"

# Drops what the shell inherited from elsewhere, unless WFP_DEMO_TARGET=inherit.
choose_target() {
  case "${WFP_DEMO_TARGET:-}" in
  inherit) return ;;
  "") ;;
  *)
    echo "[platform] WFP_DEMO_TARGET=${WFP_DEMO_TARGET}: allowed is inherit (use the shell's CLOUDFLARE_* and PULUMI_* variables), or unset (the demo's own emulator, backend and passphrase)" >&2
    exit 2
    ;;
  esac
  local ignored=() name
  for name in CLOUDFLARE_BASE_URL CLOUDFLARE_API_TOKEN CLOUDFLARE_ACCOUNT_ID PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE PULUMI_BACKEND_URL; do
    [ -n "${!name+set}" ] || continue
    ignored+=("$name")
    unset "$name"
  done
  [ "${#ignored[@]}" -eq 0 ] ||
    echo "[platform] ignoring ${ignored[*]} from the shell: the demo uses its own emulator, backend and passphrase (WFP_DEMO_TARGET=inherit uses them)"
}

# Prints the URL of the emulator a serving `npm start` runs, if one does (its pid still holds the data directory).
serving_emulator_url() {
  [ -f "$EMULATOR_URL_FILE" ] && [ -f "$WFP_ROOT/.wfp/emulator/wfp-emulator.lock" ] || return 1
  local pid url holder
  read -r pid url <"$EMULATOR_URL_FILE" || return 1
  holder="$(tr -dc 0-9 <"$WFP_ROOT/.wfp/emulator/wfp-emulator.lock")"
  [ -n "$pid" ] && [ "$pid" = "$holder" ] && kill -0 "$pid" 2>/dev/null && [ -n "$url" ] && echo "$url"
}

# Selects the stack (creating it unless `existing` is given) and checks that the passphrase opens its secrets: a
# Pulumi.dev.yaml or .wfp/state written under another passphrase fails here, with the command that fixes it.
select_stack() {
  if ! pulumi stack select "$WFP_STACK" --non-interactive 2>/dev/null; then
    [ "${1:-}" = existing ] && return
    local made
    made="$(pulumi stack init "$WFP_STACK" --secrets-provider passphrase --non-interactive 2>&1)" || explain_passphrase "$made"
    echo "$made"
  fi
  local opened
  opened="$(pulumi config --show-secrets --json --non-interactive 2>&1 >/dev/null)" || explain_passphrase "$opened"
}

explain_passphrase() {
  if ! grep -q 'incorrect passphrase' <<<"$1"; then
    echo "$1" >&2
    exit 1
  fi
  if [ "${WFP_DEMO_TARGET:-}" = inherit ]; then
    echo "[platform] the $WFP_STACK stack's secrets (Pulumi.$WFP_STACK.yaml, $PULUMI_BACKEND_URL) were encrypted with another passphrase than the PULUMI_CONFIG_PASSPHRASE in use: export the one they were made with" >&2
  else
    echo "[platform] the $WFP_STACK stack's secrets (Pulumi.$WFP_STACK.yaml or .wfp/state) were encrypted with another passphrase than the demo's ($DEMO_PASSPHRASE), by a run that used one exported for another project. The demo's state is local; start it afresh (tenant secrets set with npm run secret are set again after) with:" >&2
    echo "  rm -rf .wfp Pulumi.$WFP_STACK.yaml && npm start" >&2
  fi
  exit 1
}
