#!/usr/bin/env node
// `pnpm start:cluster`: three combined (broker,controller) nodes on this machine — clients on
// 127.0.0.1:9092/9094/9096, controllers on 9093/9095/9097, data under ./data/node-N (formatted on
// the first run, reused after) and each node's log in ./data/node-N.log. Ctrl-C (SIGINT) or
// SIGTERM stops every node cleanly (SIGTERM to each, wait for the exits).
// Runs after `turbo run build` (see package.json): startCluster comes from the broker's dist.
import { join } from "node:path";
import { startCluster } from "../packages/broker/dist/index.js";

const root = new URL("..", import.meta.url).pathname;
const dataDir = join(root, "data");

const started = performance.now();
let cluster;
try {
  cluster = await startCluster({ nodes: 3, mode: "process", basePort: 9092, dataDir, home: root });
} catch (e) {
  process.stderr.write(`start:cluster: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
const ms = Math.round(performance.now() - started);
const controller = await cluster.activeControllerId();
const lines = [
  `Gregor cluster ${cluster.clusterId}: 3 nodes up in ${ms} ms (active controller: node ${controller})`,
  ...cluster.nodes.map(
    (n) =>
      `  node ${n.id}: ${n.host}:${n.port} (controller ${n.host}:${n.controllerPort}), data ${n.dataDir}, log ${n.logFile}`,
  ),
  `bootstrap: ${cluster.bootstrap}`,
  `  bin/kafka-topics.sh --bootstrap-server ${cluster.bootstrap} --create --topic test-topic --partitions 3 --replication-factor 2`,
  `  bin/kafka-metadata-quorum.sh --bootstrap-server ${cluster.bootstrap} describe --status`,
  "Ctrl-C stops all nodes.",
];
process.stdout.write(`${lines.join("\n")}\n`);

let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`${signal}: stopping the nodes...\n`);
  cluster.close().then(
    () => {
      process.stdout.write("all nodes stopped\n");
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`start:cluster: stopping failed: ${e.message}\n`);
      process.exit(1);
    },
  );
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
// A node that dies on its own is reported; the others keep running (restart it by running this again).
for (const n of cluster.nodes)
  n.exited.then((exit) => {
    if (!stopping)
      process.stderr.write(`node ${n.id} exited (${exit.signal ?? `code ${exit.code}`}); see ${n.logFile}\n`);
  });
