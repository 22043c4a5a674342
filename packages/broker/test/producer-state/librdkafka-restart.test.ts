// Issue 16 item 1, the scenario as a new user met it: an idempotent librdkafka producer (kcat,
// acks=all) writes to a topic with flush.messages=1 while its broker (a real process) is killed
// -9 and restarted a few times. librdkafka retries the batches in flight at each kill once the
// broker is back; the broker must answer those it already has as duplicates. Every record must
// be in the log exactly once. (bench/idempotence-restart.mjs runs it many times.) The partition
// lives on node 2 of a 3-node cluster (replication factor 1): kcat gives up when every broker it
// knows is down, so the other two stay up while node 2 dies and comes back.
import { type ChildProcess, spawn } from "node:child_process";
import { sleep, until, within } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalCluster, startCluster } from "../../src/index.js";
import { TEST_TIMEOUTS } from "../cluster/harness.js";
import { run } from "../helpers/run.js";
import { connect, connectToLeader } from "./idempotent-wire.js";

const TOPIC = "idem-librdkafka";
const RECORDS = 20_000;
/** Lines written per millisecond: fast enough that each kill finds batches written but not yet answered. */
const FEED_CHUNK = 20;
const KILLS = 3;
const VICTIM = 2;

let cluster: LocalCluster;

beforeAll(async () => {
  // bin/kafka-server-start.sh runs apps/broker/dist; its @gregor/* imports resolve to the sources
  // under test (the "source" export condition, TypeScript through tsx) instead of a stale build.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --conditions=source --import tsx`.trim();
  cluster = await startCluster({ nodes: 3, mode: "process", config: TEST_TIMEOUTS });
  const created = await createTopicWithFlush();
  expect(created).toBe(0);
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

async function createTopicWithFlush(): Promise<number> {
  const conn = await connect(cluster.node(1));
  // On node 2 only: the broker killed below.
  try {
    const res = await conn.request<{ topics: { errorCode: number }[] }>(19, {
      topics: [
        {
          name: TOPIC,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [VICTIM] }],
          configs: [{ name: "flush.messages", value: "1" }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    return res.topics[0]!.errorCode;
  } finally {
    conn.close();
  }
}

/** kcat -P, idempotent, acks=all, one record per stdin line; resolves with its exit code and stderr. */
function startProducer(): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(
    "kcat",
    [
      "-P",
      "-b",
      cluster.bootstrap,
      "-t",
      TOPIC,
      "-p",
      "0",
      "-X",
      "enable.idempotence=true",
      "-X",
      "acks=all",
      "-X",
      "linger.ms=2",
      "-X",
      "message.timeout.ms=90000",
      "-X",
      "reconnect.backoff.max.ms=500",
    ],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once("exit", (code) => resolve({ code, stderr })),
  );
  return { child, done };
}

/** Writes records [from, to) a few at a time, so a kill lands while batches are in flight. */
async function feed(child: ChildProcess, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += FEED_CHUNK) {
    const lines = [];
    for (let j = i; j < Math.min(to, i + FEED_CHUNK); j++) lines.push(`r${j}`);
    child.stdin!.write(`${lines.join("\n")}\n`);
    await sleep(1);
  }
}

describe("librdkafka idempotent producer across kill -9 of its broker", () => {
  it("writes every record exactly once", async () => {
    const producer = startProducer();
    const step = Math.floor(RECORDS / (KILLS + 1));
    for (let k = 0; k < KILLS; k++) {
      const feeding = feed(producer.child, k * step, (k + 1) * step);
      await sleep(300);
      await cluster.node(VICTIM).kill();
      await feeding;
      await cluster.node(VICTIM).restart();
      (await connectToLeader(cluster.node(VICTIM), TOPIC, 0)).close();
    }
    await feed(producer.child, KILLS * step, RECORDS);
    producer.child.stdin!.end();
    const result = await within(producer.done, { what: "kcat to deliver every record", timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);

    const values = await until(
      async () => {
        const r = await run(
          "kcat",
          ["-C", "-b", cluster.bootstrap, "-t", TOPIC, "-p", "0", "-o", "beginning", "-e", "-q"],
          {
            timeoutMs: 30_000,
          },
        );
        return r.code === 0 ? r.stdout.split("\n").filter((l) => l.length > 0) : undefined;
      },
      { what: "kcat to read the topic", timeoutMs: 60_000, intervalMs: 500 },
    );
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    const missing = Array.from({ length: RECORDS }, (_, i) => `r${i}`).filter((v) => !counts.has(v));
    expect({ duplicated, missing, read: values.length }).toEqual({ duplicated: [], missing: [], read: RECORDS });
  }, 240_000);
});
