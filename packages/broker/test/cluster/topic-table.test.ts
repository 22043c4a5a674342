// The broker's topic table as a view of the MetadataImage (metadata/topic-manager.ts), driven by
// real metadata records through MetadataDelta: logs exist exactly for this broker's replicas,
// leadership follows the image (with onBecomeLeader/onBecomeFollower), config records reach the
// logs, and removed topics or replicas lose their logs.
import { describe, expect, it } from "vitest";
import { buildBrokerConfig } from "../../src/config/broker-config.js";
import {
  applyBatch,
  ConfigResourceType,
  EMPTY_IMAGE,
  type MetadataImage,
  type MetadataRecord,
} from "../../src/controller/index.js";
import { ErrorCode } from "../../src/errors.js";
import { memoryLogFactory } from "../../src/log/memory-log.js";
import { TopicManager } from "../../src/metadata/topic-manager.js";

const SELF = 1;
const TOPIC_ID = "5a9e2c1f-0000-4000-8000-000000000001";

function partition(partitionId: number, replicas: number[], leader: number): MetadataRecord {
  return {
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
  };
}

function table(): { topics: TopicManager; events: string[]; apply: (records: MetadataRecord[]) => Promise<void> } {
  const topics = new TopicManager(buildBrokerConfig({}), memoryLogFactory, SELF, (err) => {
    throw err;
  });
  const events: string[] = [];
  topics.addLeadershipListener({
    onBecomeLeader: (t, p) => events.push(`leader ${t}-${p.index}@${p.leaderEpoch}`),
    onBecomeFollower: (t, p) => events.push(`follower ${t}-${p.index}@${p.leaderEpoch}`),
  });
  let image: MetadataImage = EMPTY_IMAGE;
  let offset = 0;
  return {
    topics,
    events,
    apply: async (records) => {
      image = applyBatch(image, records, ++offset);
      await topics.update(image);
    },
  };
}

describe("topic table from the MetadataImage", () => {
  it("opens logs for this broker's replicas only and leads what the image says", async () => {
    const { topics, events, apply } = table();
    await apply([
      { type: "Topic", name: "t", topicId: TOPIC_ID },
      partition(0, [1, 2], 1),
      partition(1, [2, 3], 2),
      partition(2, [2, 1], 2),
    ]);
    const t = topics.get("t")!;
    expect(t.partitions.map((p) => [p.leader, p.log !== null])).toEqual([
      [1, true],
      [2, false],
      [2, true],
    ]);
    // A new follower replica is announced too: replica fetchers start there (replication).
    expect(events).toEqual(["leader t-0@0", "follower t-2@0"]);
    expect(typeof topics.leaderPartition("t", 0)).toBe("object");
    expect(topics.leaderPartition("t", 1)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(topics.leaderPartition("t", 2)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(topics.leaderPartition("t", 9)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(topics.leaderPartition("nope", 0)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("follows leader changes with epochs, fences old and new epochs, moves replicas and deletes topics", async () => {
    const { topics, events, apply } = table();
    await apply([{ type: "Topic", name: "t", topicId: TOPIC_ID }, partition(0, [1, 2], 1), partition(1, [2, 1], 2)]);
    const before = topics.version;
    // Leadership swaps: partition 0 to broker 2, partition 1 to this broker (leader epoch +1 each).
    await apply([
      { type: "PartitionChange", topicId: TOPIC_ID, partitionId: 0, leader: 2, isr: [2] },
      { type: "PartitionChange", topicId: TOPIC_ID, partitionId: 1, leader: 1, isr: [1] },
    ]);
    expect(topics.version).toBeGreaterThan(before);
    const [p0, p1] = topics.get("t")!.partitions;
    expect([p0!.leader, p0!.leaderEpoch, p0!.isr]).toEqual([2, 1, [2]]);
    expect([p1!.leader, p1!.leaderEpoch]).toEqual([1, 1]);
    expect(events).toEqual(["leader t-0@0", "follower t-1@0", "follower t-0@1", "leader t-1@1"]);
    expect(topics.leaderPartition("t", 1, 0)).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(topics.leaderPartition("t", 1, 2)).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(typeof topics.leaderPartition("t", 1, 1)).toBe("object");
    // Partition 0 moves off this broker: its log goes.
    await apply([{ type: "PartitionChange", topicId: TOPIC_ID, partitionId: 0, replicas: [2, 3], isr: [2] }]);
    expect(topics.get("t")!.partitions[0]!.log).toBeNull();
    await apply([{ type: "RemoveTopic", topicId: TOPIC_ID }]);
    expect(topics.get("t")).toBeUndefined();
    expect(topics.getById(TOPIC_ID)).toBeUndefined();
    expect(events.at(-1)).toBe("follower t-1@1");
  });

  it("applies Config records to the topic's overrides and its logs' config", async () => {
    const { topics, apply } = table();
    await apply([{ type: "Topic", name: "t", topicId: TOPIC_ID }, partition(0, [1], 1)]);
    expect(topics.get("t")!.logConfig.retentionMs).toBe(604_800_000);
    const set: MetadataRecord = {
      type: "Config",
      resourceType: ConfigResourceType.TOPIC,
      resourceName: "t",
      name: "retention.ms",
      value: "60000",
    };
    await apply([set]);
    expect(topics.get("t")!.configs).toEqual({ "retention.ms": "60000" });
    expect(topics.get("t")!.logConfig.retentionMs).toBe(60_000);
    await apply([{ ...set, value: null }]);
    expect(topics.get("t")!.configs).toEqual({});
    expect(topics.get("t")!.logConfig.retentionMs).toBe(604_800_000);
  });

  it("waitFor resolves once an applied image satisfies the check, false at its timeout", async () => {
    const { topics, apply } = table();
    const created = topics.waitFor(() => topics.get("t") !== undefined, 5000);
    const never = topics.waitFor(() => topics.get("other") !== undefined, 50);
    await apply([{ type: "Topic", name: "t", topicId: TOPIC_ID }, partition(0, [1], 1)]);
    expect(await created).toBe(true);
    expect(await never).toBe(false);
  });
});
