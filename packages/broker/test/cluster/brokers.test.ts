// Three combined (broker,controller) brokers in one process on free ports, real sockets and data
// dirs: the broker is a cluster member — Metadata lists every broker, topics are placed across
// them by the active controller, each partition is led by the broker the image names, a
// non-leader answers NOT_LEADER_OR_FOLLOWER with the leader (KIP-951, Produce and Fetch), and a closed broker's
// partitions get new leaders from the ISR with a higher leader epoch while clients keep producing.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeRecordBatch, type MetadataResponse } from "@gregor/protocol";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, ErrorCode, startBroker } from "../../src/index.js";
import { formatStorage, newClusterId } from "../../src/metadata/meta-properties.js";
import { RawClient } from "../helpers/raw-client.js";
import { run } from "../helpers/run.js";
import { nodeConfigs, TEST_TIMEOUTS, until } from "./harness.js";

interface PartitionMeta {
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

async function metadata(b: Broker, topics: string[] | null): Promise<MetadataResponse> {
  const c = await RawClient.connect(b.port);
  try {
    const req = { topics: topics?.map((name) => ({ name })) ?? null, allowAutoTopicCreation: false };
    return await c.send<MetadataResponse>(3, 12, { ...req, includeTopicAuthorizedOperations: false });
  } finally {
    c.close();
  }
}

async function partitionsOf(b: Broker, topic: string): Promise<PartitionMeta[]> {
  const md = await metadata(b, [topic]);
  const t = md.topics[0];
  if (t === undefined || t.errorCode !== 0) return [];
  return (t.partitions as PartitionMeta[]).sort((x, y) => x.partitionIndex - y.partitionIndex);
}

const batch = (value: string) =>
  encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });

describe("three combined brokers", () => {
  let root: string;
  const brokers = new Map<number, Broker>();
  const live = (): Broker[] => [...brokers.values()];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "gregor-brokers-"));
    const clusterId = newClusterId();
    const configs = await nodeConfigs(root, [1, 2, 3], { "offsets.topic.num.partitions": 6, "gregor.admin.port": 0 });
    for (const id of [1, 2, 3]) await formatStorage({ dirs: [join(root, `node-${id}`)], clusterId, nodeId: id });
    // Started together: each waits until the quorum has a leader that unfences it.
    const started = await Promise.all(
      [1, 2, 3].map((id) => startBroker({ brokerConfig: configs.get(id)!, clusterId, readyTimeoutMs: 30_000 })),
    );
    for (const b of started) brokers.set(b.nodeId, b);
    await until("every broker sees three live brokers", async () => {
      for (const b of live()) if ((await metadata(b, [])).brokers.length !== 3) return false;
      return true;
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(live().map((b) => b.close()));
    await rm(root, { recursive: true, force: true });
  }, 60_000);

  it("kcat -L lists the three brokers and the active controller", async () => {
    const b = brokers.get(2)!;
    const r = await run("kcat", ["-b", b.bootstrap, "-L", "-J"]);
    expect(r.code).toBe(0);
    const md = JSON.parse(r.stdout);
    expect(md.brokers.map((x: { id: number }) => x.id).sort()).toEqual([1, 2, 3]);
    expect([1, 2, 3]).toContain(md.controllerid);
    for (const x of live()) expect((await metadata(x, [])).controllerId).toBe(md.controllerid);
  });

  it("CreateTopics RF=2 via any node places leaders on different brokers and every node agrees", async () => {
    const via = brokers.get(3)!;
    const kafka = new Kafka({ brokers: [via.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: "spread", numPartitions: 3, replicationFactor: 2 }] })).toBe(
        true,
      );
    } finally {
      await admin.disconnect();
    }
    const views = await Promise.all(live().map((b) => partitionsOf(b, "spread")));
    for (const v of views) expect(v).toEqual(views[0]);
    const parts = views[0]!;
    expect(parts).toHaveLength(3);
    expect(new Set(parts.map((p) => p.leaderId)).size).toBe(3);
    for (const p of parts) {
      expect(p.replicaNodes).toHaveLength(2);
      expect(new Set(p.replicaNodes).size).toBe(2);
      expect(p.replicaNodes).toContain(p.leaderId);
      expect(p.isrNodes.sort()).toEqual([...p.replicaNodes].sort());
      expect(p.offlineReplicas).toEqual([]);
    }
  });

  it("RF above the live brokers fails with Kafka's message", async () => {
    const c = await RawClient.connect(brokers.get(1)!.port);
    try {
      const res = await c.send(19, 7, {
        topics: [{ name: "too-wide", numPartitions: 1, replicationFactor: 4, assignments: [], configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(res.topics[0].errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
      expect(res.topics[0].errorMessage).toBe(
        "Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.",
      );
    } finally {
      c.close();
    }
  });

  it("produce to the leader works; a non-leader answers NOT_LEADER_OR_FOLLOWER with the leader; kcat re-routes", async () => {
    const parts = await partitionsOf(brokers.get(1)!, "spread");
    for (const p of parts) {
      const leader = brokers.get(p.leaderId)!;
      const other = live().find((b) => b.nodeId !== p.leaderId)!;
      const toLeader = await RawClient.connect(leader.port);
      const toOther = await RawClient.connect(other.port);
      try {
        const produce = (value: string) => ({
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: "spread", partitionData: [{ index: p.partitionIndex, records: batch(value) }] }],
        });
        const ok = await toLeader.send(0, 10, produce("to-leader"));
        expect(ok.responses[0].partitionResponses[0].errorCode).toBe(0);
        const refused = await toOther.send(0, 10, produce("to-other"));
        const pr = refused.responses[0].partitionResponses[0];
        expect(pr.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        expect(pr.currentLeader).toEqual({ leaderId: p.leaderId, leaderEpoch: p.leaderEpoch });
        expect(refused.nodeEndpoints).toEqual([
          { nodeId: p.leaderId, host: "127.0.0.1", port: leader.port, rack: null },
        ]);
        const fetched = await toOther.send(1, 12, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1_000_000,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: "spread",
              partitions: [
                {
                  partition: p.partitionIndex,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 100_000,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: "",
        });
        expect(fetched.responses[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        expect(fetched.responses[0].partitions[0].currentLeader).toEqual({
          leaderId: p.leaderId,
          leaderEpoch: p.leaderEpoch,
        });
      } finally {
        toLeader.close();
        toOther.close();
      }
    }
    // kcat bootstraps from one broker and sends each partition's records to its leader.
    const lines = Array.from({ length: 30 }, (_, i) => `kcat-${i}`);
    const produced = await run(
      "kcat",
      ["-b", brokers.get(2)!.bootstrap, "-P", "-t", "spread", "-X", "topic.partitioner=murmur2_random"],
      { input: `${lines.join("\n")}\n` },
    );
    expect(produced.code).toBe(0);
    const consumed = await run("kcat", ["-b", brokers.get(3)!.bootstrap, "-C", "-t", "spread", "-e", "-q"]);
    expect(consumed.code).toBe(0);
    const got = consumed.stdout.split("\n").filter((l) => l !== "");
    expect(got.filter((l) => l.startsWith("kcat-")).sort()).toEqual([...lines].sort());
    expect(got.filter((l) => l === "to-leader")).toHaveLength(3);
    expect(got).not.toContain("to-other");
  });

  it("DescribeQuorum on any broker listener names the active controller and the three voters", async () => {
    const controllerId = (await metadata(brokers.get(1)!, [])).controllerId;
    for (const b of live()) {
      const c = await RawClient.connect(b.port);
      try {
        const res = await c.send(55, 1, {
          topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }],
        });
        const p = res.topics[0].partitions[0];
        expect(p.errorCode).toBe(0);
        expect(p.leaderId).toBe(controllerId);
        expect(p.currentVoters.map((v: { replicaId: number }) => v.replicaId).sort()).toEqual([1, 2, 3]);
      } finally {
        c.close();
      }
    }
  });

  it("FindCoordinator names the coordinator partition's leader on every broker; others answer NOT_COORDINATOR", async () => {
    const group = "spread-group";
    const answers = [];
    for (const b of live()) {
      const c = await RawClient.connect(b.port);
      try {
        answers.push(await c.send(10, 3, { key: group, keyType: 0 }));
      } finally {
        c.close();
      }
    }
    for (const a of answers) expect(a).toMatchObject({ errorCode: 0, nodeId: answers[0].nodeId });
    const coordinatorId = answers[0].nodeId as number;
    const offsets = await partitionsOf(brokers.get(1)!, "__consumer_offsets");
    expect(offsets).toHaveLength(6);
    expect(offsets.every((p) => p.replicaNodes.length === 3)).toBe(true); // min(RF 3, 3 live brokers)
    for (const b of live()) {
      const c = await RawClient.connect(b.port);
      try {
        const hb = await c.send(12, 3, { groupId: group, generationId: 1, memberId: "m", groupInstanceId: null });
        if (b.nodeId === coordinatorId) expect(hb.errorCode).not.toBe(ErrorCode.NOT_COORDINATOR);
        else expect(hb.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      } finally {
        c.close();
      }
    }
    // A consumer group bootstrapped from a non-coordinator broker reads the topic.
    const other = live().find((b) => b.nodeId !== coordinatorId)!;
    const kafka = new Kafka({ brokers: [other.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const values = [0, 1, 2].flatMap((partition) => [0, 1, 2, 3].map((i) => `group-${partition}-${i}`));
    try {
      await producer.send({
        topic: "spread",
        acks: -1,
        messages: values.map((value) => ({ value, partition: Number(value.split("-")[1]) })),
      });
    } finally {
      await producer.disconnect();
    }
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500 });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: "spread", fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
      await until(
        "the group consumes the 12 records produced for it",
        () => values.every((v) => seen.includes(v)),
        45_000,
      );
    } finally {
      await consumer.disconnect();
    }
  });

  it("a closed broker's partitions get new leaders from the ISR (epoch +1) everywhere; kafkajs keeps producing", async () => {
    const before = await partitionsOf(brokers.get(1)!, "spread");
    const controllerId = (await metadata(brokers.get(1)!, [])).controllerId;
    // Close a broker that is not the active controller: this test is about partition leaders.
    const victimId = [1, 2, 3].find((id) => id !== controllerId)!;
    const kafka = new Kafka({
      brokers: live().map((b) => b.bootstrap),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50 },
    });
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const send = (tag: string) =>
        producer.send({
          topic: "spread",
          acks: -1,
          messages: [0, 1, 2].map((partition) => ({ partition, value: `${tag}-${partition}` })),
        });
      await send("before");
      const victim = brokers.get(victimId)!;
      brokers.delete(victimId);
      await victim.close();
      const moved = before.filter((p) => p.leaderId === victimId);
      expect(moved.length).toBeGreaterThan(0);
      await until(
        "every live broker shows new leaders for the closed broker's partitions",
        async () => {
          for (const b of live()) {
            const now = await partitionsOf(b, "spread");
            for (const old of moved) {
              const p = now[old.partitionIndex];
              if (p === undefined || p.leaderId === victimId || p.leaderId < 0) return false;
              expect(old.isrNodes).toContain(p.leaderId);
              expect(p.leaderEpoch).toBe(old.leaderEpoch + 1);
              expect(p.isrNodes).not.toContain(victimId);
            }
          }
          return true;
        },
        TEST_TIMEOUTS["broker.session.timeout.ms"] + 5000,
      );
      await send("after");
    } finally {
      await producer.disconnect();
    }
    const consumed = await run("kcat", ["-b", live()[0]!.bootstrap, "-C", "-t", "spread", "-e", "-q"]);
    const got = consumed.stdout.split("\n");
    for (const p of before) {
      expect(got).toContain(`after-${p.partitionIndex}`);
      // Partition data is not replicated yet (next issue): only partitions that kept their leader
      // still hold what was written before the failover.
      if (p.leaderId !== victimId) expect(got).toContain(`before-${p.partitionIndex}`);
    }
  });
});
