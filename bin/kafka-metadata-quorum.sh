#!/usr/bin/env bash
# Kafka's kafka-metadata-quorum.sh, served by the gregor CLI (apps/cli): describe --status | --replication.
#   bin/kafka-metadata-quorum.sh --bootstrap-server localhost:9092 describe --status
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAIN="$ROOT/apps/cli/dist/main.js"
if [ ! -f "$MAIN" ]; then
  (cd "$ROOT" && pnpm exec turbo run build --filter=gregor-cli... --output-logs=errors-only >&2)
fi
exec node "$MAIN" metadata-quorum "$@"
