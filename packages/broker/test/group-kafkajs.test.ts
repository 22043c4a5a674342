// kafkajs 2.2.4 consumer groups against the real broker: a 3-member group on a 6-partition topic
// with one late joiner and one member leaving mid-stream, then a restarted group resuming from
// its committed offsets (after a broker restart).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "../src/index.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const GROUP_CONFIG = {
  "group.initial.rebalance.delay.ms": 0,
  "group.min.session.timeout.ms": 1000,
  "gregor.admin.port": -1,
};

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function client(b: Broker, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [b.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
  });
}

async function produce(b: Broker, topic: string, from: number, to: number): Promise<void> {
  const p = client(b, "producer").producer();
  await p.connect();
  for (let i = from; i < to; i += 50) {
    const messages = [];
    for (let j = i; j < Math.min(to, i + 50); j++) messages.push({ key: `k${j}`, value: String(j) });
    await p.send({ topic, messages });
  }
  await p.disconnect();
}

describe("kafkajs consumer group", () => {
  it("consumes every record once across members joining late and leaving, and resumes after a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "gregor-group-kafkajs-"));
    dirs.push(dataDir);
    let broker = await startBroker({ dataDir, port: 0, config: GROUP_CONFIG });
    const topic = "orders";
    const admin = client(broker, "admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    await admin.disconnect();
    const TOTAL = 1200;
    await produce(broker, topic, 0, TOTAL);

    const seen = new Map<string, number>(); // value -> times consumed
    const byMember = new Map<string, number[]>();
    const firstBy = new Map<string, { member: string; partition: number; offset: number }>(); // value -> first consumer
    const duplicatesSeen: { value: string; first: { member: string; partition: number; offset: number } }[] = [];
    const lastCommit = new Map<string, number>(); // `${member}/${partition}` -> last committed offset
    const consumers = new Map<string, Consumer>();
    const start = async (name: string, b: Broker, slow: boolean): Promise<Consumer> => {
      const c = client(b, name).consumer({
        groupId: "g-kafkajs",
        sessionTimeout: 6000,
        heartbeatInterval: 300,
        rebalanceTimeout: 10_000,
        maxWaitTimeInMs: 100,
      });
      c.on(c.events.COMMIT_OFFSETS, (e) => {
        for (const t of e.payload.topics)
          for (const p of t.partitions) lastCommit.set(`${name}/${p.partition}`, Number(p.offset));
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      byMember.set(name, []);
      await c.run({
        eachMessage: async ({ message, partition }) => {
          const v = message.value!.toString();
          seen.set(v, (seen.get(v) ?? 0) + 1);
          const first = firstBy.get(v);
          if (first === undefined) firstBy.set(v, { member: name, partition, offset: Number(message.offset) });
          else duplicatesSeen.push({ value: v, first });
          byMember.get(name)!.push(Number(v));
          // Slow enough that records remain while c3 joins and c2 leaves (a rebalance takes a few heartbeats).
          if (slow) await new Promise((r) => setTimeout(r, 5));
        },
      });
      consumers.set(name, c);
      return c;
    };
    const c1 = await start("c1", broker, true);
    const c2 = await start("c2", broker, true);
    await waitFor(() => seen.size >= 200, 30_000, "first records");
    const c3 = await start("c3", broker, true); // joins late
    await waitFor(() => byMember.get("c3")!.length > 0 || seen.size === TOTAL, 30_000, "c3 to get partitions");
    await c2.disconnect(); // leaves mid-stream (commits, then LeaveGroup)
    await waitFor(() => seen.size === TOTAL, 60_000, "all records");
    const duplicates = [...seen.values()].reduce((n, k) => n + k - 1, 0);
    // No loss. kafkajs commits before it leaves, so duplicates come only from records processed
    // after the last commit of a member whose partitions moved; they must stay a small window.
    expect(seen.size).toBe(TOTAL);
    expect(duplicates).toBe(duplicatesSeen.length);
    // Each duplicate lies in Kafka's window: at or after the last offset its first consumer committed
    // for that partition (the commit is the position of the next record to read).
    for (const d of duplicatesSeen)
      expect(d.first.offset).toBeGreaterThanOrEqual(lastCommit.get(`${d.first.member}/${d.first.partition}`) ?? 0);
    expect(byMember.get("c1")!.length).toBeGreaterThan(0);
    expect(byMember.get("c3")!.length).toBeGreaterThan(0);
    console.log(
      `kafkajs group: ${TOTAL} records, ${duplicates} duplicates, per member`,
      Object.fromEntries([...byMember].map(([k, v]) => [k, v.length])),
    );

    // Offsets are committed for every partition and the group is visible to the admin API.
    const admin2 = client(broker, "admin2").admin();
    await admin2.connect();
    // c2's departure may still be settling when the last record arrives: wait for the rebalance.
    let described = await admin2.describeGroups(["g-kafkajs"]);
    for (const deadline = Date.now() + 15_000; described.groups[0]!.state !== "Stable" && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      described = await admin2.describeGroups(["g-kafkajs"]);
    }
    expect(described.groups[0]!.state).toBe("Stable");
    expect(described.groups[0]!.members).toHaveLength(2);
    await admin2.disconnect();
    await c1.disconnect();
    await c3.disconnect();

    // Restart the broker: committed offsets survive and a new member resumes after them.
    await broker.close();
    broker = await startBroker({ dataDir, port: 0, config: GROUP_CONFIG });
    const admin3 = client(broker, "admin3").admin();
    await admin3.connect();
    const offsets = await admin3.fetchOffsets({ groupId: "g-kafkajs", topics: [topic] });
    const committed = offsets[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(committed).toBe(TOTAL);
    await admin3.disconnect();
    await produce(broker, topic, TOTAL, TOTAL + 60);
    seen.clear();
    await start("c4", broker, false);
    await waitFor(() => seen.size === 60, 30_000, "records after the restart");
    await new Promise((r) => setTimeout(r, 300));
    expect([...seen.keys()].map(Number).sort((a, b) => a - b)[0]).toBe(TOTAL);
    expect(seen.size).toBe(60);
    await consumers.get("c4")!.disconnect();
    await broker.close();
  });
});
