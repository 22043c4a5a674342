// librdkafka (kcat) against an in-process broker: metadata, keyed messages with headers in
// several partitions, read back in per-partition order, once per compression codec.
import { describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";
import { run } from "./helpers/run.js";
import { suiteBroker } from "@gregor/testkit";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

describe("kcat (librdkafka 2.0.2)", () => {
  let broker!: Broker;
  suiteBroker(startBroker, { config: { "num.partitions": 3 } }, (started) => (broker = started));

  it("lists metadata as JSON (-L -J)", async () => {
    const r = await run("kcat", ["-b", broker.bootstrap, "-L", "-J", "-t", "meta-topic"]);
    expect(r.code).toBe(0);
    const md = JSON.parse(r.stdout);
    expect(md.brokers).toEqual([{ id: 1, name: broker.bootstrap }]);
    expect(md.controllerid).toBe(1);
    const t = md.topics.find((x: { topic: string }) => x.topic === "meta-topic");
    expect(t.partitions).toHaveLength(3); // auto-created with num.partitions=3
    expect(t.partitions[0]).toMatchObject({ partition: 0, leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }] });
  });

  for (const codec of CODECS) {
    it(`produces and consumes keyed messages with headers (${codec})`, async () => {
      const topic = `kcat-${codec}`;
      const lines: string[] = [];
      for (let i = 0; i < 300; i++) lines.push(`key-${i % 7}|value-${codec}-${i}`);
      const p = await run(
        "kcat",
        [
          "-b",
          broker.bootstrap,
          "-P",
          "-t",
          topic,
          "-K",
          "|",
          "-H",
          "h1=one",
          "-H",
          `codec=${codec}`,
          "-X",
          `compression.codec=${codec}`,
          "-X",
          "linger.ms=5",
        ],
        { input: lines.join("\n") + "\n" },
      );
      expect(p.code, p.stderr).toBe(0);
      const c = await run("kcat", [
        "-b",
        broker.bootstrap,
        "-C",
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%p\t%o\t%k\t%s\t%h\n",
      ]);
      expect(c.code, c.stderr).toBe(0);
      const rows = c.stdout
        .trim()
        .split("\n")
        .map((l) => l.split("\t"));
      expect(rows).toHaveLength(300);
      const byPartition = new Map<string, { offset: number; key: string; value: string }[]>();
      for (const [partition, offset, key, value, headers] of rows) {
        expect(headers).toBe(`h1=one,codec=${codec}`);
        const list = byPartition.get(partition!) ?? [];
        list.push({ offset: Number(offset), key: key!, value: value! });
        byPartition.set(partition!, list);
      }
      // Same key -> same partition; within a partition, offsets 0..n-1 in produce order.
      const partitionOfKey = new Map<string, string>();
      for (const [partition, list] of byPartition) {
        expect(list.map((x) => x.offset)).toEqual(list.map((_, i) => i));
        const seq = list.map((x) => Number(x.value.split("-").at(-1)));
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
        for (const x of list) {
          expect(partitionOfKey.get(x.key) ?? partition).toBe(partition);
          partitionOfKey.set(x.key, partition);
          expect(x.value.startsWith(`value-${codec}-`)).toBe(true);
        }
      }
      expect(partitionOfKey.size).toBe(7);
      expect(byPartition.size).toBeGreaterThan(1);
    });
  }
});
