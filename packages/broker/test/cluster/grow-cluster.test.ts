// The scenario (#15 item 6): a 4th broker joins a running 3-node cluster and partitions
// move onto it (AlterPartitionReassignments) while an idempotent acks=all producer runs; then every
// partition is read from the start and compared with the acknowledgements: nothing lost, nothing
// duplicated, nothing out of place. The moves also take leadership off brokers being removed.
// In-process nodes (startCluster) plus a broker-only node 4 started here the same way.
import { join } from "node:path";
import { Admin } from "@gregor/client";
import {
  type AlterPartitionReassignmentsResponse,
  ApiKey,
  type ListPartitionReassignmentsResponse,
} from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { type Broker, startBroker, startCluster } from "../../src/index.js";
import { formatStorage } from "../../src/metadata/meta-properties.js";
import { check, describeErrors } from "../faults/checker.js";
import { readAll } from "../faults/cluster-view.js";
import { Workload } from "../faults/workload.js";
import { freePorts, TEST_TIMEOUTS, until } from "./harness.js";

const TOPIC = "grow";
const PARTITIONS = 3;

describe("adding a broker and moving partitions onto it", () => {
  it("loses and duplicates nothing while an idempotent acks=all producer runs", async () => {
    const cluster = await startCluster({ nodes: 3, mode: "in-process", config: TEST_TIMEOUTS });
    let fourth: Broker | null = null;
    let workload: Workload | null = null;
    const admin = new Admin({ bootstrapBrokers: cluster.bootstrap.split(","), clientId: "grow-test" });
    try {
      await admin.createTopics([
        { topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configs: { "min.insync.replicas": "2" } },
      ]);
      workload = new Workload({
        bootstrap: cluster.bootstrap,
        topic: TOPIC,
        partitions: PARTITIONS,
        tag: "grow",
        ratePerPartition: 200,
      });
      workload.start();

      // Node 4: broker only, knows the three controllers, formatted for this cluster.
      const dir = join(cluster.dataDir, "node-4");
      await formatStorage({ dirs: [dir], clusterId: cluster.clusterId, nodeId: 4 });
      const [port] = await freePorts(1);
      fourth = await startBroker({
        config: {
          ...TEST_TIMEOUTS,
          "process.roles": "broker",
          "node.id": 4,
          "controller.quorum.voters": cluster.nodes.map((n) => `${n.id}@${n.host}:${n.controllerPort}`).join(","),
          "controller.listener.names": "CONTROLLER",
          listeners: `PLAINTEXT://127.0.0.1:${port}`,
          "log.dirs": dir,
          "gregor.admin.port": 0,
        },
      });
      await until("broker 4 in the cluster", async () =>
        (await admin.describeCluster()).brokers.some((b) => b.nodeId === 4),
      );

      // Every partition: its first replica (its leader, with the default placement) makes way for 4.
      const [before] = await admin.describeTopics([TOPIC]);
      const targets = before!.partitions.map((p) => ({
        partitionIndex: p.partition,
        replicas: [4, ...p.replicas.filter((id) => id !== p.leader)],
      }));
      const c = await admin.cluster.anyBroker();
      const res = await c.request<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, {
        timeoutMs: 10_000,
        topics: [{ name: TOPIC, partitions: targets }],
      });
      expect(res.responses[0]?.partitions.map((p) => p.errorCode)).toEqual([0, 0, 0]);
      await until(
        "every move complete",
        async () => {
          const listed = await c.request<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, {
            timeoutMs: 10_000,
            topics: null,
          });
          const [t] = await admin.describeTopics([TOPIC]);
          const done = targets.every(
            (target) => t!.partitions[target.partitionIndex]!.replicas.join() === target.replicas.join(),
          );
          return listed.topics.length === 0 && done;
        },
        60_000,
      );
      const [after] = await admin.describeTopics([TOPIC]);
      for (const p of after!.partitions) {
        expect(p.replicas).toContain(4);
        expect(p.leader).not.toBe(before!.partitions[p.partition]!.leader);
      }
      // The producer keeps being acknowledged on the new placement (no partition stalls).
      const movedMs = performance.now();
      await until(
        "acknowledgements on every partition after the moves",
        () => [0, 1, 2].every((p) => workload!.firstAckSince(p, movedMs) !== null),
        10_000,
      );
      await new Promise((r) => setTimeout(r, 1000));
      await workload.stop(30_000);
      const read = await readAll(cluster.bootstrap, TOPIC, PARTITIONS, 60_000);
      const result = check(workload.attempted, workload.acks, read);
      expect(result.acked).toBeGreaterThan(500);
      expect(result, describeErrors(result)).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, unexpected: 0 });
    } finally {
      await workload?.stop(5_000);
      await admin.close();
      await fourth?.close();
      await cluster.close();
    }
  }, 180_000);
});
