#!/usr/bin/env bash
# Kafka's kafka-storage.sh, served by the gregor CLI (apps/cli): random-uuid, format, info.
#   bin/kafka-storage.sh format -t "$(bin/kafka-storage.sh random-uuid)" -c config/server.properties
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAIN="$ROOT/apps/cli/dist/main.js"
if [ ! -f "$MAIN" ]; then
  (cd "$ROOT" && pnpm exec turbo run build --filter=gregor-cli... --output-logs=errors-only >&2)
fi
exec node "$MAIN" storage "$@"
