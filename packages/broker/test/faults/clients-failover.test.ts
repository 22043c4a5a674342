// Third-party clients through a leader kill (issue 15, "Proof"): kcat (librdkafka), kafkajs and
// python3-confluent-kafka each write values to a topic with RF 3 and min.insync.replicas 2 —
// idempotent, acks=all — while a consumer of the same client tails the partition; halfway the
// partition's leader is killed with SIGKILL. The tailing consumer gets every value in the order
// sent (kafkajs's, a group member, may be handed a few again after its group moves: Kafka's
// at-least-once delivery), and the log, read again from the start, holds each value once, in
// order. Real processes (bin/kafka-server-start.sh), short session timeouts.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { sleep, until } from "@gregor/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../src/index.js";
import { suiteCluster } from "../cluster-process/helpers.js";
import { createTopic, firstView } from "./cluster-view.js";

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require("kafkajs") as typeof import("kafkajs");
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const HAS_CONFLUENT = existsSync("/usr/lib/python3/dist-packages/confluent_kafka");
const COUNT = 60;
const values = (prefix: string): string[] => Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`);

/** A topic of one partition, RF 3, min.insync.replicas 2, with a leader and a full ISR. */
async function topicWithLeader(cluster: LocalCluster, topic: string): Promise<number> {
  await createTopic(cluster, topic, 1, 3, { "min.insync.replicas": "2" });
  return until(
    async () => {
      const p = (await firstView(cluster.nodes, topic))?.[0];
      return p !== undefined && p.leader > 0 && p.isr.length === 3 ? p.leader : null;
    },
    { what: `${topic} led with a full ISR`, timeoutMs: 20_000, intervalMs: 100 },
  );
}

/** Kills the leader, waits for another to lead with the survivors in the ISR, restarts the victim. */
async function killLeader(cluster: LocalCluster, topic: string, leader: number): Promise<void> {
  await cluster.kill(leader);
  await until(
    async () => {
      const p = (await firstView(cluster.nodes, topic))?.[0];
      return p !== undefined && p.leader > 0 && p.leader !== leader;
    },
    { what: `a new leader for ${topic}`, timeoutMs: 20_000, intervalMs: 100 },
  );
}

interface ChildResult {
  code: number | null;
  out: string;
  err: string;
}

/** A child whose stdin the test writes over time; resolves with its exit code, stdout and stderr. */
function child(cmd: string, args: readonly string[]): { proc: ChildProcess; done: Promise<ChildResult> } {
  const proc = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr?.on("data", (b: Buffer) => (err += b.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
  const done = new Promise<ChildResult>((resolve) =>
    proc.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    }),
  );
  return { proc, done };
}

const CONFLUENT_PRODUCE = `
import sys, time
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "enable.idempotence": True, "acks": "all", "message.timeout.ms": 60000})
failed = []
def report(err, msg):
    if err is not None: failed.append(str(err))
for i in range(int(sys.argv[3])):
    p.produce(sys.argv[2], value=("py-%d" % i).encode(), partition=0, on_delivery=report)
    p.poll(0)
    time.sleep(0.05)
left = p.flush(60)
print("FAILED" if failed or left else "DELIVERED", failed[:3], left, flush=True)
`;

const CONFLUENT_CONSUME = `
import sys, time
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "clients-failover", "enable.auto.commit": False})
c.assign([TopicPartition(sys.argv[2], 0, 0)])
seen = []
deadline = time.time() + 60
while len(seen) < int(sys.argv[3]) and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and m.error() is None: seen.append(m.value().decode())
c.close()
print("\\n".join(seen), flush=True)
`;

/** The partition's values from offset 0 to its end, read by kcat (the log, not a consumer's view). */
async function logOf(cluster: LocalCluster, topic: string): Promise<string[]> {
  const read = child("kcat", ["-C", "-b", cluster.bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"]);
  const { code, out, err } = await read.done;
  expect(code, err).toBe(0);
  return out.trim().split("\n");
}

/** `received` with each value's repeats dropped (a group consumer may be handed a batch again). */
function firstSeen(received: readonly string[]): string[] {
  return [...new Set(received)];
}

describe("third-party clients through a leader kill", () => {
  const cluster = suiteCluster();
  afterEach(async () => {
    const c = cluster();
    for (const n of c.nodes) if (!n.running) await c.restart(n.id);
  });

  it("kcat: an idempotent acks=all producer and a tailing consumer lose and duplicate nothing", async () => {
    const c = cluster();
    const topic = "failover-kcat";
    const leader = await topicWithLeader(c, topic);
    const consumer = child("kcat", [
      "-C",
      "-b",
      c.bootstrap,
      "-t",
      topic,
      "-p",
      "0",
      "-o",
      "beginning",
      "-c",
      String(COUNT),
      "-q",
    ]);
    const producer = child("kcat", [
      "-P",
      "-b",
      c.bootstrap,
      "-t",
      topic,
      "-p",
      "0",
      "-X",
      "enable.idempotence=true",
      "-X",
      "acks=all",
      "-X",
      "message.timeout.ms=60000",
      "-X",
      "linger.ms=0",
    ]);
    const sent = values("kcat");
    for (const [i, v] of sent.entries()) {
      producer.proc.stdin?.write(`${v}\n`);
      if (i === COUNT / 2) await killLeader(c, topic, leader);
      await sleep(20);
    }
    producer.proc.stdin?.end();
    const produced = await producer.done;
    expect(produced.code, produced.err).toBe(0);
    const consumed = await consumer.done;
    expect(consumed.out.trim().split("\n")).toEqual(sent);
    expect(await logOf(c, topic)).toEqual(sent);
  });

  it("kafkajs: an idempotent producer and a tailing consumer lose and duplicate nothing", async () => {
    const c = cluster();
    const topic = "failover-kafkajs";
    const leader = await topicWithLeader(c, topic);
    const kafka = new Kafka({
      clientId: "clients-failover",
      brokers: c.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const consumer = kafka.consumer({ groupId: "clients-failover-kafkajs" });
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value?.toString() ?? "") });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = values("kjs");
    try {
      for (const [i, v] of sent.entries()) {
        if (i === COUNT / 2) await killLeader(c, topic, leader);
        await producer.send({ topic, acks: -1, messages: [{ value: v, partition: 0 }] });
      }
      await until(() => received.length >= COUNT, {
        what: () => `kafkajs to consume ${COUNT} values (has ${received.length})`,
        timeoutMs: 30_000,
      });
      await sleep(500); // a duplicate would arrive after the last value
      expect(firstSeen(received)).toEqual(sent);
      expect(await logOf(c, topic)).toEqual(sent);
    } finally {
      await producer.disconnect();
      await consumer.disconnect();
    }
  });

  it.skipIf(!HAS_CONFLUENT)(
    "confluent-kafka (python): an idempotent producer and a tailing consumer lose and duplicate nothing",
    async () => {
      const c = cluster();
      const topic = "failover-python";
      const leader = await topicWithLeader(c, topic);
      const consumer = child(PYTHON, ["-c", CONFLUENT_CONSUME, c.bootstrap, topic, String(COUNT)]);
      const producer = child(PYTHON, ["-c", CONFLUENT_PRODUCE, c.bootstrap, topic, String(COUNT)]);
      await sleep((COUNT / 2) * 50);
      await killLeader(c, topic, leader);
      const produced = await producer.done;
      expect(produced.out, produced.err).toContain("DELIVERED");
      const consumed = await consumer.done;
      expect(consumed.out.trim().split("\n")).toEqual(values("py"));
      expect(await logOf(c, topic)).toEqual(values("py"));
    },
  );
});
