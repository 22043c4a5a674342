#!/usr/bin/env bash
# Captures golden request/response frames from kcat (librdkafka) and kafkajs talking to
# librdkafka's mock cluster through record-proxy.mjs. Writes test/fixtures/golden/*.frames.
# Needs: gcc, librdkafka-dev, kcat (Debian packages), kafkajs (repo root devDependency).
#   bash packages/protocol/scripts/capture/capture-all.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkg="$(cd "$here/../.." && pwd)"
out="$pkg/test/fixtures/golden"
work="$(mktemp -d)"
mkdir -p "$out"
gcc -O2 -o "$work/mockbroker" /work/shared/tools/mockbroker.c -lrdkafka 2>/dev/null || gcc -O2 -o "$work/mockbroker" "$here/../../../../../shared/tools/mockbroker.c" -lrdkafka
PROXY_PORT=${PROXY_PORT:-39092}
B="127.0.0.1:$PROXY_PORT"

mock_pid=""; proxy_pid=""
stop_all() {
  [[ -n "$proxy_pid" ]] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null || true
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null || true
  proxy_pid=""; mock_pid=""
}
trap 'stop_all; rm -rf "$work"' EXIT

# Starts a fresh single-broker mock and a proxy writing $out/$1.frames.
start() {
  rm -f "$work/mock.out" "$work/proxy.err"
  "$work/mockbroker" -B 1 -t t1 >"$work/mock.out" 2>"$work/mock.err" &
  mock_pid=$!
  for _ in $(seq 50); do [[ -s "$work/mock.out" ]] && break; sleep 0.1; done
  up="$(head -1 "$work/mock.out")"
  node "$here/record-proxy.mjs" --upstream "$up" --listen "$PROXY_PORT" --out "$out/$1.frames" 2>"$work/proxy.err" &
  proxy_pid=$!
  for _ in $(seq 50); do grep -q record-proxy "$work/proxy.err" 2>/dev/null && break; sleep 0.1; done
}

scenario() { # name command...
  local name="$1"; shift
  echo "== $name" >&2
  start "$name"
  "$@" || echo "   ($name exited $?)" >&2
  sleep 0.3
  stop_all
}

kc() { timeout 20 kcat -b "$B" -X client.id=golden-kcat "$@"; }
produce_kcat() { printf 'k1:value-one\nk2:value-two\nk3:value-three-value-three-value-three\n' | kc -P -t t1 -K: -H trace=abc -z "$1"; }

scenario kcat-metadata kc -L
for z in none gzip snappy lz4 zstd; do scenario "kcat-produce-$z" produce_kcat "$z"; done
consume_kcat() { produce_kcat snappy && kc -C -t t1 -o beginning -e -q >/dev/null; }
scenario kcat-fetch consume_kcat
group_kcat() { produce_kcat none && kc -X enable.auto.commit=true -X auto.commit.interval.ms=200 -X topic.auto.offset.reset=earliest -G golden-group-kcat -e -q t1 >/dev/null; }
scenario kcat-group group_kcat

tsx="$pkg/../../node_modules/.bin/tsx"
for s in produce-none produce-gzip produce-snappy produce-lz4 produce-zstd group; do
  scenario "kafkajs-$s" timeout 40 "$tsx" --conditions=source "$here/kafkajs-scenarios.ts" "$B" "$s"
done
echo "wrote $(ls "$out"/*.frames | wc -l) files to $out" >&2
