#!/usr/bin/env bash
# Kafka's kafka-leader-election.sh, served by the gregor CLI (apps/cli): preferred or unclean leader elections.
#   bin/kafka-leader-election.sh --bootstrap-server localhost:9092 --election-type preferred --all-topic-partitions
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAIN="$ROOT/apps/cli/dist/main.js"
if [ ! -f "$MAIN" ]; then
  (cd "$ROOT" && pnpm exec turbo run build --filter=gregor-cli... --output-logs=errors-only >&2)
fi
exec node "$MAIN" leader-election "$@"
