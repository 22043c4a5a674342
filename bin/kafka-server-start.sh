#!/usr/bin/env bash
# Starts the Gregor broker like Kafka's script:
#   bin/kafka-server-start.sh config/server.properties [--override key=value]...
# Runs apps/broker/dist/main.js, building it first when it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAIN="$ROOT/apps/broker/dist/main.js"
if [ ! -f "$MAIN" ]; then
  echo "building the broker (apps/broker/dist is missing)..." >&2
  (cd "$ROOT" && export npm_config_nodedir=/usr && pnpm exec turbo run build --filter=gregor-broker... --output-logs=errors-only >&2)
fi
if [ "${1:-}" = "-daemon" ]; then
  shift
  mkdir -p "$ROOT/logs"
  nohup node "$MAIN" "$@" >"${GREGOR_LOG_FILE:-$ROOT/logs/server.log}" 2>&1 &
  exit 0
fi
exec node "$MAIN" "$@"
