// @platformatic/kafka (flexible versions: ApiVersions v3, Metadata 12, Produce 9+, Fetch 12,
// CreateTopics 7) against an in-process broker: admin, producer, and a consumer stream.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";
import { fetchAll } from "./helpers/fetch-all.js";
import { RawClient } from "./helpers/raw-client.js";
import { suiteBroker } from "@gregor/testkit";

// @platformatic/kafka 2.12 calls Promise.withResolvers (Node 22); CI runs Node 20.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("@platformatic/kafka", () => {
  let broker!: Broker;
  suiteBroker(startBroker, { config: { "group.initial.rebalance.delay.ms": 0 } }, (started) => (broker = started));

  it("creates topics and produces with flexible Produce versions", async () => {
    const admin = new Admin({ clientId: "plt-admin", bootstrapBrokers: [broker.bootstrap] });
    try {
      await admin.createTopics({ topics: ["plt"], partitions: 2, replicas: 1 });
      expect(await admin.listTopics()).toContain("plt");
    } finally {
      await admin.close();
    }
    const producer = new Producer({
      clientId: "plt-producer",
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
      acks: -1,
    });
    try {
      const messages = Array.from({ length: 20 }, (_, i) => ({
        topic: "plt",
        key: `k${i}`,
        value: `v${i}`,
        partition: i % 2,
        headers: { n: String(i) },
      }));
      await producer.send({ messages });
    } finally {
      await producer.close();
    }
    const c = await RawClient.connect(broker.port);
    const p0 = await fetchAll(c, "plt", 0);
    const p1 = await fetchAll(c, "plt", 1);
    c.close();
    expect(p0.map((r) => r.value!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `v${i * 2}`));
    expect(p1.map((r) => r.value!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `v${i * 2 + 1}`));
    expect(p0[0]!.headers).toEqual([{ key: "n", value: Buffer.from("0") }]);
  });

  it("consumes from the earliest offset with Fetch v12", async () => {
    const consumer = new Consumer({
      groupId: `plt-group-${Date.now()}`,
      clientId: "plt-consumer",
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
    });
    try {
      const stream = await consumer.consume({
        topics: ["plt"],
        mode: "earliest",
        autocommit: false,
        sessionTimeout: 10000,
        heartbeatInterval: 500,
      });
      const seen: string[] = [];
      for await (const message of stream) {
        seen.push(message.value as string);
        if (seen.length === 20) break;
      }
      expect(seen.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
    } finally {
      await consumer.close(true);
    }
  });
});
