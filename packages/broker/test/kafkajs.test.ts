// kafkajs 2.2.4 (pure JS, non-flexible versions) against an in-process broker: admin topic and
// config APIs, offsets, and an acks=-1 producer with null keys, empty values and a 1 MiB value.
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";
import { fetchAll } from "./helpers/fetch-all.js";
import { RawClient } from "./helpers/raw-client.js";
import { suiteBroker } from "@gregor/testkit";

describe("kafkajs 2.2.4", () => {
  let broker!: Broker;
  let kafka!: Kafka;
  suiteBroker(startBroker, {}, (started) => {
    broker = started;
    kafka = new Kafka({
      clientId: "kafkajs-test",
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
  });

  it("creates, lists, describes and deletes topics", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [
            { topic: "kjs-a", numPartitions: 4 },
            { topic: "kjs-b", configEntries: [{ name: "retention.ms", value: "60000" }] },
          ],
        }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: "kjs-a", numPartitions: 4 }] })).toBe(false); // already exists
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(["kjs-a", "kjs-b"]));
      const md = await admin.fetchTopicMetadata({ topics: ["kjs-a"] });
      expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
      expect(md.topics[0]!.partitions[0]).toMatchObject({ leader: 1, replicas: [1], isr: [1] });

      const cfg = await admin.describeConfigs({
        resources: [{ type: 2, name: "kjs-b", configNames: ["retention.ms", "cleanup.policy"] }],
        includeSynonyms: false,
      });
      const entries = Object.fromEntries(cfg.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries).toEqual({ "retention.ms": "60000", "cleanup.policy": "delete" });

      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: "kjs-b", configEntries: [{ name: "cleanup.policy", value: "compact" }] }],
      });
      const after = await admin.describeConfigs({
        resources: [{ type: 2, name: "kjs-b", configNames: ["retention.ms", "cleanup.policy"] }],
        includeSynonyms: false,
      });
      // AlterConfigs replaces the whole override set: retention.ms falls back to the broker default.
      expect(Object.fromEntries(after.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]))).toEqual({
        "retention.ms": "604800000",
        "cleanup.policy": "compact",
      });

      await admin.createPartitions({ topicPartitions: [{ topic: "kjs-b", count: 3 }] });
      expect((await admin.fetchTopicMetadata({ topics: ["kjs-b"] })).topics[0]!.partitions).toHaveLength(3);

      await admin.deleteTopics({ topics: ["kjs-a"] });
      expect(await admin.listTopics()).not.toContain("kjs-a");
    } finally {
      await admin.disconnect();
    }
  });

  it("produces with acks=-1 in batches (null keys, empty values, a 1 MiB value) and reads offsets", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: "kjs-p",
          numPartitions: 1,
          configEntries: [{ name: "max.message.bytes", value: String(2 * 1024 * 1024) }],
        },
      ],
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const big = Buffer.alloc(1024 * 1024, 7);
    try {
      const first = await producer.send({
        topic: "kjs-p",
        acks: -1,
        messages: Array.from({ length: 100 }, (_, i) => ({
          key: null,
          value: i % 2 === 0 ? "" : `v${i}`,
          partition: 0,
        })),
      });
      expect(first[0]).toMatchObject({ errorCode: 0, baseOffset: "0" });
      const second = await producer.send({
        topic: "kjs-p",
        acks: -1,
        messages: [{ key: "big", value: big, partition: 0, headers: { h: "1" } }],
      });
      expect(second[0]).toMatchObject({ errorCode: 0, baseOffset: "100" });
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: "kjs-p", messages: [{ value: "last", partition: 0 }] }],
      });

      const offsets = await admin.fetchTopicOffsets("kjs-p");
      expect(offsets).toEqual([{ partition: 0, offset: "102", high: "102", low: "0" }]);

      const c = await RawClient.connect(broker.port);
      const recs = await fetchAll(c, "kjs-p", 0);
      c.close();
      expect(recs).toHaveLength(102);
      expect(recs[0]!.key).toBeNull();
      expect(recs[0]!.value!.length).toBe(0);
      expect(recs[1]!.value!.toString()).toBe("v1");
      expect(recs[100]!.value!.equals(big)).toBe(true);
      expect(recs[100]!.headers).toEqual([{ key: "h", value: Buffer.from("1") }]);
      expect(recs[101]!.value!.toString()).toBe("last");
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it("refuses a value over max.message.bytes with MESSAGE_TOO_LARGE", async () => {
    const producer = kafka.producer();
    await producer.connect();
    try {
      await expect(
        producer.send({ topic: "kjs-small", acks: -1, messages: [{ value: Buffer.alloc(1_100_000) }] }),
      ).rejects.toThrow(/larger than the max message size/);
    } finally {
      await producer.disconnect();
    }
  });

  it("supports an idempotent producer (InitProducerId + sequences)", async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 5; i++) await producer.send({ topic: "kjs-idem", acks: -1, messages: [{ value: `m${i}` }] });
      const c = await RawClient.connect(broker.port);
      const recs = await fetchAll(c, "kjs-idem", 0);
      c.close();
      expect(recs.map((r) => r.value!.toString())).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    } finally {
      await producer.disconnect();
    }
  });
});
