// ElectLeaders (43), AlterPartitionReassignments (45) and ListPartitionReassignments (46) over real
// sockets on a 3-node in-process cluster: each broker forwards to the active controller and answers
// once its own topic table shows the change. Node 3 is stopped part-way, so a move onto it stays in
// progress (it cannot catch up) whatever replication does, and can be listed and cancelled.
import { Admin, type Connection } from "@gregor/client";
import {
  type AlterPartitionReassignmentsResponse,
  ApiKey,
  type CreateTopicsResponse,
  type ElectLeadersResponse,
  ErrorCode,
  type ListPartitionReassignmentsResponse,
} from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startCluster } from "../../src/index.js";
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
  cluster = await startCluster({ nodes: 3, mode: "in-process", config: TEST_TIMEOUTS });
  admin = new Admin({ bootstrapBrokers: [`127.0.0.1:${cluster.node(1).port}`], clientId: "balance-test" });
  await admin.cluster.refreshMetadata([]);
  conn = await admin.cluster.broker(1);
  const created = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
    topics: [
      {
        name: "moves",
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [
          { partitionIndex: 0, brokerIds: [1, 2] },
          { partitionIndex: 1, brokerIds: [2, 1] },
        ],
        configs: [],
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  expect(created.topics[0]?.errorCode).toBe(0);
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
