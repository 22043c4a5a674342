// Partition reassignment (KIP-455) and ElectLeaders (KIP-460) on the pure controller: records,
// completion through AlterPartition, cancel, Kafka's per-partition errors, snapshots.
import { ErrorCode } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import {
  type AlterPartitionReassignmentsRequest,
  ElectionType,
  imageFromSnapshot,
  imageToRecords,
} from "../../src/controller/index.js";
import { listPartitionReassignments, reassignmentReplicas } from "../../src/controller/reassignment.js";
import { Harness } from "./helpers.js";

/** Brokers 1..4; topic t, one partition on [1, 2] led by 1 (manual assignment). */
function setup(replicas = [1, 2]) {
  const h = new Harness();
  h.brokers([1, 2, 3, 4]);
  h.run(
    h.controller.createTopics(
      {
        topics: [
          {
            name: "t",
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [{ partitionIndex: 0, brokerIds: replicas }],
            configs: [],
          },
        ],
        validateOnly: false,
      },
      h.nowMs,
    ),
  );
  const reassign = (target: number[] | null, topic = "t", partitionIndex = 0) =>
    h.controller.alterPartitionReassignments(
      { topics: [{ name: topic, partitions: [{ partitionIndex, replicas: target }] }] },
      h.nowMs,
    );
  const epochOf = (id: number) => h.image.brokers.get(id)?.brokerEpoch ?? -1;
  /** The leader's AlterPartition proposing `isr`. */
  const alterIsr = (isr: number[]) => {
    const p = h.partition("t", 0);
    return h.controller.alterPartition(
      {
        brokerId: p.leader,
        brokerEpoch: epochOf(p.leader),
        topics: [
          {
            topicId: h.topicId("t"),
            partitions: [
              {
                partitionIndex: 0,
                leaderEpoch: p.leaderEpoch,
                partitionEpoch: p.partitionEpoch,
                leaderRecoveryState: 0,
                newIsrWithEpochs: isr.map((brokerId) => ({ brokerId, brokerEpoch: epochOf(brokerId) })),
              },
            ],
          },
        ],
      },
      h.nowMs,
    );
  };
  const code = (r: ReturnType<typeof reassign>) => r.response.responses[0]?.partitions[0]?.errorCode;
  return { h, reassign, alterIsr, code };
}

describe("reassignmentReplicas", () => {
  it("is the target followed by the removed replicas (Kafka's PartitionReassignmentReplicas)", () => {
    expect(reassignmentReplicas([1, 2], [2, 3])).toEqual({
      replicas: [2, 3, 1],
      addingReplicas: [3],
      removingReplicas: [1],
    });
    expect(reassignmentReplicas([1, 2, 3], [3, 2, 1])).toEqual({
      replicas: [3, 2, 1],
      addingReplicas: [],
      removingReplicas: [],
    });
    expect(reassignmentReplicas([1], [1, 2])).toEqual({ replicas: [1, 2], addingReplicas: [2], removingReplicas: [] });
  });
});

describe("alterPartitionReassignments", () => {
  it("moves [1,2] to [2,3]: adds 3, completes when 3 joins the ISR, drops 1 and moves the leader", () => {
    const { h, reassign, alterIsr } = setup();
    expect(h.partition("t", 0)).toMatchObject({ replicas: [1, 2], isr: [1, 2], leader: 1 });
    const started = h.run(reassign([2, 3]));
    expect(started.responses).toEqual([
      { name: "t", partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] },
    ]);
    expect(h.partition("t", 0)).toMatchObject({
      replicas: [2, 3, 1],
      isr: [1, 2],
      addingReplicas: [3],
      removingReplicas: [1],
      leader: 1,
    });
    expect(listPartitionReassignments(h.image, null)).toEqual([
      {
        name: "t",
        partitions: [{ partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }],
      },
    ]);
    // 3 caught up: the leader's ISR expansion completes the move; leader 1 is removed, so 2 leads
    // and the sender is told NEW_LEADER_ELECTED.
    const epochBefore = h.partition("t", 0).leaderEpoch;
    const r = h.run(alterIsr([1, 2, 3]));
    expect(r.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NEW_LEADER_ELECTED);
    expect(h.partition("t", 0)).toMatchObject({
      replicas: [2, 3],
      isr: [2, 3],
      addingReplicas: [],
      removingReplicas: [],
      leader: 2,
      leaderEpoch: epochBefore + 1,
    });
    expect(listPartitionReassignments(h.image, null)).toEqual([]);
  });

  it("an ISR expansion that does not yet complete the move changes only the ISR", () => {
    const { h, reassign, alterIsr } = setup();
    h.run(reassign([3, 4]));
    expect(h.partition("t", 0)).toMatchObject({ replicas: [3, 4, 1, 2], addingReplicas: [3, 4] });
    const r = h.run(alterIsr([1, 2, 3]));
    expect(r.topics[0]?.partitions[0]?.errorCode).toBe(0);
    expect(h.partition("t", 0)).toMatchObject({ replicas: [3, 4, 1, 2], isr: [1, 2, 3], leader: 1 });
    h.run(alterIsr([1, 2, 3, 4]));
    // Leader 1 is removed: the first target replica in the ISR leads.
    expect(h.partition("t", 0)).toMatchObject({ replicas: [3, 4], isr: [3, 4], leader: 3, addingReplicas: [] });
  });

  it("a completing ISR expansion that re-adds a removed replica leaves it out of the ISR", () => {
    const { h, reassign, alterIsr } = setup([1, 2, 3]);
    h.run(reassign([1, 2, 4]));
    // 3 (being removed) left the ISR, then 4 caught up while 3 came back: [1,2,3,4] completes the move.
    h.run(alterIsr([1, 2]));
    const r = h.run(alterIsr([1, 2, 3, 4]));
    expect(r.topics[0]?.partitions[0]?.errorCode).toBe(0);
    expect(h.partition("t", 0)).toMatchObject({ replicas: [1, 2, 4], isr: [1, 2, 4], leader: 1, removingReplicas: [] });
  });

  it("a new target that drops an adding replica completes at once; a later move completes as usual", () => {
    const { h, reassign, alterIsr } = setup([1, 2]);
    h.register(5); // registered only: the move onto it cannot complete by itself
    h.run(reassign([1, 2, 5]));
    h.run(reassign([1, 2]));
    // [1,2,5] -> [1,2]: 5 is removed at once (1 and 2 are in the ISR).
    expect(h.partition("t", 0)).toMatchObject({ replicas: [1, 2], isr: [1, 2], removingReplicas: [] });
    h.run(reassign([2, 3]));
    h.run(alterIsr([1, 2, 3]));
    expect(h.partition("t", 0)).toMatchObject({ replicas: [2, 3], isr: [2, 3], leader: 2 });
  });

  it("shrinking to replicas already in the ISR completes at once; the same replicas are a no-op", () => {
    const { h, reassign } = setup([1, 2, 3]);
    expect(reassign([1, 2, 3]).records).toEqual([]);
    h.run(reassign([2, 1]));
    expect(h.partition("t", 0)).toMatchObject({ replicas: [2, 1], isr: [1, 2], leader: 1, removingReplicas: [] });
  });

  it("cancel (null replicas) reverts to the original replicas; a second cancel: NO_REASSIGNMENT_IN_PROGRESS", () => {
    const { h, reassign, alterIsr, code } = setup();
    h.run(reassign([2, 3]));
    h.run(alterIsr([1, 2]));
    h.run(reassign(null));
    // As in Kafka, the original replicas keep the order they had during the move ([2,3,1] less 3).
    expect(h.partition("t", 0)).toMatchObject({
      replicas: [2, 1],
      isr: [1, 2],
      addingReplicas: [],
      removingReplicas: [],
      leader: 1,
    });
    const again = reassign(null);
    expect(code(again)).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    expect(again.records).toEqual([]);
  });

  it("a cancel that needs an unclean election is refused unless unclean.leader.election.enable", () => {
    const { h, reassign, alterIsr, code } = setup([1]);
    h.run(reassign([2, 3]));
    // 2 caught up; 1 (being removed) then left the ISR: only an adding replica is in sync.
    h.run(alterIsr([1, 2]));
    h.commit([{ type: "PartitionChange", topicId: h.topicId("t"), partitionId: 0, isr: [2], leader: 2 }]);
    const refused = reassign(null);
    expect(code(refused)).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(refused.response.responses[0]?.partitions[0]?.errorMessage).toMatch(
      /Unable to revert partition assignment for t:0 because it would require an unclean leader election/,
    );
    h.run(
      h.controller.incrementalAlterConfigs(
        {
          resources: [
            {
              resourceType: 2,
              resourceName: "t",
              configs: [{ name: "unclean.leader.election.enable", configOperation: 0, value: "true" }],
            },
          ],
          validateOnly: false,
        },
        h.nowMs,
      ),
    );
    h.run(reassign(null));
    expect(h.partition("t", 0)).toMatchObject({ replicas: [1], isr: [1], leader: 1, leaderRecoveryState: 1 });
  });

  it("a new target replaces the one in progress", () => {
    const { h, reassign } = setup();
    h.run(reassign([2, 3]));
    h.run(reassign([2, 4]));
    // Current replicas were [2,3,1]: 1 and 3 are now removed (sorted, as Kafka keeps them), 4 added.
    expect(h.partition("t", 0)).toMatchObject({
      replicas: [2, 4, 1, 3],
      addingReplicas: [4],
      removingReplicas: [1, 3],
    });
  });

  it("answers Kafka's errors per partition: unknown topic/partition, unknown broker, duplicates, empty list", () => {
    const { h, reassign, code } = setup();
    const cases: [ReturnType<typeof reassign>, number, RegExp][] = [
      [reassign([2, 3], "nope"), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, /Unable to find a topic named nope/],
      [reassign([2, 3], "t", 7), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, /Unable to find partition t:7/],
      [reassign([2, 9]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /broker 9, but no such broker is registered/],
      [reassign([2, 2]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /broker 2 more than once/],
      [reassign([]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /empty replica list/],
    ];
    for (const [r, errorCode, message] of cases) {
      expect(code(r)).toBe(errorCode);
      expect(r.response.responses[0]?.partitions[0]?.errorMessage).toMatch(message);
      expect(r.records).toEqual([]);
    }
    expect(h.partition("t", 0).partitionEpoch).toBe(0);
  });

  it("one request with several partitions: the good ones change, the bad ones get their error", () => {
    const { h } = setup();
    const req: AlterPartitionReassignmentsRequest = {
      topics: [
        {
          name: "t",
          partitions: [
            { partitionIndex: 0, replicas: [3, 4] },
            { partitionIndex: 1, replicas: [3, 4] },
            { partitionIndex: 0, replicas: null },
          ],
        },
      ],
    };
    const r = h.run(h.controller.alterPartitionReassignments(req, h.nowMs));
    expect(r.responses[0]?.partitions.map((p) => p.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0]);
    // The cancel saw the first change: the partition is back on its original replicas.
    expect(h.partition("t", 0)).toMatchObject({ replicas: [1, 2], addingReplicas: [], removingReplicas: [] });
  });

  it("a reassignment in progress survives a snapshot", () => {
    const { h, reassign } = setup();
    h.run(reassign([2, 3]));
    const copy = imageFromSnapshot(imageToRecords(h.image), h.image.offset);
    expect(copy.topics.byName.get("t")?.partitions[0]).toEqual(h.partition("t", 0));
    expect(
      listPartitionReassignments(copy, [
        { name: "t", partitionIndexes: [5] },
        { name: "x", partitionIndexes: [0] },
        { name: "t", partitionIndexes: [0, 0] },
      ]),
    ).toEqual([
      {
        name: "t",
        partitions: [{ partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] }],
      },
    ]);
  });
});

describe("electLeaders (Kafka's per-partition outcomes)", () => {
  it("an offline partition gets its next eligible replica on a PREFERRED election; none left: PREFERRED_LEADER_NOT_AVAILABLE", () => {
    const { h } = setup([1, 2]);
    h.commit(h.controller.fenceBroker(1));
    expect(h.partition("t", 0)).toMatchObject({ leader: 2, isr: [2] });
    const preferred = { electionType: ElectionType.PREFERRED, topicPartitions: [{ topic: "t", partitions: [0] }] };
    const notAvailable = h.controller.electLeaders(preferred, h.nowMs);
    expect(notAvailable.response.replicaElectionResults[0]?.partitionResult[0]?.errorCode).toBe(
      ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
    );
    h.commit(h.controller.fenceBroker(2));
    expect(h.partition("t", 0).leader).toBe(-1);
    const unclean = { electionType: ElectionType.UNCLEAN, topicPartitions: [{ topic: "t", partitions: [0] }] };
    const none = h.controller.electLeaders(unclean, h.nowMs);
    expect(none.response.replicaElectionResults[0]?.partitionResult[0]?.errorCode).toBe(
      ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
    );
    expect(h.controller.electLeaders({ electionType: 7, topicPartitions: null }, h.nowMs).response.errorCode).toBe(
      ErrorCode.INVALID_REQUEST,
    );
  });
});
