# shellcheck shell=bash
# The root stack on the embedded emulator, for demo.sh, drift.sh and secret.sh: sourcing this sets up the toolchain,
# enters the repository, sets the stack's environment and starts the emulator (stopped on exit).
# The emulator persists to .wfp/emulator; the Pulumi state is a file backend in .wfp/state.
#
# The demo touches only its own platform: CLOUDFLARE_* and PULUMI_CONFIG_PASSPHRASE / PULUMI_BACKEND_URL left
# exported in the shell (from work on another project) are ignored, saying so. WFP_DEMO_TARGET=inherit uses them
# instead: set CLOUDFLARE_BASE_URL to deploy the demo stack to another API (the emulator is then not started).
# WFP_SKIP_EMULATOR=1 for commands that only touch the stack (secret.sh); WFP_EMULATOR_SHARED=1 for commands that
# may use the emulator a serving `npm start` runs (drift.sh).

source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
ensure_toolchain
cd "$WFP_ROOT"

source "$WFP_ROOT/scripts/demo-stack.sh"
choose_target

export WFP_STACK="${WFP_STACK:-dev}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$WFP_ROOT/.wfp/state}"
# The demo stack's passphrase: not a secret, it only protects this local demo state.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-$DEMO_PASSPHRASE}"
export CLOUDFLARE_ACCOUNT_ID="${CLOUDFLARE_ACCOUNT_ID:-0123456789abcdef0123456789abcdef}"
mkdir -p "$WFP_ROOT/.wfp/state"

start_emulator() {
  if [ -n "${CLOUDFLARE_BASE_URL:-}" ]; then
    echo "[platform] using the API at $CLOUDFLARE_BASE_URL"
    return
  fi
  export CLOUDFLARE_API_TOKEN="${CLOUDFLARE_API_TOKEN:-$DEMO_TOKEN}"
  local url=""
  if url="$(serving_emulator_url)"; then
    if [ -z "${WFP_EMULATOR_SHARED:-}" ]; then
      echo "[platform] npm start is already serving the demo (emulator at $url); stop it with Ctrl-C there first" >&2
      exit 1
    fi
    export CLOUDFLARE_BASE_URL="$url/client/v4" WFP_EMULATOR_URL="$url"
    echo "[platform] using the emulator npm start serves at $url"
    return
  fi
  local log="$WFP_ROOT/.wfp/emulator.log"
  # WFP_WORKERS_PORT set: the emulator also runs the deployed Workers and serves them on that port.
  local serve=()
  [ -n "${WFP_WORKERS_PORT:-}" ] && serve=(--workers-port "$WFP_WORKERS_PORT")
  node "$WFP_ROOT/dist/emulator/cli.js" --port 0 --data-dir "$WFP_ROOT/.wfp/emulator" --token "$CLOUDFLARE_API_TOKEN" "${serve[@]}" >"$log" 2>&1 &
  WFP_EMULATOR_PID=$!
  trap 'rm -f "$EMULATOR_URL_FILE"; kill "$WFP_EMULATOR_PID" 2>/dev/null; wait "$WFP_EMULATOR_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    url="$(sed -n 's/^listening on //p' "$log" | head -n1)"
    [ -n "$url" ] && break
    kill -0 "$WFP_EMULATOR_PID" 2>/dev/null || { cat "$log" >&2; echo "[platform] the emulator did not start" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "[platform] the emulator did not report its address" >&2; exit 1; }
  echo "$WFP_EMULATOR_PID $url" >"$EMULATOR_URL_FILE"
  export CLOUDFLARE_BASE_URL="$url/client/v4"
  # For wfp-tail (its default --url) and demo.sh's request log.
  export WFP_EMULATOR_URL="$url" WFP_EMULATOR_LOG="$log"
  # Printed on the line after the API's, once the Workers are loaded.
  [ -n "${WFP_WORKERS_PORT:-}" ] && export WFP_WORKERS_URL="$(sed -n 's/^workers on //p' "$log" | head -n1)"
  echo "[platform] emulator at $url (data in .wfp/emulator)"
}

[ -n "${WFP_SKIP_EMULATOR:-}" ] || start_emulator
