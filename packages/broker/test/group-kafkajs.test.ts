// kafkajs 2.2.4 consumer groups against the real broker: a 3-member group on a 6-partition topic
// with one late joiner and one member leaving mid-stream, then a restarted group resuming from
// its committed offsets (after a broker restart).
//
// What is checked is what Kafka promises a group (at-least-once with committed offsets), from a
// log of every read, commit and join the consumers report: no record is missing; a record is read
// again only at or after the offset committed for its partition (the uncommitted window), and only
// after a rebalance; a member reads only partitions the coordinator assigned it, and a partition
// moves from one member to another only through a rebalance.
import { tempDir, until } from "@gregor/testkit";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";

const GROUP_CONFIG = {
  "group.initial.rebalance.delay.ms": 0,
  "group.min.session.timeout.ms": 1000,
  "gregor.admin.port": -1,
};

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

/** One read by a member, with the partition's committed offset as the consumers knew it then. */
interface Read {
  seq: number;
  member: string;
  partition: number;
  offset: number;
  value: number;
  committed: number;
}

/** Everything the consumers report, in the order they report it (one event loop: a total order). */
class GroupLog {
  private seq = 0;
  readonly reads: Read[] = [];
  readonly joins: { seq: number; member: string; partitions: number[] }[] = [];
  readonly commitRegressions: string[] = [];
  /** partition -> highest offset committed so far (the next offset to read). */
  readonly committed = new Map<number, number>();

  read(member: string, partition: number, offset: number, value: number): void {
    const committed = this.committed.get(partition) ?? 0;
    this.reads.push({ seq: this.seq++, member, partition, offset, value, committed });
  }

  join(member: string, partitions: number[]): void {
    this.joins.push({ seq: this.seq++, member, partitions });
  }

  commit(member: string, partition: number, offset: number): void {
    this.seq++;
    const before = this.committed.get(partition) ?? 0;
    if (offset < before) this.commitRegressions.push(`${member} committed p${partition}@${offset} after ${before}`);
    else this.committed.set(partition, offset);
  }

  /** The member's assignment at `seq` (from its latest join before it), or none. */
  assignmentAt(member: string, seq: number): number[] {
    let partitions: number[] = [];
    for (const j of this.joins) if (j.member === member && j.seq < seq) partitions = j.partitions;
    return partitions;
  }

  joinedBetween(member: string, after: number, before: number): boolean {
    return this.joins.some((j) => j.member === member && j.seq > after && j.seq < before);
  }
}

/** Every way the log breaks Kafka's group promises; empty when it keeps them. */
function violations(log: GroupLog, values: number[]): string[] {
  const out = [...log.commitRegressions];
  const firstRead = new Map<number, Read>();
  const lastByPartition = new Map<number, Read>();
  for (const r of log.reads) {
    const at = `${r.member} read p${r.partition}@${r.offset} (value ${r.value})`;
    if (r.offset < r.committed) out.push(`${at} below the committed offset ${r.committed}`);
    if (!log.assignmentAt(r.member, r.seq).includes(r.partition)) out.push(`${at} outside its assignment`);
    const first = firstRead.get(r.value);
    if (first === undefined) firstRead.set(r.value, r);
    else if (first.partition !== r.partition || first.offset !== r.offset)
      out.push(`${at}, first read at p${first.partition}@${first.offset}`);
    else if (!log.joinedBetween(r.member, first.seq, r.seq))
      out.push(`${at} again (first by ${first.member}) with no rebalance between`);
    const previous = lastByPartition.get(r.partition);
    if (previous !== undefined && previous.member !== r.member && !log.joinedBetween(r.member, previous.seq, r.seq))
      out.push(`${at} while ${previous.member} owned it (read @${previous.offset}), with no rebalance between`);
    lastByPartition.set(r.partition, r);
  }
  for (const v of values) if (!firstRead.has(v)) out.push(`value ${v} never read`);
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("kafkajs consumer group", () => {
  const dataDir = tempDir("gregor-group-kafkajs-");

  it("reads every record at least once, re-reads only uncommitted records after a rebalance, and resumes after a restart", async () => {
    let broker = await startBroker({ dataDir, port: 0, config: GROUP_CONFIG });
    const topic = "orders";
    const admin = client(broker, "admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    await admin.disconnect();
    const TOTAL = 1200;
    await produce(broker, topic, 0, TOTAL);

    let log = new GroupLog();
    const readCount = (member?: string): number =>
      log.reads.filter((r) => member === undefined || r.member === member).length;
    const distinct = (): number => new Set(log.reads.map((r) => r.value)).size;
    const consumers = new Map<string, Consumer>();
    const start = async (name: string, b: Broker, slow: boolean): Promise<Consumer> => {
      const c = client(b, name).consumer({
        groupId: "g-kafkajs",
        sessionTimeout: 6000,
        heartbeatInterval: 300,
        rebalanceTimeout: 10_000,
        maxWaitTimeInMs: 100,
      });
      c.on(c.events.GROUP_JOIN, (e) => log.join(name, e.payload.memberAssignment[topic] ?? []));
      c.on(c.events.COMMIT_OFFSETS, (e) => {
        for (const t of e.payload.topics) for (const p of t.partitions) log.commit(name, p.partition, Number(p.offset));
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ message, partition }) => {
          log.read(name, partition, Number(message.offset), Number(message.value!.toString()));
          // Slow enough that records remain while c3 joins and c2 leaves (a rebalance takes a few heartbeats).
          if (slow) await new Promise((r) => setTimeout(r, 5));
        },
      });
      consumers.set(name, c);
      return c;
    };
    const c1 = await start("c1", broker, true);
    const c2 = await start("c2", broker, true);
    await until(() => distinct() >= 200, { what: "the first 200 records", timeoutMs: 30_000 });
    const c3 = await start("c3", broker, true); // joins late
    await until(() => readCount("c3") > 0 || distinct() === TOTAL, {
      what: "c3 to get partitions",
      timeoutMs: 30_000,
    });
    await c2.disconnect(); // leaves mid-stream (commits, then LeaveGroup)
    await until(() => distinct() === TOTAL, { what: `all ${TOTAL} records`, timeoutMs: 40_000 });

    expect(violations(log, range(0, TOTAL))).toEqual([]);
    expect(readCount("c1")).toBeGreaterThan(0);
    expect(readCount("c3")).toBeGreaterThan(0);
    console.log(
      `kafkajs group: ${TOTAL} records, ${readCount() - TOTAL} read again after a rebalance, ${log.joins.length} joins, reads per member`,
      Object.fromEntries(["c1", "c2", "c3"].map((m) => [m, readCount(m)])),
    );

    // Offsets are committed for every partition and the group is visible to the admin API.
    const admin2 = client(broker, "admin2").admin();
    await admin2.connect();
    // c2's departure may still be settling when the last record arrives: wait for the rebalance.
    const described = await until(
      async () => {
        const d = (await admin2.describeGroups(["g-kafkajs"])).groups[0]!;
        return d.state === "Stable" ? d : undefined;
      },
      { what: "group g-kafkajs to be Stable after c2 left", timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(described.members).toHaveLength(2);
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
    log = new GroupLog();
    for (const p of offsets[0]!.partitions) log.committed.set(p.partition, Number(p.offset));
    await start("c4", broker, false);
    await until(() => distinct() === 60, { what: "the 60 records produced after the restart", timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    // Nothing before the committed offsets is read again, and nothing after them is missed.
    expect(violations(log, range(TOTAL, TOTAL + 60))).toEqual([]);
    expect(Math.min(...log.reads.map((r) => r.value))).toBe(TOTAL);
    expect(readCount()).toBe(60);
    await consumers.get("c4")!.disconnect();
    await broker.close();
  });
});
