#!/usr/bin/env node
// The local 3-node cluster (issue #14's bench), every node an OS process started by startCluster as a
// Kafka user would (kafka-storage.sh format, kafka-server-start.sh config/server.properties with
// --override for roles, ids, voters, listeners, dirs) and Kafka's default timeouts (no overrides):
//   1. start-up: startCluster() until every node's Metadata lists all three brokers (new dirs, then
//      the same dirs again);
//   2. controller failover: kill -9 of the active controller's process group until the next
//      CreateTopics succeeds through a surviving broker (and until DescribeQuorum names a new
//      leader), p50/p99 over --kills (default 20); the node restarts between kills (not timed);
//   3. broker failover: kill -9 of a broker that is not the active controller until every surviving
//      node's Metadata shows new leaders for the partitions it led, over --broker-kills (default 10);
//   4. metadata propagation: CreateTopics acknowledged until every node's Metadata shows the topic.
// Writes bench/results/cluster.json and the cluster section of bench/RESULTS.md.
//   Usage: node bench/cluster.mjs [--kills 20] [--topics 50] [--starts 3] [--broker-kills 10] [--no-build]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const KILLS = flag("--kills", 20);
const TOPICS = flag("--topics", 50);
const STARTS = flag("--starts", 3);
const BROKER_KILLS = flag("--broker-kills", 10);
const log = (...a) => console.error("[cluster]", ...a);

if (!args.includes("--no-build")) {
  const b = spawnSync(
    "pnpm",
    ["exec", "turbo", "run", "build", "--filter=gregor-broker...", "--filter=gregor-cli", "--output-logs=errors-only"],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (b.status !== 0) process.exit(1);
}
const { startCluster } = await import("../packages/broker/dist/index.js");
const { Connection } = await import("../packages/client/dist/index.js");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), min: s[0], max: s[s.length - 1] };
}
const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : "n/a");

async function connect(node) {
  return Connection.connect({ host: node.host, port: node.port, clientId: "bench-cluster", connectTimeoutMs: 1000 });
}

function createTopic(conn, name) {
  return conn.request(19, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
}

async function startups() {
  const fresh = [];
  const again = [];
  for (let i = 0; i < STARTS; i++) {
    let t0 = now();
    const c = await startCluster({ nodes: 3, mode: "process" });
    fresh.push(now() - t0);
    await Promise.all(c.nodes.map((n) => n.kill()));
    t0 = now();
    await Promise.all(c.nodes.map((n) => n.restart()));
    await c.waitForBrokers();
    again.push(now() - t0);
    await Promise.all(c.nodes.map((n) => n.kill()));
    await c.close();
    log(
      `start-up ${i + 1}/${STARTS}: new dirs ${ms(fresh.at(-1))} ms, restart on the same dirs ${ms(again.at(-1))} ms`,
    );
  }
  return { fresh: stats(fresh), again: stats(again) };
}

/** Sends CreateTopics through `node` until one succeeds; retries on errors and lost connections. */
async function createUntilOk(node, name) {
  let conn = null;
  for (;;) {
    try {
      conn ??= await connect(node);
      const res = await createTopic(conn, name);
      const code = res.topics[0].errorCode;
      if (code === 0) break;
      if (code === 36) break; // TOPIC_ALREADY_EXISTS: an earlier try committed
    } catch {
      conn?.close();
      conn = null;
    }
    await sleep(5);
  }
  conn?.close();
}

async function activeController(cluster, not) {
  for (;;) {
    const id = await cluster.activeControllerId();
    if (id > 0 && id !== not) return id;
    await sleep(5);
  }
}

async function failovers(cluster) {
  const toCreate = [];
  const toLeader = [];
  for (let i = 0; i < KILLS; i++) {
    const victimId = await activeController(cluster, -1);
    const victim = cluster.node(victimId);
    const survivor = cluster.nodes.find((n) => n.id !== victimId);
    const t0 = now();
    victim.signal("SIGKILL");
    const leader = activeController(cluster, victimId).then(() => now() - t0);
    await createUntilOk(survivor, `failover-${i}`);
    toCreate.push(now() - t0);
    toLeader.push(await leader);
    await victim.exited;
    await victim.restart();
    await cluster.waitForBrokers();
    log(
      `kill ${i + 1}/${KILLS} (node ${victimId}): CreateTopics ok after ${ms(toCreate.at(-1))} ms, new leader after ${ms(toLeader.at(-1))} ms`,
    );
  }
  return {
    createTopics: stats(toCreate),
    newLeader: stats(toLeader),
    samples: toCreate.map((v, i) => [v, toLeader[i]]),
  };
}

/** Leader of each partition of `topic` as `conn`'s node sees it. */
async function leaders(conn, topic) {
  const md = await conn.request(3, { topics: [{ name: topic }], allowAutoTopicCreation: false });
  return md.topics[0].partitions.map((p) => p.leaderId);
}

/** kill -9 of a broker that is not the active controller until every survivor shows new leaders. */
async function brokerFailovers(cluster) {
  const times = [];
  for (let i = 0; i < BROKER_KILLS; i++) {
    const topic = `broker-failover-${i}`;
    const controllerId = await activeController(cluster, -1);
    const entry = cluster.node(controllerId);
    const conn = await connect(entry);
    const res = await conn.request(19, {
      topics: [{ name: topic, numPartitions: 6, replicationFactor: 2, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    conn.close();
    if (res.topics[0].errorCode !== 0) throw new Error(`CreateTopics ${topic}: error ${res.topics[0].errorCode}`);
    const victim = cluster.nodes.find((n) => n.id !== controllerId);
    const survivors = await Promise.all(cluster.nodes.filter((n) => n !== victim).map((n) => connect(n)));
    const t0 = now();
    victim.signal("SIGKILL");
    await Promise.all(
      survivors.map(async (c) => {
        while ((await leaders(c, topic)).includes(victim.id)) await sleep(1);
      }),
    );
    times.push(now() - t0);
    for (const c of survivors) c.close();
    await victim.exited;
    await victim.restart();
    await cluster.waitForBrokers();
    log(
      `broker kill ${i + 1}/${BROKER_KILLS} (node ${victim.id}): new leaders everywhere after ${ms(times.at(-1))} ms`,
    );
  }
  return stats(times);
}

async function propagation(cluster) {
  const conns = await Promise.all(cluster.nodes.map((n) => connect(n)));
  const all = [];
  const slowest = new Map(cluster.nodes.map((n) => [n.id, 0]));
  try {
    for (let i = 0; i < TOPICS; i++) {
      const name = `propagation-${i}`;
      const entry = conns[i % conns.length];
      const res = await createTopic(entry, name);
      if (res.topics[0].errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${res.topics[0].errorCode}`);
      const t0 = now();
      const seen = await Promise.all(
        conns.map(async (c) => {
          for (;;) {
            const md = await c.request(3, { topics: [{ name }], allowAutoTopicCreation: false });
            const t = md.topics[0];
            if (t && t.errorCode === 0 && t.partitions.length === 1) return now() - t0;
          }
        }),
      );
      all.push(Math.max(...seen));
      seen.forEach((v, j) => {
        const id = cluster.nodes[j].id;
        slowest.set(id, Math.max(slowest.get(id), v));
      });
    }
  } finally {
    for (const c of conns) c.close();
  }
  return { allNodes: stats(all) };
}

const load0 = loadavg()[0];
const started = new Date();
log(`start-up x${STARTS}`);
const startup = await startups();
log("cluster for failover and propagation");
const cluster = await startCluster({ nodes: 3, mode: "process" });
let failover;
let metadata;
let brokerFailover;
try {
  log(`propagation x${TOPICS}`);
  metadata = await propagation(cluster);
  log(`controller failover x${KILLS}`);
  failover = await failovers(cluster);
  log(`broker failover x${BROKER_KILLS}`);
  brokerFailover = await brokerFailovers(cluster);
} finally {
  await cluster.close();
}
const load1 = loadavg()[0];

const result = {
  date: started.toISOString(),
  machine: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
  node: process.version,
  load: [load0, load1],
  startup,
  failover,
  brokerFailover,
  metadata,
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/cluster.json"), `${JSON.stringify(result, null, 2)}\n`);

const row = (what, s) => `| ${what} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.min)} | ${ms(s.max)} |`;
const section = [
  "<!-- cluster:start -->",
  "## Local cluster: start-up, controller failover, metadata propagation (issue #14)",
  "",
  `Command: \`node bench/cluster.mjs --kills ${KILLS} --topics ${TOPICS} --starts ${STARTS} --broker-kills ${BROKER_KILLS}\` — run ${result.date.slice(0, 10)} on ${result.machine}, Node ${result.node}.`,
  'Three combined nodes, each an OS process started by `startCluster({ mode: "process" })` (`kafka-storage.sh format`, then',
  "`kafka-server-start.sh config/server.properties --override ...`), with the file's timeouts: `controller.quorum.election.timeout.ms=1000`,",
  "`broker.session.timeout.ms=9000`, `broker.heartbeat.interval.ms=2000`, Kafka's defaults for the rest. Times in ms.",
  "",
  "| measurement | n | p50 | p99 | min | max |",
  "| --- | --- | --- | --- | --- | --- |",
  row(
    "start-up, new dirs: startCluster() until every node's Metadata lists 3 brokers (formatting included)",
    startup.fresh,
  ),
  row("start-up, same dirs after kill -9 of all: restart until every Metadata lists 3 brokers", startup.again),
  row(
    "kill -9 of the active controller -> next successful CreateTopics (through a surviving broker)",
    failover.createTopics,
  ),
  row("kill -9 of the active controller -> DescribeQuorum names a new leader", failover.newLeader),
  row(
    "kill -9 of a broker (not the controller) -> every survivor's Metadata shows new leaders for its partitions",
    brokerFailover,
  ),
  row("CreateTopics acknowledged -> every node's Metadata shows the topic", metadata.allNodes),
  "",
  `Each kill, CreateTopics / new leader: ${failover.samples.map(([a, b]) => `${a.toFixed(0)} / ${b.toFixed(0)}`).join(", ")}.`,
  "",
  `Machine load (1-minute load average, 2 cores shared with other work) at start / end: ${load0.toFixed(2)} / ${load1.toFixed(2)}.`,
  "<!-- cluster:end -->",
].join("\n");
const resultsPath = join(ROOT, "bench/RESULTS.md");
const md = readFileSync(resultsPath, "utf8");
const re = /<!-- cluster:start -->[\s\S]*<!-- cluster:end -->/;
writeFileSync(resultsPath, re.test(md) ? md.replace(re, section) : `${md.trimEnd()}\n\n${section}\n`);
console.log(section);
