#!/usr/bin/env node
// Follower catch-up rate (issue 15's bench): a 3-node local cluster of OS processes (startCluster,
// Kafka's default configs), a topic with replication factor 3; one follower of partition 0 is
// killed (SIGKILL), --records (default 1,000,000) x --bytes (default 100) byte records are written
// with acks=1 while it is down, then it is restarted; the clock runs from its restart until its
// replica's segment files hold as many bytes as the leader's (byte-identical logs are what the
// replication tests check). Catch-up rate = the bytes it fetched / that time, in MB/s (1 MB = 1e6 B),
// timed from the restart() call (process start included) and from the moment it is registered.
// Writes bench/results/replication-catchup.json and prints one summary line.
//   Usage: node bench/replication-catchup.mjs [--records 1000000] [--bytes 100] [--runs 1]
// Runs the sources (tsx, the "source" export condition) in this process and in the broker processes.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_OPTIONS = "--conditions=source --import tsx";
if (!(process.env.NODE_OPTIONS ?? "").includes("--conditions=source")) {
  // Re-run with the sources loadable here and in every broker process the cluster starts.
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${SOURCE_OPTIONS}`.trim() };
  const r = spawnSync(process.execPath, process.argv.slice(1), { cwd: ROOT, stdio: "inherit", env });
  process.exit(r.status ?? 1);
}

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RECORDS = flag("--records", 1_000_000);
const RECORD_BYTES = flag("--bytes", 100);
const RUNS = flag("--runs", 1);
const TOPIC = "catchup";
const log = (...a) => console.error("[replication-catchup]", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

const { startCluster } = await import("../packages/broker/src/index.ts");
const { Admin, Producer } = await import("../packages/client/src/index.ts");

/** Bytes of the partition's .log segments on a node (0 when it has none yet). */
function logBytes(node, partition = 0) {
  const dir = join(node.dataDir, `${TOPIC}-${partition}`);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

async function leaderAndReplicas(admin) {
  for (;;) {
    const [t] = await admin.describeTopics([TOPIC]).catch(() => []);
    const p = t?.partitions[0];
    if (p !== undefined && p.leader >= 0) return p;
    await sleep(50);
  }
}

async function produce(bootstrap) {
  const producer = new Producer({ bootstrapBrokers: bootstrap, acks: 1, lingerMs: 5, batchSize: 512 * 1024 });
  const value = Buffer.alloc(RECORD_BYTES, 120);
  const chunk = 10_000;
  const t0 = now();
  try {
    const sends = [];
    for (let i = 0; i < RECORDS; i += chunk) {
      const n = Math.min(chunk, RECORDS - i);
      sends.push(
        producer.send(
          TOPIC,
          Array.from({ length: n }, () => ({ value, partition: 0 })),
        ),
      );
      if (sends.length >= 8) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
  return now() - t0;
}

async function oneRun(run) {
  const cluster = await startCluster({ nodes: 3, mode: "process" });
  const bootstrap = cluster.bootstrap.split(",");
  const admin = new Admin({ bootstrapBrokers: bootstrap, clientId: "bench-catchup" });
  try {
    await admin.createTopics([{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }]);
    const p = await leaderAndReplicas(admin);
    const followerId = p.replicas.find((id) => id !== p.leader);
    const follower = cluster.node(followerId);
    const leader = cluster.node(p.leader);
    await cluster.kill(followerId);
    const alive = cluster.nodes.filter((n) => n.id !== followerId).map((n) => `${n.host}:${n.port}`);
    const produceMs = await produce(alive);
    const before = logBytes(follower);
    const target = logBytes(leader);
    log(
      `run ${run}: wrote ${RECORDS} x ${RECORD_BYTES} B in ${produceMs.toFixed(0)} ms; leader log ${target} B, follower ${before} B`,
    );
    const t0 = now();
    await cluster.restart(followerId);
    const t1 = now();
    while (logBytes(follower) < target) await sleep(20);
    const t2 = now();
    const bytes = target - before;
    const result = {
      run,
      records: RECORDS,
      recordBytes: RECORD_BYTES,
      bytesFetched: bytes,
      restartMs: t1 - t0,
      catchUpFromRestartMs: t2 - t0,
      catchUpFromRegisteredMs: t2 - t1,
      mbPerSecFromRestart: bytes / 1e6 / ((t2 - t0) / 1000),
      mbPerSecFromRegistered: bytes / 1e6 / ((t2 - t1) / 1000),
      produceMs,
    };
    log(
      `run ${run}: follower ${followerId} fetched ${(bytes / 1e6).toFixed(1)} MB in ${(t2 - t1).toFixed(0)} ms after registering ` +
        `(${result.mbPerSecFromRegistered.toFixed(1)} MB/s; ${result.mbPerSecFromRestart.toFixed(1)} MB/s from the restart call)`,
    );
    return result;
  } finally {
    await admin.close();
    await cluster.close();
  }
}

const runs = [];
for (let i = 1; i <= RUNS; i++) runs.push(await oneRun(i));
const out = {
  bench: "replication-catchup",
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
  runs,
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/replication-catchup.json"), `${JSON.stringify(out, null, 2)}\n`);
const best = Math.max(...runs.map((r) => r.mbPerSecFromRegistered));
console.log(`follower catch-up: ${best.toFixed(1)} MB/s (${RECORDS} x ${RECORD_BYTES} B, best of ${RUNS})`);
