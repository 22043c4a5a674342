// The single node is a one-voter quorum (Kafka 4's combined mode): its topics live in the metadata
// log, survive a restart with the same ids and epochs >= before, and a data dir from before the
// quorum (topics.json, no metadata log) is imported once with the same topic ids and data.
import { access, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../../src/index.js";
import { tempDir } from "@gregor/testkit";
import { RawClient } from "../helpers/raw-client.js";

const quiet = { "gregor.admin.port": 0 } as const;

/** Produces `values` to partition 1 with acks=all. */
async function produce(b: Broker, topic: string, values: string[]): Promise<void> {
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition: 1 })) });
  } finally {
    await producer.disconnect();
  }
}

/** Partition 1's high watermark as a client sees it (ListOffsets). */
async function highWatermark(b: Broker, topic: string): Promise<string | undefined> {
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 1)?.high;
  } finally {
    await admin.disconnect();
  }
}

/** InitProducerId (v4) for an idempotent producer: the id handed out. */
async function producerId(b: Broker): Promise<bigint> {
  const c = await RawClient.connect(b.port);
  try {
    const res = await c.send(22, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect(res.errorCode).toBe(0);
    return res.producerId as bigint;
  } finally {
    c.close();
  }
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe("single node on the metadata quorum", () => {
  it("keeps topics, ids and leaders across a restart (epochs never go back); producer ids never repeat", async () => {
    const dir = tempDir();
    const first = await startBroker({ dataDir: dir, port: 0, config: quiet });
    let topicId: string;
    let epoch: number;
    let lastProducerId: bigint;
    try {
      const a = await producerId(first);
      lastProducerId = await producerId(first);
      expect(lastProducerId).toBe(a + 1n);
      await first.services.admin.create(
        { name: "kept", numPartitions: 2, replicationFactor: 1, configs: { "retention.ms": "3600000" } },
        false,
      );
      const t = first.services.topics.get("kept")!;
      topicId = t.topicId;
      epoch = t.partitions[0]!.leaderEpoch;
      await produce(first, "kept", ["a", "b"]);
      expect(await highWatermark(first, "kept")).toBe("2");
      expect(first.cluster.activeControllerId()).toBe(1);
    } finally {
      await first.close();
    }
    expect(await exists(join(dir, "topics.json"))).toBe(false);
    const second = await startBroker({ dataDir: dir, port: 0, config: quiet });
    try {
      const t = second.services.topics.get("kept")!;
      expect(t.topicId).toBe(topicId);
      expect(t.configs).toEqual({ "retention.ms": "3600000" });
      expect(t.partitions.map((p) => p.leader)).toEqual([1, 1]);
      expect(t.partitions[0]!.leaderEpoch).toBeGreaterThanOrEqual(epoch);
      expect(await highWatermark(second, "kept")).toBe("2");
      // The controller committed the first block's high water: the restarted broker gets a new block.
      expect(await producerId(second)).toBeGreaterThan(lastProducerId);
    } finally {
      await second.close();
    }
  });

  it("imports an old topics.json into an empty metadata log once (same ids, same data)", async () => {
    const dir = tempDir();
    const first = await startBroker({ dataDir: dir, port: 0, config: quiet });
    let topicId: string;
    try {
      await first.services.admin.create({ name: "legacy", numPartitions: 2, replicationFactor: 1, configs: {} }, false);
      topicId = first.services.topics.get("legacy")!.topicId;
      await produce(first, "legacy", ["x", "y", "z"]);
      expect(await highWatermark(first, "legacy")).toBe("3");
    } finally {
      await first.close();
    }
    // The data dir as Gregor wrote it before the quorum: partition logs + topics.json, no metadata log.
    await rm(join(dir, "__cluster_metadata-0"), { recursive: true, force: true });
    const legacy = [{ name: "legacy", topicId, partitions: 2, configs: { "cleanup.policy": "delete" } }];
    await writeFile(join(dir, "topics.json"), JSON.stringify(legacy));
    const second = await startBroker({ dataDir: dir, port: 0, config: quiet });
    try {
      const t = second.services.topics.get("legacy");
      expect(t?.topicId).toBe(topicId);
      expect(t?.partitions.map((p) => [p.leader, p.replicas])).toEqual([
        [1, [1]],
        [1, [1]],
      ]);
      expect(t?.configs).toEqual({ "cleanup.policy": "delete" });
      expect(await highWatermark(second, "legacy")).toBe("3");
      const files = await readdir(dir);
      expect(files).toContain("topics.json.imported");
      expect(files).not.toContain("topics.json");
    } finally {
      await second.close();
    }
  });
});
