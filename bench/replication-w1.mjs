#!/usr/bin/env node
// Issue #15's replication bench: workload W1 (1,000,000 x 100 B, acks=all, one partition, kperf on
// librdkafka) against a single node (RF=1) and against the local 3-node cluster (RF=3,
// min.insync.replicas=2) in the same run, alternating, plus paced publishing at 20,000 records/s
// (kperf produce -r 20000 -l 0, 200,000 records) for publish latency. Every node is an OS process
// started by startCluster from the built packages (Kafka's default configs otherwise).
// Targets (issue #15): RF=3 produce >= 0.5x single node; publish p99 at 20k/s <= 3x single node.
// Writes bench/results/replication-w1.json and prints the RESULTS.md section.
//   Usage: node bench/replication-w1.mjs [--runs 3] [--no-build]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, kperf as runKperf } from "./lib/kperf.mjs";

const kperf = (argv, timeoutMs = 300_000) => runKperf(argv, timeoutMs);

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const RUNS = args.includes("--runs") ? Number(args[args.indexOf("--runs") + 1]) : 3;
const log = (...a) => console.error("[replication-w1]", ...a);
const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : v[Math.floor(v.length / 2)];
};

if (!existsSync(join(BIN, "kperf"))) {
  mkdirSync(BIN, { recursive: true });
  execFileSync(
    "gcc",
    ["-O2", "-o", join(BIN, "kperf"), join(ROOT, "../shared/tools/kperf.c"), "-lrdkafka", "-lpthread"],
    {
      stdio: "inherit",
    },
  );
}
if (!args.includes("--no-build")) {
  const b = spawnSync(
    "pnpm",
    ["exec", "turbo", "run", "build", "--filter=gregor-broker...", "--output-logs=errors-only"],
    {
      cwd: ROOT,
      stdio: "inherit",
    },
  );
  if (b.status !== 0) process.exit(1);
}
const { startCluster } = await import("../packages/broker/dist/index.js");

async function measure(kind, run) {
  const nodes = kind === "rf3" ? 3 : 1;
  const cluster = await startCluster({
    nodes,
    mode: "process",
    config: {
      "min.insync.replicas": nodes === 3 ? 2 : 1,
      "group.initial.rebalance.delay.ms": 0,
      "gregor.admin.port": -1,
    },
  });
  try {
    const b = cluster.bootstrap;
    const topic = `w1-${kind}-${run}`;
    kperf(["create", "-b", b, "-t", topic, "-p", "1", "-R", String(nodes)]);
    const produce = kperf(["produce", "-b", b, "-t", topic, "-n", "1000000", "-s", "100", "-a", "all", "-q"]);
    kperf(["create", "-b", b, "-t", `${topic}-paced`, "-p", "1", "-R", String(nodes)]);
    const paced = kperf([
      "produce",
      "-b",
      b,
      "-t",
      `${topic}-paced`,
      "-n",
      "200000",
      "-s",
      "100",
      "-a",
      "all",
      "-r",
      "20000",
      "-l",
      "0",
      "-q",
    ]);
    const r = {
      kind,
      run,
      produceRecordsPerSec: produce.records_s,
      produceMiBps: produce.mib_s,
      pacedP50Ms: paced.ack_p50_ms,
      pacedP99Ms: paced.ack_p99_ms,
    };
    log(JSON.stringify(r));
    return r;
  } finally {
    await cluster.close();
  }
}

const load0 = loadavg();
const results = [];
for (let run = 1; run <= RUNS; run++) {
  results.push(await measure("single", run));
  results.push(await measure("rf3", run));
}
const load1 = loadavg();
const of = (kind, key) => median(results.filter((r) => r.kind === kind).map((r) => r[key]));
const summary = {
  singleProduce: of("single", "produceRecordsPerSec"),
  rf3Produce: of("rf3", "produceRecordsPerSec"),
  singleP99: of("single", "pacedP99Ms"),
  rf3P99: of("rf3", "pacedP99Ms"),
  singleP50: of("single", "pacedP50Ms"),
  rf3P50: of("rf3", "pacedP50Ms"),
};
summary.produceRatio = summary.rf3Produce / summary.singleProduce;
summary.p99Ratio = summary.rf3P99 / summary.singleP99;
const out = {
  bench: "replication-w1",
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavgBefore: load0, loadavgAfter: load1 },
  results,
  summary,
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/replication-w1.json"), `${JSON.stringify(out, null, 2)}\n`);
const f = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");
console.log(`| | single node (RF=1) | 3 nodes (RF=3, min.insync.replicas=2) | ratio | target |
|---|---|---|---|---|
| W1 produce, 1M x 100 B acks=all (records/s, median of ${RUNS}) | ${f(summary.singleProduce)} | ${f(summary.rf3Produce)} | ${f(summary.produceRatio, 2)} | >= 0.5 |
| paced 20k/s acks=all publish p50 (ms) | ${f(summary.singleP50, 2)} | ${f(summary.rf3P50, 2)} | | |
| paced 20k/s acks=all publish p99 (ms) | ${f(summary.singleP99, 2)} | ${f(summary.rf3P99, 2)} | ${f(summary.p99Ratio, 2)} | <= 3 |

load average ${load0.map((x) => x.toFixed(1)).join(" ")} before, ${load1.map((x) => x.toFixed(1)).join(" ")} after; ${cpus().length} cores.`);
