// The ReplicaFetcherManager as a LeadershipListener of a real TopicManager driven by metadata
// records: followed partitions sit on the fetcher of their leader (num.replica.fetchers, Kafka's
// fetcher id), move when the leader moves, leave when this broker leads or loses the replica, and
// a fetcher left with no partitions stops. The leaders' endpoints are closed ports: the fetchers
// only back off, which is all this test needs.
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { buildBrokerConfig } from "../../src/config/broker-config.js";
import { applyBatch, EMPTY_IMAGE, type MetadataImage, type MetadataRecord } from "../../src/controller/index.js";
import { memoryLogFactory } from "../../src/log/memory-log.js";
import { TopicManager } from "../../src/metadata/topic-manager.js";
import { fetcherId, ReplicaFetcherManager } from "../../src/replication/fetcher-manager.js";

const SELF = 1;
const TOPIC_ID = "5a9e2c1f-0000-4000-8000-000000000002";

const broker = (brokerId: number): MetadataRecord => ({
  type: "RegisterBroker",
  brokerId,
  incarnationId: `inc-${brokerId}`,
  brokerEpoch: 1,
  endPoints: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 1, securityProtocol: 0 }],
  features: [],
  rack: null,
  fenced: false,
  inControlledShutdown: false,
  logDirs: [],
});

const partition = (partitionId: number, replicas: number[], leader: number): MetadataRecord => ({
  type: "Partition",
  partitionId,
  topicId: TOPIC_ID,
  replicas,
  isr: replicas,
  removingReplicas: [],
  addingReplicas: [],
  leader,
  leaderRecoveryState: 0,
  leaderEpoch: 0,
  partitionEpoch: 0,
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function setup(numFetchers = 1) {
  const config = buildBrokerConfig({ "node.id": SELF, "num.replica.fetchers": numFetchers });
  const topics = new TopicManager(config, memoryLogFactory, SELF, (err) => {
    throw err;
  });
  const manager = new ReplicaFetcherManager(config, topics, pino({ level: "silent" }));
  closers.push(() => manager.close());
  let image: MetadataImage = EMPTY_IMAGE;
  let offset = 0;
  const apply = async (records: MetadataRecord[]): Promise<void> => {
    image = applyBatch(image, records, ++offset);
    await topics.update(image);
  };
  const followed = (): Record<number, string[]> =>
    Object.fromEntries(
      [...manager.followed()].map(([leader, tps]) => [leader, tps.map((tp) => `${tp.topic}-${tp.partition}`).sort()]),
    );
  return { manager, apply, followed };
}

describe("ReplicaFetcherManager", () => {
  it("follows partitions on their leader's fetcher and moves them with leadership", async () => {
    const { apply, followed } = setup();
    await apply([
      broker(1),
      broker(2),
      broker(3),
      { type: "Topic", name: "t", topicId: TOPIC_ID },
      partition(0, [1, 2, 3], 2),
      partition(1, [1, 2, 3], 3),
      partition(2, [1, 2, 3], 1),
      partition(3, [2, 3], 2),
    ]);
    // Partition 2 is led here, 3 is not hosted here.
    expect(followed()).toEqual({ 2: ["t-0"], 3: ["t-1"] });
    await apply([{ type: "PartitionChange", partitionId: 0, topicId: TOPIC_ID, leader: 3 }]);
    expect(followed()).toEqual({ 3: ["t-0", "t-1"] });
    await apply([{ type: "PartitionChange", partitionId: 1, topicId: TOPIC_ID, leader: 1 }]);
    expect(followed()).toEqual({ 3: ["t-0"] });
    await apply([{ type: "PartitionChange", partitionId: 0, topicId: TOPIC_ID, replicas: [2, 3], isr: [2, 3] }]);
    expect(followed()).toEqual({});
    await apply([{ type: "PartitionChange", partitionId: 2, topicId: TOPIC_ID, leader: 2 }]);
    expect(followed()).toEqual({ 2: ["t-2"] });
    await apply([{ type: "RemoveTopic", topicId: TOPIC_ID }]);
    expect(followed()).toEqual({});
  });

  it("spreads a leader's partitions over num.replica.fetchers by Kafka's fetcher id", () => {
    // Java: abs(31 * "orders".hashCode() + p) % n; "orders".hashCode() = -1008770331.
    expect([0, 1, 2, 3].map((p) => fetcherId("orders", p, 4))).toEqual(
      [0, 1, 2, 3].map((p) => Math.abs((Math.imul(-1008770331, 31) + p) | 0) % 4),
    );
    expect(new Set([0, 1, 2, 3, 4, 5, 6, 7].map((p) => fetcherId("t", p, 3))).size).toBe(3);
  });
});
