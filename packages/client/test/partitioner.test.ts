import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Consumer, StickyPartitions, murmur2, murmur2Partitioner, toPositive } from "../src/index.js";
import { startMockCluster, type MockCluster } from "./mock-cluster.js";

describe("murmur2", () => {
  it("matches the Java client's vectors (Kafka's UtilsTest)", () => {
    const cases: [Uint8Array, number][] = [
      [Buffer.from("21"), -973932308],
      [Buffer.from("foobar"), -790332482],
      [Buffer.from("a-little-bit-long-string"), -985981536],
      [Buffer.from("a-little-bit-longer-string"), -1486304829],
      [Buffer.from("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971],
      [Buffer.from([0x61, 0x62, 0x63]), 479470107],
    ];
    for (const [bytes, expected] of cases) expect(murmur2(bytes)).toBe(expected);
  });

  it("toPositive clears the sign bit (not Math.abs)", () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(2147483647);
  });

  it("always yields a partition in range", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (k, n) => {
        const p = murmur2Partitioner({ topic: "t", key: Buffer.from(k), partitionCount: n });
        return p >= 0 && p < n;
      }),
    );
  });
});

describe("sticky partitioner", () => {
  it("sticks to one partition until a batch closes, then moves to another", () => {
    let seed = 1;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const s = new StickyPartitions(random);
    const first = s.partition("t", 6);
    expect(s.partition("t", 6)).toBe(first);
    s.onNewBatch("t", first, 6);
    expect(s.partition("t", 6)).not.toBe(first);
  });
});

describe("murmur2 against librdkafka's Java-compatible partitioner (kcat)", () => {
  let mock: MockCluster;
  beforeAll(async () => {
    mock = await startMockCluster({ topics: ["keys"], partitions: 7 });
  });
  afterAll(async () => {
    await mock.close();
  });

  it("puts each key on the partition kcat (partitioner=murmur2) chose", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}-${"x".repeat(i % 5)}`);
    execFileSync("kcat", ["-b", mock.bootstrap, "-P", "-t", "keys", "-K", ":", "-X", "topic.partitioner=murmur2"], {
      input: keys.map((k) => `${k}:v`).join("\n") + "\n",
    });
    const consumer = new Consumer({ bootstrapBrokers: [mock.bootstrap] });
    consumer.assign(
      Array.from({ length: 7 }, (_, partition) => ({ topic: "keys", partition, offset: "earliest" as const })),
    );
    const seen = new Map<string, number>();
    for await (const b of consumer) {
      for (const m of b.messages) seen.set(m.key!.toString(), m.partition);
      if (seen.size >= keys.length) break;
    }
    await consumer.close();
    for (const k of keys)
      expect(seen.get(k)).toBe(murmur2Partitioner({ topic: "keys", key: Buffer.from(k), partitionCount: 7 }));
  });
});
