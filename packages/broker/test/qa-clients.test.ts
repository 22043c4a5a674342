// Outside-in regressions found by driving the broker with third-party clients: a transactional
// producer (librdkafka) must fail at once with a clear error, two @platformatic/kafka
// idempotent producers (both send producerId 0 / epoch 0 in InitProducerId) must not share an id,
// and broker configs at Long.MAX_VALUE must be described with all their digits.
import { existsSync } from "node:fs";
import { Producer, stringSerializers } from "@platformatic/kafka";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";
import { run } from "./helpers/run.js";
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

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require("kafkajs") as typeof import("kafkajs");
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

// init_transactions with a 20 s budget: before the fix FindCoordinator answered the retriable
// COORDINATOR_NOT_AVAILABLE and librdkafka retried until _TIMED_OUT.
const CONFLUENT_TXN = `
import sys
from confluent_kafka import Producer, KafkaException
p = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "qa-tx", "log_level": 0})
try:
    p.init_transactions(20)
    print("OK")
except KafkaException as e:
    err = e.args[0]
    print(err.name(), "fatal" if err.fatal() else "nonfatal", err.str())
`;

describe("third-party clients, outside in", () => {
  let broker!: Broker;
  suiteBroker(startBroker, { config: { "group.initial.rebalance.delay.ms": 0 } }, (started) => (broker = started));

  it("FindCoordinator for a transactional id answers a non-retriable error that says why", async () => {
    const c = await RawClient.connect(broker.port);
    try {
      const r = await c.send<{ errorCode: number; errorMessage: string | null }>(10, 2, { key: "tx-1", keyType: 1 });
      expect(r.errorCode).toBe(53); // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      expect(r.errorMessage).toContain("Transactions are not supported");
      const v4 = await c.send<{ coordinators: { key: string; errorCode: number }[] }>(10, 4, {
        keyType: 1,
        coordinatorKeys: ["a"],
      });
      expect(v4.coordinators.map((x) => [x.key, x.errorCode])).toEqual([["a", 53]]);
    } finally {
      c.close();
    }
  });

  it.skipIf(!existsSync("/usr/lib/python3/dist-packages/confluent_kafka"))(
    "confluent-kafka init_transactions fails fatally with the broker's message, not a timeout",
    async () => {
      const r = await run(PYTHON, ["-c", CONFLUENT_TXN, broker.bootstrap], { timeoutMs: 40_000 });
      expect(r.code, r.stderr).toBe(0);
      const line = r.stdout.trim();
      expect(line).toMatch(/^TRANSACTIONAL_ID_AUTHORIZATION_FAILED fatal /);
      expect(line).toContain("Transactions are not supported");
    },
  );

  it("two @platformatic/kafka idempotent producers get distinct producer ids and both append", async () => {
    const offsets: bigint[] = [];
    for (let i = 0; i < 2; i++) {
      const producer = new Producer({
        clientId: `qa-idem-${i}`,
        bootstrapBrokers: [broker.bootstrap],
        serializers: stringSerializers,
        acks: -1,
        idempotent: true,
        autocreateTopics: true,
      });
      try {
        const r = await producer.send({ messages: [{ topic: "qa-idem", value: `v${i}`, partition: 0 }] });
        offsets.push(r.offsets![0]!.offset);
      } finally {
        await producer.close();
      }
    }
    expect(offsets).toEqual([0n, 1n]);
  });

  it("InitProducerId without a transactional id ignores the producer id it is sent", async () => {
    const c = await RawClient.connect(broker.port);
    try {
      const body = { transactionalId: null, transactionTimeoutMs: 1000, producerId: 0n, producerEpoch: 0 };
      const a = await c.send<{ errorCode: number; producerId: bigint; producerEpoch: number }>(22, 4, body);
      const b = await c.send<{ errorCode: number; producerId: bigint; producerEpoch: number }>(22, 4, body);
      expect([a.errorCode, b.errorCode]).toEqual([0, 0]);
      expect(a.producerId).not.toBe(b.producerId);
      expect([a.producerEpoch, b.producerEpoch]).toEqual([0, 0]);
    } finally {
      c.close();
    }
  });

  it("describes broker configs at Long.MAX_VALUE with every digit (kafkajs describeConfigs)", async () => {
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const r = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 4, name: String(broker.nodeId), configNames: ["log.flush.interval.messages"] }],
      });
      const entry = r.resources[0]!.configEntries.find((e) => e.configName === "log.flush.interval.messages");
      expect(entry?.configValue).toBe("9223372036854775807");
    } finally {
      await admin.disconnect();
    }
  });
});
