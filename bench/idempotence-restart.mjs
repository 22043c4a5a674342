#!/usr/bin/env node
// Idempotence across broker crashes (issue 16 item 1), many runs: an idempotent librdkafka
// producer (kcat -P, enable.idempotence=true, acks=all) streams unique records into a
// flush.messages=1 topic whose only replica's broker process is killed -9 and restarted a few
// times mid-stream; then kcat reads the partition back and every record is counted: duplicated
// (read more than once) and missing (never read; kcat delivered it). The cluster is startCluster's
// 3 real processes (bin/kafka-server-start.sh); the topic's partition lives on one node (RF 1),
// so kcat always knows a live broker (it gives up when every broker it knows is down). Each run
// writes a new topic and kills its node; the victim rotates over the nodes.
// Runs the sources (the "source" export condition through tsx): no build needed.
// Writes bench/results/idempotence-restart.json and its section of bench/RESULTS.md.
//   Usage: node bench/idempotence-restart.mjs [--runs 20] [--records 20000] [--kills 3]
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_FLAGS = ["--conditions=source", "--import", "tsx"];
function flag(args, name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error("[idempotence-restart]", ...a);

async function main() {
  const args = process.argv.slice(2);
  const RUNS = flag(args, "--runs", 20);
  const RECORDS = flag(args, "--records", 20_000);
  const KILLS = flag(args, "--kills", 3);
  const { startCluster } = await import("../packages/broker/src/index.ts");
  const { Connection } = await import("../packages/client/src/index.ts");
  const load0 = loadavg()[0];
  const cluster = await startCluster({
    nodes: 3,
    mode: "process",
    config: { "broker.session.timeout.ms": 1500, "broker.heartbeat.interval.ms": 100 },
  });
  const runs = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const victim = (run % 3) + 1;
      const topic = `idem-bench-${run}`;
      await createTopic(Connection, cluster, topic, victim);
      const t0 = performance.now();
      const r = await oneRun(Connection, cluster, topic, victim, RECORDS, KILLS);
      r.seconds = (performance.now() - t0) / 1000;
      runs.push(r);
      log(`run ${run + 1}/${RUNS} (node ${victim}): duplicated ${r.duplicated}, missing ${r.missing}, read ${r.read}`);
    }
  } finally {
    await cluster.close();
  }
  const total = (k) => runs.reduce((s, r) => s + r[k], 0);
  const summary = {
    date: new Date().toISOString(),
    runs: runs.length,
    recordsPerRun: RECORDS,
    killsPerRun: KILLS,
    records: RUNS * RECORDS,
    duplicated: total("duplicated"),
    missing: total("missing"),
    runsWithDuplicates: runs.filter((r) => r.duplicated > 0).length,
    kcatFailures: runs.filter((r) => r.kcatExit !== 0).length,
    loadAverage: [load0, loadavg()[0]],
    perRun: runs,
  };
  writeFileSync(join(ROOT, "bench/results/idempotence-restart.json"), `${JSON.stringify(summary, null, 2)}\n`);
  writeResultsSection(summary);
  console.log(JSON.stringify({ ...summary, perRun: undefined }, null, 2));
}

async function createTopic(Connection, cluster, topic, victim) {
  const node = cluster.node(1);
  const c = await Connection.connect({ host: node.host, port: node.port, clientId: "bench-idempotence" });
  try {
    const res = await c.request(19, {
      topics: [
        {
          name: topic,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [victim] }],
          configs: [{ name: "flush.messages", value: "1" }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const code = res.topics[0].errorCode;
    if (code !== 0) throw new Error(`CreateTopics ${topic}: error ${code}`);
  } finally {
    c.close();
  }
}

/** Until `node` answers ListOffsets for the partition (it leads it again). */
async function waitForLeader(Connection, node, topic) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const c = await Connection.connect({
        host: node.host,
        port: node.port,
        clientId: "bench",
        connectTimeoutMs: 1000,
      });
      try {
        const r = await c.request(2, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
        });
        if (r.topics[0].partitions[0].errorCode === 0) return;
      } finally {
        c.close();
      }
    } catch {}
    await sleep(200);
  }
  throw new Error(`node ${node.id} did not lead ${topic} again within 60 s`);
}

async function oneRun(Connection, cluster, topic, victim, records, kills) {
  const kcat = spawn(
    "kcat",
    [
      ...["-P", "-b", cluster.bootstrap, "-t", topic, "-p", "0"],
      ...["-X", "enable.idempotence=true", "-X", "acks=all", "-X", "linger.ms=2"],
      ...["-X", "message.timeout.ms=120000", "-X", "reconnect.backoff.max.ms=500"],
    ],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  let stderr = "";
  kcat.stderr.on("data", (c) => (stderr += c.toString()));
  const exited = new Promise((resolve) => kcat.once("exit", (code) => resolve(code)));
  const feed = async (from, to) => {
    for (let i = from; i < to; i += 20) {
      const lines = [];
      for (let j = i; j < Math.min(to, i + 20); j++) lines.push(`r${j}`);
      kcat.stdin.write(`${lines.join("\n")}\n`);
      await sleep(1);
    }
  };
  const step = Math.floor(records / (kills + 1));
  for (let k = 0; k < kills; k++) {
    const feeding = feed(k * step, (k + 1) * step);
    await sleep(300);
    await cluster.node(victim).kill();
    await feeding;
    await cluster.node(victim).restart();
    await waitForLeader(Connection, cluster.node(victim), topic);
  }
  await feed(kills * step, records);
  kcat.stdin.end();
  const kcatExit = await exited;
  if (kcatExit !== 0) log(`kcat exited ${kcatExit}: ${stderr.split("\n").slice(-3).join(" | ")}`);
  const values = await readAll(cluster, topic);
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let duplicated = 0;
  for (const n of counts.values()) if (n > 1) duplicated += n - 1;
  let missing = 0;
  for (let i = 0; i < records; i++) if (!counts.has(`r${i}`)) missing++;
  return { topic, victim, read: values.length, duplicated, missing, kcatExit };
}

function readAll(cluster, topic) {
  return new Promise((resolve, reject) => {
    const c = spawn("kcat", ["-C", "-b", cluster.bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    c.stdout.on("data", (d) => (out += d.toString()));
    const timer = setTimeout(() => c.kill("SIGKILL"), 60_000);
    c.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`kcat -C exited ${code}`));
      else resolve(out.split("\n").filter((l) => l.length > 0));
    });
  });
}

function writeResultsSection(s) {
  const lines = [
    "<!-- idempotence-restart:start -->",
    "## Idempotence across broker crashes (`node bench/idempotence-restart.mjs`, issue 16)",
    "",
    `kcat (librdkafka 2.0.2) idempotent producer, acks=all, flush.messages=1 topic on one node of the`,
    `local 3-node cluster (RF 1); that node killed -9 and restarted ${s.killsPerRun} times per run while`,
    `${s.recordsPerRun.toLocaleString("en")} unique records stream; then the partition is read back.`,
    "",
    "```",
    `# ${s.date} — load average ${s.loadAverage.map((l) => l.toFixed(2)).join(" -> ")}`,
    `runs                 ${s.runs}`,
    `records written      ${s.records.toLocaleString("en")}`,
    `broker kills         ${s.runs * s.killsPerRun}`,
    `duplicated records   ${s.duplicated} (runs with any: ${s.runsWithDuplicates})`,
    `missing records      ${s.missing}`,
    `kcat failures        ${s.kcatFailures}`,
    "```",
    "<!-- idempotence-restart:end -->",
  ];
  const path = join(ROOT, "bench/RESULTS.md");
  const text = readFileSync(path, "utf8");
  const re = /<!-- idempotence-restart:start -->[\s\S]*<!-- idempotence-restart:end -->/;
  writeFileSync(
    path,
    re.test(text) ? text.replace(re, lines.join("\n")) : `${text.trimEnd()}\n\n${lines.join("\n")}\n`,
  );
}

if (!process.execArgv.includes("--conditions=source")) {
  // Again with the flags, so this process and the brokers (NODE_OPTIONS) load the TypeScript sources.
  const child = spawn(process.execPath, [...SOURCE_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${SOURCE_FLAGS.join(" ")}`.trim() },
  });
  child.on("exit", (code) => process.exit(code ?? 1));
} else {
  await main();
}
