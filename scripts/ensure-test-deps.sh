#!/usr/bin/env bash
# Installs the third-party Kafka clients the integration tests drive (kcat/librdkafka, the Python
# clients) and a C compiler for the librdkafka-based tools, when missing. Needs root and apt-get;
# otherwise it only says what is missing.
set -u
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
[ -f /usr/include/librdkafka/rdkafka_mock.h ] || need+=(librdkafka-dev)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
python3 -c 'import confluent_kafka' 2>/dev/null || need+=(python3-confluent-kafka)
python3 -c 'import kafka' 2>/dev/null || need+=(python3-kafka)
command -v iptables >/dev/null 2>&1 || need+=(iptables) # startCluster's network faults
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages for the tests: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || { echo "apt-get install ${need[*]} failed" >&2; exit 1; }
else
  echo "missing test dependencies (install them with apt-get as root): ${need[*]}" >&2
  exit 1
fi
