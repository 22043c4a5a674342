#!/usr/bin/env bash
# Kafka's kafka-reassign-partitions.sh, served by the gregor CLI (apps/cli): --generate | --execute | --verify | --cancel | --list.
#   bin/kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --execute --reassignment-json-file moves.json
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAIN="$ROOT/apps/cli/dist/main.js"
if [ ! -f "$MAIN" ]; then
  (cd "$ROOT" && pnpm exec turbo run build --filter=gregor-cli... --output-logs=errors-only >&2)
fi
exec node "$MAIN" reassign-partitions "$@"
