// ElectLeaders (43), AlterPartitionReassignments (45) and ListPartitionReassignments (46) over real
// sockets on a 3-node in-process cluster: each broker forwards to the active controller and answers
// once its own topic table shows the change. Node 3 is stopped part-way, so a move onto it stays in
// progress (it cannot catch up) whatever replication does, and can be listed and cancelled.
import { Admin, type Connection, Producer } from "@gregor/client";
import {
  type AlterPartitionReassignmentsResponse,
  ApiKey,
  type ElectLeadersResponse,
  ErrorCode,
  type ListPartitionReassignmentsResponse,
} from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startCluster } from "../../src/index.js";
import { segmentBytes } from "../replication/follower-helpers.js";
import { createAssignedTopic } from "./assigned-topic.js";
import { TEST_TIMEOUTS, until } from "./harness.js";

let cluster: LocalCluster;
let admin: Admin;
let conn: Connection;

const reassign = (partitions: { partitionIndex: number; replicas: number[] | null }[], name = "moves") =>
  conn.request<AlterPartitionReassignmentsResponse>(ApiKey.AlterPartitionReassignments, {
    timeoutMs: 10_000,
    topics: [{ name, partitions }],
  });
const list = (topics: { name: string; partitionIndexes: number[] }[] | null = null) =>
  conn.request<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, { timeoutMs: 10_000, topics });
const elect = (electionType: number, topicPartitions: { topic: string; partitions: number[] }[] | null) =>
  conn.request<ElectLeadersResponse>(ApiKey.ElectLeaders, { electionType, topicPartitions, timeoutMs: 10_000 });

beforeAll(async () => {
  // No automatic rebalance here: the elections below are the test's own.
  const config = { ...TEST_TIMEOUTS, "auto.leader.rebalance.enable": false };
  cluster = await startCluster({ nodes: 3, mode: "in-process", config });
  admin = new Admin({ bootstrapBrokers: [`127.0.0.1:${cluster.node(1).port}`], clientId: "balance-test" });
  await admin.cluster.refreshMetadata([]);
  conn = await admin.cluster.broker(1);
  expect(
    await createAssignedTopic(conn, "moves", [
      [1, 2],
      [2, 1],
    ]),
  ).toBe(0);
}, 120_000);

afterAll(async () => {
  await admin?.close();
  await cluster?.close();
});

describe("balance and movement over the wire", () => {
  it("ElectLeaders: not needed when the preferred replica leads, unknown partitions named, all = only elections tried", async () => {
    const r = await elect(0, [
      { topic: "moves", partitions: [0, 1, 9] },
      { topic: "nope", partitions: [0] },
    ]);
    expect(r.errorCode).toBe(0);
    expect(r.replicaElectionResults).toEqual([
      {
        topic: "moves",
        partitionResult: [
          { partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null },
          { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null },
          {
            partitionId: 9,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: "No such partition as moves-9",
          },
        ],
      },
      {
        topic: "nope",
        partitionResult: [
          { partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "No such topic as nope" },
        ],
      },
    ]);
    const all = await elect(0, null);
    expect(all.replicaElectionResults.filter((t) => t.topic === "moves")).toEqual([]);
  });

  it("AlterPartitionReassignments: Kafka's errors per partition, nothing changes", async () => {
    const r = await reassign([
      { partitionIndex: 0, replicas: [2, 7] },
      { partitionIndex: 0, replicas: [] },
      { partitionIndex: 1, replicas: [3, 3] },
      { partitionIndex: 1, replicas: null },
      { partitionIndex: 5, replicas: [1] },
    ]);
    expect(r.errorCode).toBe(0);
    expect(r.responses[0]?.partitions.map((p) => p.errorCode)).toEqual([
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(r.responses[0]?.partitions[0]?.errorMessage).toContain("broker 7, but no such broker is registered");
    expect(
      (await reassign([{ partitionIndex: 0, replicas: [1] }], "nope")).responses[0]?.partitions[0]?.errorCode,
    ).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await list()).topics).toEqual([]);
  });

  it("reordering the replicas completes at once; ElectLeaders PREFERRED then moves the leader to the new first replica", async () => {
    const r = await reassign([{ partitionIndex: 1, replicas: [1, 2] }]);
    expect(r.responses[0]?.partitions[0]?.errorCode).toBe(0);
    expect((await list()).topics).toEqual([]);
    const [reordered] = await admin.describeTopics(["moves"]);
    expect(reordered?.partitions[1]).toMatchObject({ replicas: [1, 2], leader: 2 });
    const elected = await elect(0, [{ topic: "moves", partitions: [1] }]);
    expect(elected.replicaElectionResults).toEqual([
      { topic: "moves", partitionResult: [{ partitionId: 1, errorCode: 0, errorMessage: null }] },
    ]);
    // The broker answered once its own table had the change: its Metadata shows it at once.
    const [after] = await admin.describeTopics(["moves"]);
    expect(after?.partitions[1]).toMatchObject({ replicas: [1, 2], leader: 1 });
    expect(
      (await elect(0, [{ topic: "moves", partitions: [1] }])).replicaElectionResults[0]?.partitionResult[0]?.errorCode,
    ).toBe(ErrorCode.ELECTION_NOT_NEEDED);
  });

  it("a move [1,2] -> [2,3] completes once 3 caught up: replicas [2,3], 3 holds the records, 1's replica is gone", async () => {
    expect(await createAssignedTopic(conn, "moved", [[1, 2]])).toBe(0);
    const producer = new Producer({ bootstrapBrokers: [`127.0.0.1:${cluster.node(1).port}`], acks: -1, lingerMs: 2 });
    try {
      for (let i = 0; i < 500; i += 100) {
        await producer.send(
          "moved",
          Array.from({ length: 100 }, (_, j) => ({ value: `v${i + j}` })),
        );
      }
    } finally {
      await producer.close();
    }
    const r = await reassign([{ partitionIndex: 0, replicas: [2, 3] }], "moved");
    expect(r.responses[0]?.partitions[0]?.errorCode).toBe(0);
    const [done] = await until(
      "the move to complete",
      async () => {
        const t = await admin.describeTopics(["moved"]);
        const p = t[0]?.partitions[0];
        return p !== undefined && p.replicas.join() === "2,3" && p.isr.length === 2 ? t : undefined;
      },
      30_000,
    );
    expect([2, 3]).toContain(done?.partitions[0]?.leader);
    expect((await list([{ name: "moved", partitionIndexes: [0] }])).topics).toEqual([]);
    const two = await until("node 3's replica equal to node 2's", async () => {
      const [b, c] = await Promise.all([2, 3].map((id) => segmentBytes(cluster, id, "moved", 0)));
      return b!.length > 0 && b!.equals(c!) ? b : undefined;
    });
    expect(two.length).toBeGreaterThan(500);
    await until("node 1's replica deleted", async () => (await segmentBytes(cluster, 1, "moved", 0)).length === 0);
  });

  it("a move onto a stopped broker stays listed until cancelled; cancel restores the replicas", async () => {
    await cluster.node(3).stop();
    const r = await reassign([{ partitionIndex: 0, replicas: [2, 3] }]);
    expect(r.responses[0]?.partitions[0]).toEqual({ partitionIndex: 0, errorCode: 0, errorMessage: null });
    const ongoing = { partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1] };
    expect((await list()).topics).toEqual([{ name: "moves", partitions: [ongoing] }]);
    expect((await list([{ name: "moves", partitionIndexes: [1] }])).topics).toEqual([]);
    const [during] = await admin.describeTopics(["moves"]);
    expect(during?.partitions[0]?.replicas).toEqual([2, 3, 1]);
    const cancelled = await reassign([{ partitionIndex: 0, replicas: null }]);
    expect(cancelled.responses[0]?.partitions[0]?.errorCode).toBe(0);
    expect((await list()).topics).toEqual([]);
    const [after] = await until("Metadata without replica 3", async () => {
      const t = await admin.describeTopics(["moves"]);
      return t[0]?.partitions[0]?.replicas.includes(3) ? undefined : t;
    });
    expect(after?.partitions[0]?.replicas.sort()).toEqual([1, 2]);
    expect(after?.partitions[0]?.leader).toBe(1);
  });
});
