// KafkaStreams against a real Gregor broker over sockets: word count across instances of one
// application, rebalancing when an instance leaves, state restored from the changelog on restart, and
// a clean restart with a state directory that restores nothing from the changelog (checkpoints).
import { Admin, Consumer, EARLIEST_TIMESTAMP, Producer, listOffsets } from "@gregor/client";
import { type Broker, startBroker } from "@gregor/broker";
import { suiteBroker, tempDir, until } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaStreams, Serdes, StreamsBuilder, type StreamsConfig } from "../src/index.js";

let broker: Broker;
let admin: Admin;
suiteBroker(
  startBroker,
  { config: { "group.initial.rebalance.delay.ms": 0, "group.min.session.timeout.ms": 1000 } },
  (started) => (broker = started),
);
beforeAll(() => {
  admin = new Admin({ bootstrapBrokers: [broker.bootstrap] });
});
afterAll(async () => {
  await admin.close();
});

const str = Serdes.string();
const long = Serdes.int64();

function wordCount(input: string, output: string) {
  const b = new StreamsBuilder();
  b.stream(input, { key: str, value: str })
    .flatMapValues((line) => line.split(" "))
    .groupBy((_k, word) => word, { key: str, value: str })
    .count({ name: "counts" })
    .toStream()
    .to(output, { key: str, value: long });
  return b.build();
}

function config(applicationId: string): StreamsConfig {
  return {
    applicationId,
    bootstrapServers: [broker.bootstrap],
    commitIntervalMs: 100,
    pollMs: 50,
    consumer: { heartbeatIntervalMs: 100, sessionTimeoutMs: 3000, rebalanceTimeoutMs: 5000, maxWaitMs: 50 },
  };
}

/** Reads `topic` from the start, keeping the latest value per key, until `done` holds. */
async function latest(topic: string, done: (m: Map<string, number>) => boolean): Promise<Map<string, number>> {
  const consumer = new Consumer({ bootstrapBrokers: [broker.bootstrap], maxWaitMs: 50 });
  consumer.assign(
    (await admin.describeTopics([topic]))[0]!.partitions.map((p) => ({
      topic,
      partition: p.partition,
      offset: "earliest" as const,
    })),
  );
  const table = new Map<string, number>();
  try {
    await until(
      async () => {
        for (const m of (await consumer.nextBatch({ timeoutMs: 200 }))?.messages ?? [])
          table.set(m.key!.toString(), Number(m.value!.readBigInt64BE()));
        return done(table);
      },
      { what: () => `counts in ${topic}: ${JSON.stringify([...table])}`, timeoutMs: 30_000, intervalMs: 0 },
    );
  } finally {
    await consumer.close();
  }
  return table;
}

async function produceLines(topic: string, lines: string[]): Promise<void> {
  const producer = new Producer({ bootstrapBrokers: [broker.bootstrap] });
  await producer.send(
    topic,
    lines.map((value, i) => ({ key: `line-${i}`, value })),
  );
  await producer.close();
}

const sameCounts = (expected: Map<string, number>) => (m: Map<string, number>) =>
  [...expected].every(([k, n]) => m.get(k) === n);

describe("KafkaStreams against a broker", () => {
  it("word count over two instances, one leaving, then a restart restoring from the changelog", async () => {
    await admin.createTopics([
      { topic: "wc-in", numPartitions: 3, replicationFactor: 1 },
      { topic: "wc-out", numPartitions: 3, replicationFactor: 1 },
    ]);
    const words = ["alpha", "beta", "gamma", "delta", "eps"];
    const lines = (n: number, offset: number) =>
      Array.from({ length: n }, (_, i) => `${words[(i + offset) % 5]} ${words[(i * 3 + offset) % 5]}`);
    const expected = new Map<string, number>();
    const count = (ls: string[]) => {
      for (const l of ls) for (const w of l.split(" ")) expected.set(w, (expected.get(w) ?? 0) + 1);
    };

    const a = new KafkaStreams(wordCount("wc-in", "wc-out"), config("wc-app"));
    const b = new KafkaStreams(wordCount("wc-in", "wc-out"), config("wc-app"));
    await a.start();
    await b.start();
    const first = lines(200, 0);
    count(first);
    await produceLines("wc-in", first);
    await latest("wc-out", sameCounts(expected));
    expect(new Set(await admin.listTopics())).toEqual(
      new Set(["wc-in", "wc-out", "wc-app-counts-repartition", "wc-app-counts-changelog"]),
    );
    // Committed repartition records are deleted (the topic's log start moves past them).
    await until(
      async () => {
        const starts = await listOffsets(
          admin.cluster,
          [0, 1, 2].map((partition) => ({
            topic: "wc-app-counts-repartition",
            partition,
            timestamp: EARLIEST_TIMESTAMP,
          })),
        );
        return starts.some((s) => s.offset > 0n);
      },
      { what: "repartition records purged after commit" },
    );
    // Interactive queries: each word lives in exactly one instance's task.
    for (const [w, n] of expected) {
      const where = [a, b].filter((s) => s.queryMetadataForKey("counts", w, str).local);
      expect(where).toHaveLength(1);
      expect(where[0]!.keyValueStore<string, number>("counts").get(w)).toBe(n);
    }

    await b.close(); // graceful: commits, leaves; a takes every task
    const second = lines(100, 1);
    count(second);
    await produceLines("wc-in", second);
    await latest("wc-out", sameCounts(expected));
    await until(() => a.keyValueStore<string, number>("counts").approximateNumEntries() === words.length, {
      what: "a owns every word",
    });
    await a.close();

    const stateDir = tempDir("streams-state-");
    const c = new KafkaStreams(wordCount("wc-in", "wc-out"), { ...config("wc-app"), stateDir });
    await c.start();
    const third = lines(50, 2);
    count(third);
    await produceLines("wc-in", third);
    await latest("wc-out", sameCounts(expected));
    expect(c.stats().restoredRecords).toBeGreaterThan(0); // no checkpoint yet: the whole changelog
    expect(c.stats().checkpointRecords).toBe(0);
    await c.close(); // clean: leaves snapshots and checkpoints in stateDir
    expect(c.state).toBe("NOT_RUNNING");

    const d = new KafkaStreams(wordCount("wc-in", "wc-out"), { ...config("wc-app"), stateDir });
    await d.start();
    const fourth = lines(30, 3);
    count(fourth);
    await produceLines("wc-in", fourth);
    await latest("wc-out", sameCounts(expected));
    expect(d.stats().checkpointRecords).toBe(words.length); // one entry per word, from the snapshots
    expect(d.stats().restoredRecords).toBe(0); // nothing was written to the changelog since
    await d.close();
  });

  it("the consumer's rebalanceListener (what the runtime relies on) hears revocations before assignments move", async () => {
    await admin.createTopics([{ topic: "rl-in", numPartitions: 2, replicationFactor: 1 }]);
    const events: string[] = [];
    const member = (name: string) => {
      const c = new Consumer({
        bootstrapBrokers: [broker.bootstrap],
        groupId: "rl-group",
        assignors: ["range"],
        heartbeatIntervalMs: 100,
        sessionTimeoutMs: 3000,
        rebalanceTimeoutMs: 5000,
        maxWaitMs: 50,
        rebalanceListener: {
          onPartitionsRevoked: (ps) => {
            events.push(`${name} revoked ${ps.flatMap((t) => t.partitions).join(",")}`);
          },
          onPartitionsAssigned: (ps) => {
            events.push(`${name} assigned ${ps.flatMap((t) => t.partitions).join(",")}`);
          },
        },
      });
      c.subscribe(["rl-in"]);
      return c;
    };
    const a = member("a");
    const poll = (c: Consumer) => c.nextBatch({ timeoutMs: 100 });
    await until(async () => (await poll(a), a.assignment().length === 2), { what: () => `a owns both: ${events}` });
    const b = member("b");
    await until(async () => (await Promise.all([poll(a), poll(b)]), b.assignment().length === 1), {
      what: () => `b owns one: ${events}`,
    });
    expect(events.slice(0, 3)).toEqual([
      "a assigned 0,1",
      "a revoked 0,1",
      expect.stringMatching(/^[ab] assigned \d$/),
    ]);
    await b.close();
    await a.close();
  });

  it("an instance left without tasks (more instances than partitions) still reaches RUNNING", async () => {
    await admin.createTopics([{ topic: "one-in", numPartitions: 1, replicationFactor: 1 }]);
    const topology = () => {
      const b = new StreamsBuilder();
      b.stream("one-in", { key: str, value: str }).to("one-out");
      return b.build();
    };
    const first = new KafkaStreams(topology(), config("one-app"));
    const second = new KafkaStreams(topology(), config("one-app"));
    await first.start();
    await second.start();
    await until(() => first.state === "RUNNING" && second.state === "RUNNING", {
      what: () => `both RUNNING (${first.state}, ${second.state})`,
    });
    await Promise.all([first.close(), second.close()]);
  });

  it("refuses a missing source topic and exactly_once_v2 with messages naming them", async () => {
    const s = new KafkaStreams(wordCount("no-such-topic", "x"), config("missing-app"));
    await expect(s.start()).rejects.toThrow(/MISSING_SOURCE_TOPICS: source topics no-such-topic/);
    expect(s.state).toBe("ERROR");
    expect(
      () => new KafkaStreams(wordCount("a", "b"), { ...config("eos"), processingGuarantee: "exactly_once_v2" }),
    ).toThrow(/exactly_once_v2 needs transactional producers/);
  });
});
