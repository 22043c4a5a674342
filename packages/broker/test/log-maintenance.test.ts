// Compaction and retention wired into the broker: a compacted topic with repeated keys, after a
// forced cleaner pass, reads back (kcat) with one record per key; retention deletes old segments.
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type Broker, LOG_MAINTENANCE_MODULE, type LogMaintenance, startBroker } from "../src/index.js";
import { run } from "./helpers/run.js";
import { suiteBroker } from "@gregor/testkit";

describe("log maintenance", () => {
  let broker!: Broker;
  suiteBroker(
    startBroker,
    { logLevel: "silent", config: { "gregor.admin.port": -1 } },
    (started) => (broker = started),
  );
  const maintenance = () => broker.services.module<LogMaintenance>(LOG_MAINTENANCE_MODULE);

  it("compacts a cleanup.policy=compact topic to one record per key (kcat reads it back)", async () => {
    const kafka = new Kafka({ clientId: "compact", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    // Tiny segments: every produce request rolls a segment, so all but the last one are cleanable.
    await admin.createTopics({
      topics: [
        {
          topic: "compacted",
          numPartitions: 1,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.bytes", value: "100" },
          ],
        },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let round = 0; round < 4; round++) {
      for (let k = 0; k < 5; k++)
        await producer.send({ topic: "compacted", messages: [{ key: `k${k}`, value: `v${round}` }] });
    }
    // The active segment is never cleaned (as in Kafka): end with a key of its own.
    await producer.send({ topic: "compacted", messages: [{ key: "last", value: "x" }] });
    await producer.disconnect();

    const cleaned = await maintenance().runCleaner();
    const stats = cleaned.find((c) => c.topic === "compacted")!.stats;
    expect(stats.recordsRemoved).toBe(15);
    expect(broker.services.metrics.cleanerRuns).toBeGreaterThan(0);

    const c = await run("kcat", [
      "-b",
      broker.bootstrap,
      "-C",
      "-t",
      "compacted",
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%o %k=%s\n",
    ]);
    expect(c.code, c.stderr).toBe(0);
    const lines = c.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(" ")[1])).toEqual(["k0=v3", "k1=v3", "k2=v3", "k3=v3", "k4=v3", "last=x"]);
    // Offsets are kept: the survivors are the last writes (offsets 15..20).
    expect(lines.map((l) => Number(l.split(" ")[0]))).toEqual([15, 16, 17, 18, 19, 20]);
  });

  it("applies retention.ms changed at runtime through IncrementalAlterConfigs (updateConfig)", async () => {
    const kafka = new Kafka({ clientId: "retention", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: "retained", numPartitions: 1, configEntries: [{ name: "segment.bytes", value: "100" }] }],
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++)
      await producer.send({
        topic: "retained",
        messages: [{ value: `old-${i}`, timestamp: String(Date.now() - 3_600_000) }],
      });
    await producer.disconnect();
    expect(await maintenance().runRetention()).toBe(0); // retention.ms defaults to 7 days
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: "retained", configEntries: [{ name: "retention.ms", value: "60000" }] }],
    });
    await admin.disconnect();
    expect(await maintenance().runRetention()).toBe(5); // all expired: the active one too (Kafka rolls a new one)
    expect(broker.services.partitionLog("retained", 0)!.logStartOffset).toBe(5);
    expect(broker.services.metrics.retentionSegmentsDeleted).toBe(5);
  });
});
