#!/usr/bin/env node
// The fault suite at length (issue 15, "Proof"): --runs runs (default 100) of
// packages/broker/test/faults/suite.ts on one local 3-node cluster of OS processes (each node on its
// own loopback address, config/server.properties' timeouts: broker.session.timeout.ms=9000), each
// run one fault drawn from its seed (kill -9 of a leader, a pause, a leader cut off the other nodes,
// every node killed and restarted, both followers frozen while the leader dies), then healed and
// checked: lost, duplicated, reordered, unexpected acknowledged records. Failover times:
//   kill         kill -9 of a leader -> the workload's first ack on each partition it led;
//   cut, cluster silent cut of a leader from the other nodes -> first ack by a probe producer that
//                knows only the other nodes;
//   cut, client  the same -> the workload's first ack (it also waits out its 30 s request timeout
//                on the cut-off leader).
// Then --unclean-runs runs (default 3) with acks=1 and unclean.leader.election.enable=true on the
// scenario that makes acks=1 lose (both followers frozen while the leader takes writes and dies):
// the loss Kafka documents, shown so the checker is seen to catch loss.
// Writes bench/results/fault-suite.json and the fault-suite section of bench/RESULTS.md.
//   Usage: node bench/fault-suite.mjs [--runs 100] [--seed 1] [--faults-per-run 1] [--rate 100]
//          [--unclean-runs 3] [--wait-ms 60000] [--scenarios kill-leader,pause-node,...] [--no-build] [--sources] [--no-write]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = flag("--runs", 100);
const SEED = flag("--seed", 1);
const FAULTS_PER_RUN = flag("--faults-per-run", 1);
const RATE = flag("--rate", 100);
const UNCLEAN_RUNS = flag("--unclean-runs", 3);
const WAIT_MS = flag("--wait-ms", 60_000);
const scenariosAt = args.indexOf("--scenarios");
const SCENARIOS = scenariosAt >= 0 ? args[scenariosAt + 1].split(",") : undefined;
const SESSION_TIMEOUT_MS = 9000; // config/server.properties
const log = (...a) => console.error("[fault-suite]", ...a);

const SOURCES = args.includes("--sources");
if (SOURCES && !process.execArgv.includes("--conditions=source")) {
  // The nodes and this process run the TypeScript sources (no build): what a developer iterating wants.
  const again = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=source --import tsx`.trim() },
  });
  process.exit(again.status ?? 1);
} else if (SOURCES) {
  // Re-run with the source condition (above): nothing to build.
} else if (!args.includes("--no-build")) {
  const b = spawnSync(
    "pnpm",
    ["exec", "turbo", "run", "build", "--filter=gregor-broker...", "--filter=gregor-cli", "--output-logs=errors-only"],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (b.status !== 0) process.exit(1);
}
const { tsImport } = await import("tsx/esm/api");
const { startCluster } = SOURCES
  ? await tsImport("../packages/broker/src/index.ts", import.meta.url)
  : await import("../packages/broker/dist/index.js");
const suite = await tsImport("../packages/broker/test/faults/suite.ts", import.meta.url);

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}
function stats(values, timedOut) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, timedOut, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? Number.NaN };
}
const ms = (v) => (Number.isFinite(v) ? v.toFixed(0) : "n/a");
const errorsOf = (r) => r.check.lost + r.check.duplicated + r.check.reordered + r.check.unexpected;

/** Sequential write throughput with fdatasync, as bench/broker-w1.mjs measures the disk. */
function disk() {
  const r = spawnSync(
    "dd",
    ["if=/dev/zero", `of=${join(tmpdir(), `gregor-dd-${process.pid}`)}`, "bs=1M", "count=256", "conv=fdatasync"],
    {
      encoding: "utf8",
    },
  );
  rmSync(join(tmpdir(), `gregor-dd-${process.pid}`), { force: true });
  const m = /([\d.,]+) ([MG])B\/s/.exec(r.stderr ?? "");
  return m ? `${m[1]} ${m[2]}B/s` : "n/a";
}

/** Runs that threw (the suite could not finish them: no verdict), with the error; reported. */
const runErrors = [];

async function runMany(cluster, count, base, extra) {
  const results = [];
  for (let i = 0; i < count; i++) {
    const seed = base + i;
    try {
      const r = await suite.runOnce(cluster, {
        seed,
        faultsPerRun: FAULTS_PER_RUN,
        ratePerPartition: RATE,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        failoverWaitMs: WAIT_MS,
        log: (m) => log(`seed ${seed}: ${m}`),
        ...extra,
      });
      const f = r.failovers;
      const times = (xs) => xs.map((x) => x.toFixed(0)).join(",");
      log(
        `${i + 1}/${count} ${suite.describeRun(r)} failover kill [${times(f.kill)}] cut-cluster [${times(f.cutCluster)}] cut-client [${times(f.cutClient)}] timed out ${JSON.stringify(f.timedOut)}`,
      );
      results.push(r);
    } catch (e) {
      log(`${i + 1}/${count} seed ${seed}: the run failed: ${e.stack ?? e}`);
      runErrors.push(`seed ${seed}: ${String(e.message ?? e).slice(0, 300)}`);
      // The next run starts from a cluster known to work: every node killed and started again.
      await suite.healAll(cluster);
      await Promise.all(cluster.nodes.map((n) => cluster.kill(n.id)));
      await Promise.all(cluster.nodes.map((n) => cluster.restart(n.id)));
    }
  }
  return results;
}

const load0 = loadavg()[0];
const diskSpeed = disk();
const started = new Date();
const cluster = await startCluster({ nodes: 3, mode: "process", network: "per-node" });
let main;
let unclean;
try {
  log(`${RUNS} runs from seed ${SEED}`);
  main = await runMany(cluster, RUNS, SEED, SCENARIOS ? { scenarios: SCENARIOS } : {});
  log(`${UNCLEAN_RUNS} runs with acks=1 and unclean.leader.election.enable=true`);
  unclean = await runMany(cluster, UNCLEAN_RUNS, SEED + 1_000_000, {
    acks: 1,
    scenarios: ["pause-followers-kill-leader"],
    topicConfigs: { "unclean.leader.election.enable": "true" },
  });
} finally {
  await cluster.close();
}
const load1 = loadavg()[0];

const sum = (rs, f) => rs.reduce((n, r) => n + f(r), 0);
const failovers = (kind) =>
  stats(
    main.flatMap((r) => r.failovers[kind]),
    sum(main, (r) => r.failovers.timedOut[kind]),
  );
const scenarioCounts = {};
for (const r of main) for (const s of r.scenarios) scenarioCounts[s] = (scenarioCounts[s] ?? 0) + 1;
const totals = (rs) => ({
  runs: rs.length,
  acked: sum(rs, (r) => r.check.acked),
  attempted: sum(rs, (r) => r.check.attempted),
  lost: sum(rs, (r) => r.check.lost),
  duplicated: sum(rs, (r) => r.check.duplicated),
  reordered: sum(rs, (r) => r.check.reordered),
  unexpected: sum(rs, (r) => r.check.unexpected),
  isrNotFull: rs.filter((r) => !r.isrFull).length,
  failing: rs.filter((r) => errorsOf(r) > 0).map((r) => suite.describeRun(r)),
});
const result = {
  date: started.toISOString(),
  machine: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
  node: process.version,
  load: [load0, load1],
  disk: diskSpeed,
  seed: SEED,
  main: totals(main),
  scenarios: scenarioCounts,
  failover: { kill: failovers("kill"), cutCluster: failovers("cutCluster"), cutClient: failovers("cutClient") },
  unclean: totals(unclean),
  runErrors,
};

const fo = (what, s) => `| ${what} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${s.timedOut} |`;
const m = result.main;
const u = result.unclean;
const section = [
  "<!-- fault-suite:start -->",
  "## Fault suite: acks=all, RF 3, min.insync.replicas 2 under faults (issue 15)",
  "",
  `Command: \`node bench/fault-suite.mjs --runs ${RUNS} --seed ${SEED} --faults-per-run ${FAULTS_PER_RUN} --rate ${RATE} --unclean-runs ${UNCLEAN_RUNS} --wait-ms ${WAIT_MS}\` — run ${result.date.slice(0, 16).replace("T", " ")} UTC on ${result.machine}, Node ${result.node}.`,
  'One local cluster of three combined nodes (OS processes, `startCluster({ network: "per-node" })`, config/server.properties:',
  "`broker.session.timeout.ms=9000`, Kafka's defaults otherwise). Each run: a new topic (3 partitions, RF 3, `min.insync.replicas=2`),",
  `an idempotent acks=all producer writing unique values at ${RATE} records/s per partition, one fault drawn from the run's seed`,
  `(${Object.entries(scenarioCounts)
    .map(([k, v]) => `${k} x${v}`)
    .join(", ")}), heal, every partition read from offset 0 and checked.`,
  "",
  "| runs | records acked | lost | duplicated | reordered | unexpected | runs with ISR not full at the end |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  `| ${m.runs} | ${m.acked.toLocaleString("en-US")} (of ${m.attempted.toLocaleString("en-US")} sent) | ${m.lost} | ${m.duplicated} | ${m.reordered} | ${m.unexpected} | ${m.isrNotFull} |`,
  "",
  ...(runErrors.length > 0
    ? [
        `Runs the suite could not finish (no verdict, not counted above): ${runErrors.length}.`,
        "",
        ...runErrors.map((f) => `- ${f}`),
        "",
      ]
    : []),
  ...(m.failing.length > 0
    ? ["Failing runs (seed [scenario]: counts — examples):", "", ...m.failing.map((f) => `- ${f}`), ""]
    : []),
  "Failover, ms (per partition led by the faulty node):",
  "",
  `| fault -> acknowledged again | n | p50 | p99 | max | not within ${WAIT_MS / 1000} s |`,
  "| --- | --- | --- | --- | --- | --- |",
  fo("kill -9 of the leader -> the workload's first ack (target p99 <= 2000)", result.failover.kill),
  fo(
    `silent cut of the leader -> first ack via the other nodes (target: session timeout + 1 s = ${SESSION_TIMEOUT_MS + 1000})`,
    result.failover.cutCluster,
  ),
  fo(
    "silent cut of the leader -> the workload's first ack (its request timeout, 30 s, included)",
    result.failover.cutClient,
  ),
  "",
  `The checker catching loss: ${u.runs} runs with acks=1 and \`unclean.leader.election.enable=true\`, both followers frozen while the`,
  `leader takes writes and is killed: ${u.acked.toLocaleString("en-US")} acked, **${u.lost} lost**, ${u.duplicated} duplicated — the loss Kafka documents for acks=1.`,
  "",
  `Machine: load (1-minute average, 2 cores shared with other work) at start / end ${load0.toFixed(2)} / ${load1.toFixed(2)}; disk \`dd bs=1M count=256 conv=fdatasync\` ${diskSpeed}.`,
  "<!-- fault-suite:end -->",
].join("\n");
if (!args.includes("--no-write")) {
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, "bench/results/fault-suite.json"), `${JSON.stringify(result, null, 2)}\n`);
  const resultsPath = join(ROOT, "bench/RESULTS.md");
  const md = readFileSync(resultsPath, "utf8");
  const re = /<!-- fault-suite:start -->[\s\S]*<!-- fault-suite:end -->/;
  writeFileSync(resultsPath, re.test(md) ? md.replace(re, section) : `${md.trimEnd()}\n\n${section}\n`);
}
console.log(section);
process.exit(m.lost + m.duplicated + m.reordered + m.unexpected > 0 ? 1 : 0);
