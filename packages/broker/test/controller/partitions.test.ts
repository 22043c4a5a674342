import { ErrorCode } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { type AlterPartitionData, ElectionType } from "../../src/controller/index.js";
import { Harness } from "./helpers.js";

/** Three brokers, topic t with one partition on all three, led by its first replica. */
function setup() {
  const h = new Harness();
  h.brokers([1, 2, 3]);
  h.createTopic("t", 1, 3);
  const p = h.partition("t", 0);
  const epochOf = (id: number) => h.image.brokers.get(id)?.brokerEpoch ?? -1;
  const alter = (data: Partial<AlterPartitionData> & { isr?: number[] }, brokerId = p.leader) => {
    const current = h.partition("t", 0);
    const request = {
      brokerId,
      brokerEpoch: epochOf(brokerId),
      topics: [
        {
          topicId: h.topicId("t"),
          partitions: [
            {
              partitionIndex: 0,
              leaderEpoch: current.leaderEpoch,
              partitionEpoch: current.partitionEpoch,
              leaderRecoveryState: 0,
              newIsrWithEpochs: (data.isr ?? [...current.isr]).map((id) => ({
                brokerId: id,
                brokerEpoch: epochOf(id),
              })),
              ...data,
            },
          ],
        },
      ],
    };
    return h.controller.alterPartition(request, h.nowMs);
  };
  return { h, p, alter, epochOf };
}

describe("alterPartition", () => {
  it("shrinks and expands the ISR, answering with the new partition epoch", () => {
    const { h, p, alter } = setup();
    const follower = p.replicas[2]!;
    const shrunk = p.isr.filter((id) => id !== follower);
    const r = h.run(alter({ isr: shrunk }));
    expect(r.topics[0]?.partitions[0]).toMatchObject({ errorCode: 0, isr: shrunk, partitionEpoch: 1, leaderEpoch: 0 });
    expect(h.partition("t", 0)).toMatchObject({ isr: shrunk, partitionEpoch: 1, leaderEpoch: 0 });
    h.run(alter({ isr: [...shrunk, follower] }));
    expect(h.partition("t", 0)).toMatchObject({ isr: [...shrunk, follower], partitionEpoch: 2 });
  });

  it("validates like Kafka", () => {
    const { h, p, alter, epochOf } = setup();
    const code = (r: ReturnType<typeof alter>) => r.response.topics[0]?.partitions[0]?.errorCode;
    const follower = p.replicas[1]!;
    expect(code(alter({ leaderEpoch: -5 }))).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(code(alter({ partitionEpoch: -5 }))).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect(code(alter({}, follower))).toBe(ErrorCode.INVALID_REQUEST);
    expect(code(alter({ isr: [p.leader, 9] }))).toBe(ErrorCode.INVALID_REQUEST);
    expect(code(alter({ isr: [follower] }))).toBe(ErrorCode.INVALID_REQUEST);
    expect(code(alter({ leaderEpoch: 5 }))).toBe(ErrorCode.NOT_CONTROLLER);
    expect(code(alter({ leaderRecoveryState: 1, isr: [p.leader] }))).toBe(ErrorCode.INVALID_REQUEST);
    const staleMember = alter({
      newIsrWithEpochs: [
        { brokerId: p.leader, brokerEpoch: epochOf(p.leader) },
        { brokerId: follower, brokerEpoch: epochOf(follower) - 1 },
      ],
    });
    expect(code(staleMember)).toBe(ErrorCode.INELIGIBLE_REPLICA);
    const unknown = h.controller.alterPartition(
      {
        brokerId: p.leader,
        brokerEpoch: epochOf(p.leader),
        topics: [
          { topicId: "00000000-0000-4000-8000-000000000000", partitions: [{ ...baseData(), partitionIndex: 0 }] },
        ],
      },
      h.nowMs,
    );
    expect(unknown.response.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(code(alter({ partitionIndex: 7 }))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const staleSender = h.controller.alterPartition(
      { brokerId: p.leader, brokerEpoch: epochOf(p.leader) - 1, topics: [] },
      h.nowMs,
    );
    expect(staleSender.response.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    // Nothing above changed the partition.
    expect(h.partition("t", 0).partitionEpoch).toBe(0);
  });

  it("refuses a partition named twice in one request", () => {
    const { h, p, epochOf } = setup();
    const data = { ...baseData(), newIsrWithEpochs: [{ brokerId: p.leader, brokerEpoch: epochOf(p.leader) }] };
    const r = h.controller.alterPartition(
      {
        brokerId: p.leader,
        brokerEpoch: epochOf(p.leader),
        topics: [{ topicId: h.topicId("t"), partitions: [data, data] }],
      },
      h.nowMs,
    );
    expect(r.response.topics[0]?.partitions.map((x) => x.errorCode)).toEqual([0, ErrorCode.INVALID_REQUEST]);
    expect(r.records).toHaveLength(1);
  });

  it("refuses a fenced or shutting-down ISR member with INELIGIBLE_REPLICA", () => {
    const { h, p, alter } = setup();
    const [, a, b] = p.replicas as [number, number, number];
    h.commit(h.controller.fenceBroker(a));
    h.heartbeat(b, { wantShutDown: true });
    const code = (isr: number[]) => alter({ isr }).response.topics[0]?.partitions[0]?.errorCode;
    expect(code([p.leader, a])).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(code([p.leader, b])).toBe(ErrorCode.INELIGIBLE_REPLICA);
  });
});

function baseData(): AlterPartitionData {
  return { partitionIndex: 0, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0, newIsrWithEpochs: [] };
}

describe("electLeaders", () => {
  it("preferred election moves leadership back to the first replica", () => {
    const { h, p } = setup();
    const preferred = p.replicas[0]!;
    h.commit(h.controller.fenceBroker(preferred));
    expect(h.partition("t", 0).leader).not.toBe(preferred);
    const notAvailable = h.controller.electLeaders(
      { electionType: ElectionType.PREFERRED, topicPartitions: [{ topic: "t", partitions: [0] }] },
      h.nowMs,
    );
    expect(notAvailable.response.replicaElectionResults[0]?.partitionResult[0]?.errorCode).toBe(
      ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
    );
    h.heartbeat(preferred);
    const current = h.partition("t", 0);
    h.commit([{ type: "PartitionChange", topicId: h.topicId("t"), partitionId: 0, isr: [...current.isr, preferred] }]);
    const r = h.run(
      h.controller.electLeaders(
        { electionType: ElectionType.PREFERRED, topicPartitions: [{ topic: "t", partitions: [0, 5] }] },
        h.nowMs,
      ),
    );
    expect(r.replicaElectionResults[0]?.partitionResult.map((x) => x.errorCode)).toEqual([
      0,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(h.partition("t", 0).leader).toBe(preferred);
    const again = h.controller.electLeaders({ electionType: ElectionType.PREFERRED, topicPartitions: null }, h.nowMs);
    expect(again.records).toEqual([]);
    expect(again.response.replicaElectionResults).toEqual([]);
  });

  it("unclean election picks a live out-of-ISR replica only when asked", () => {
    const h = new Harness();
    const { first, second } = h.twoReplicaTopic();
    h.commit(h.controller.fenceBroker(first));
    h.commit(h.controller.fenceBroker(second));
    h.heartbeat(first);
    expect(h.partition("t", 0).leader).toBe(-1);
    const request = { electionType: ElectionType.UNCLEAN, topicPartitions: [{ topic: "t", partitions: [0] }] };
    h.run(h.controller.electLeaders(request, h.nowMs));
    expect(h.partition("t", 0)).toMatchObject({ leader: first, isr: [first], leaderRecoveryState: 1 });
    const notNeeded = h.controller.electLeaders(request, h.nowMs);
    expect(notNeeded.response.replicaElectionResults[0]?.partitionResult[0]?.errorCode).toBe(
      ErrorCode.ELECTION_NOT_NEEDED,
    );
  });
});

describe("incrementalAlterConfigs", () => {
  it("sets, appends, subtracts and deletes topic configs with one record per change", () => {
    const h = new Harness();
    h.brokers([1]);
    h.createTopic("t", 1, 1);
    const alter = (configs: { name: string; configOperation: number; value: string | null }[], resourceName = "t") =>
      h.controller.incrementalAlterConfigs(
        { resources: [{ resourceType: 2, resourceName, configs }], validateOnly: false },
        h.nowMs,
      );
    const set = alter([
      { name: "retention.ms", configOperation: 0, value: "100" },
      { name: "cleanup.policy", configOperation: 2, value: "compact" },
    ]);
    expect(set.records).toHaveLength(2);
    h.run(set);
    h.run(alter([{ name: "cleanup.policy", configOperation: 2, value: "delete" }]));
    expect(h.image.configs.get(2)?.get("t")?.get("cleanup.policy")).toBe("compact,delete");
    h.run(alter([{ name: "cleanup.policy", configOperation: 3, value: "compact" }]));
    expect(h.image.configs.get(2)?.get("t")?.get("cleanup.policy")).toBe("delete");
    h.run(alter([{ name: "retention.ms", configOperation: 1, value: null }]));
    expect(h.image.configs.get(2)?.get("t")?.has("retention.ms")).toBe(false);
    const code = (r: ReturnType<typeof alter>) => r.response.responses[0]?.errorCode;
    expect(code(alter([{ name: "retention.ms", configOperation: 0, value: "x" }]))).toBe(ErrorCode.INVALID_CONFIG);
    expect(code(alter([{ name: "retention.ms", configOperation: 2, value: "1" }]))).toBe(ErrorCode.INVALID_CONFIG);
    expect(code(alter([{ name: "retention.ms", configOperation: 0, value: "1" }], "nope"))).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
    expect(
      code(
        alter([
          { name: "retention.ms", configOperation: 0, value: "1" },
          { name: "retention.ms", configOperation: 0, value: "2" },
        ]),
      ),
    ).toBe(ErrorCode.INVALID_REQUEST);
  });

  it("stores cluster-wide broker configs that steer elections", () => {
    const h = new Harness();
    h.brokers([1, 2]);
    h.createTopic("t", 1, 2);
    h.run(
      h.controller.incrementalAlterConfigs(
        {
          resources: [
            {
              resourceType: 4,
              resourceName: "",
              configs: [{ name: "unclean.leader.election.enable", configOperation: 0, value: "true" }],
            },
          ],
          validateOnly: false,
        },
        h.nowMs,
      ),
    );
    const first = h.partition("t", 0).leader;
    const second = first === 1 ? 2 : 1;
    h.commit(h.controller.fenceBroker(first));
    h.commit(h.controller.fenceBroker(second));
    h.heartbeat(first);
    expect(h.partition("t", 0)).toMatchObject({ leader: first, leaderRecoveryState: 1 });
  });
});

describe("allocateProducerIds", () => {
  it("hands out consecutive blocks of 1000 and checks the broker epoch", () => {
    const h = new Harness();
    h.brokers([1]);
    const epoch = h.image.brokers.get(1)!.brokerEpoch;
    const a = h.run(h.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epoch }, h.nowMs));
    const b = h.run(h.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epoch }, h.nowMs));
    expect([a, b]).toEqual([
      { errorCode: 0, producerIdStart: 0, producerIdLen: 1000 },
      { errorCode: 0, producerIdStart: 1000, producerIdLen: 1000 },
    ]);
    const stale = h.controller.allocateProducerIds({ brokerId: 1, brokerEpoch: epoch + 1 }, h.nowMs);
    expect(stale.response.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(stale.records).toEqual([]);
  });
});
