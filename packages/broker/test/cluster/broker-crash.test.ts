// A broker that stops talking to the controller (its heartbeats and controller connection gone, as
// in a crash) while its quorum member keeps replaying the log: the controller fences it, its
// partitions get new leaders from the ISR at leader epoch + 1 in every broker's Metadata, and the
// fenced broker itself stops acting as leader — it answers NOT_LEADER_OR_FOLLOWER naming the new one.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeRecordBatch, type MetadataResponse } from "@gregor/protocol";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type Broker, ErrorCode, startBroker } from "../../src/index.js";
import { formatStorage, newClusterId } from "../../src/metadata/meta-properties.js";
import { RawClient } from "../helpers/raw-client.js";
import { nodeConfigs, TEST_TIMEOUTS, until } from "./harness.js";

async function leaders(b: Broker, topic: string): Promise<{ leaderId: number; leaderEpoch: number }[]> {
  const c = await RawClient.connect(b.port);
  try {
    const md = await c.send<MetadataResponse>(3, 12, {
      topics: [{ name: topic }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    const parts = [...(md.topics[0]?.partitions ?? [])].sort((x, y) => x.partitionIndex - y.partitionIndex);
    return parts.map((p) => ({ leaderId: p.leaderId, leaderEpoch: p.leaderEpoch ?? -1 }));
  } finally {
    c.close();
  }
}

describe("a broker that goes silent", () => {
  it("is fenced; its partitions move to ISR members at epoch + 1 and it stops acting as leader", async () => {
    const root = await mkdtemp(join(tmpdir(), "gregor-broker-crash-"));
    const clusterId = newClusterId();
    const configs = await nodeConfigs(root, [1, 2, 3], { "gregor.admin.port": 0 });
    for (const id of [1, 2, 3]) await formatStorage({ dirs: [join(root, `node-${id}`)], clusterId, nodeId: id });
    const brokers = await Promise.all(
      [1, 2, 3].map((id) => startBroker({ brokerConfig: configs.get(id)!, clusterId, readyTimeoutMs: 30_000 })),
    );
    try {
      const kafka = new Kafka({ brokers: [brokers[0]!.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "crash", numPartitions: 3, replicationFactor: 2 }] });
      await admin.disconnect();
      const before = await leaders(brokers[0]!, "crash");
      const controllerId = brokers[0]!.cluster.activeControllerId();
      const victim = brokers.find((b) => b.nodeId !== controllerId && before.some((p) => p.leaderId === b.nodeId))!;
      const led = before.map((p, i) => ({ ...p, index: i })).filter((p) => p.leaderId === victim.nodeId);
      // The broker side dies; the victim's quorum member (a raft voter) keeps replaying the log.
      await victim.cluster.lifecycle!.close();
      victim.cluster.channel!.close();
      const others = brokers.filter((b) => b !== victim);
      await until(
        "every broker, the silent one included, shows new leaders at epoch + 1",
        async () => {
          for (const b of brokers) {
            const now = await leaders(b, "crash");
            for (const p of led) {
              const q = now[p.index]!;
              if (q.leaderId === victim.nodeId || q.leaderId < 0) return false;
              expect(q.leaderEpoch).toBe(p.leaderEpoch + 1);
            }
          }
          return true;
        },
        TEST_TIMEOUTS["broker.session.timeout.ms"] + 5000,
      );
      const now = await leaders(others[0]!, "crash");
      const c = await RawClient.connect(victim.port);
      try {
        const p = led[0]!;
        const res = await c.send(0, 10, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [
            {
              name: "crash",
              partitionData: [
                {
                  index: p.index,
                  records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from("x"), timestamp: 1 }] }),
                },
              ],
            },
          ],
        });
        const pr = res.responses[0].partitionResponses[0];
        expect(pr.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        expect(pr.currentLeader).toEqual(now[p.index]);
      } finally {
        c.close();
      }
    } finally {
      await Promise.all(brokers.map((b) => b.close()));
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
