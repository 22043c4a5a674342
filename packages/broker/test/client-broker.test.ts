// @gregor/client against the Gregor broker (in this process): cooperative-sticky rebalancing, seek,
// pause/resume, static membership and the idempotent producer. They live with the broker's tests
// because the broker already depends on the client: the client's package cannot depend back on the
// broker without a package cycle.
import { Admin, Connection, Consumer, type ConsumerOptions, type MessageBatch, Producer } from "@gregor/client";
import type { FetchResponse } from "@gregor/protocol";
import { suiteBroker, until } from "@gregor/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, startBroker } from "../src/index.js";

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

async function topic(name: string, partitions: number, records: number): Promise<void> {
  await admin.createTopics([{ topic: name, numPartitions: partitions, replicationFactor: 1 }]);
  if (records === 0) return;
  const p = new Producer({ bootstrapBrokers: [broker.bootstrap], acks: "all" });
  await p.send(
    name,
    Array.from({ length: records }, (_, i) => ({ value: `${i}`, partition: i % partitions })),
  );
  await p.close();
}

const groupOpts = {
  heartbeatIntervalMs: 100,
  sessionTimeoutMs: 3000,
  rebalanceTimeoutMs: 5000,
  maxWaitMs: 50,
  autoOffsetReset: "earliest" as const,
};
const consumer = (o: Partial<ConsumerOptions>): Consumer =>
  new Consumer({ bootstrapBrokers: [broker.bootstrap], ...groupOpts, ...o });

/** The next batch, or null after `ms` without one. */
function next(c: Consumer, ms = 300): Promise<MessageBatch | null> {
  return c.nextBatch({ timeoutMs: ms });
}

/** Reads until `want` distinct values were seen (bounded: fails saying how many were). */
async function drain(c: Consumer, seen: Set<string>, want: number, timeoutMs = 15_000): Promise<void> {
  await until(
    async () => {
      if (seen.size >= want) return true;
      for (const m of (await next(c))?.messages ?? []) seen.add(m.value!.toString());
      return seen.size >= want;
    },
    { what: () => `${want} distinct records (${seen.size} so far)`, timeoutMs, intervalMs: 0 },
  );
}

/** Keeps every consumer polling until `done()` (bounded: fails naming `what`). */
async function pollUntil(cs: Consumer[], done: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  await until(
    async () => {
      if (done()) return true;
      await Promise.all(cs.map((c) => next(c, 100)));
      return false;
    },
    { what, timeoutMs, intervalMs: 0 },
  );
}

const owned = (c: Consumer): string[] =>
  c
    .assignment()
    .map((p) => `${p.topic}-${p.partition}`)
    .sort();

describe("cooperative-sticky (KIP-429)", () => {
  it("a late joiner takes half the partitions while the first member keeps the rest throughout", async () => {
    await topic("coop", 4, 80);
    const a = consumer({ groupId: "coop", assignors: ["cooperative-sticky"], clientId: "a" });
    a.subscribe(["coop"]);
    await drain(a, new Set(), 80);
    expect(owned(a)).toHaveLength(4);
    const before = owned(a);
    // Record a's assignment after every poll: cooperative means it never drops to zero.
    const history: number[] = [];
    const b = consumer({ groupId: "coop", assignors: ["cooperative-sticky"], clientId: "b" });
    b.subscribe(["coop"]);
    await pollUntil(
      [a, b],
      () => {
        history.push(a.assignment().length);
        return owned(a).length === 2 && owned(b).length === 2;
      },
      "a 2/2 split",
    );
    expect(Math.min(...history)).toBeGreaterThanOrEqual(2);
    expect(owned(a).every((p) => before.includes(p))).toBe(true); // sticky: a kept two of its own
    expect([...owned(a), ...owned(b)].sort()).toEqual(before);
    const [d] = await admin.describeGroups(["coop"]);
    expect(d!.protocol).toBe("cooperative-sticky");
    expect(d!.state).toBe("Stable");
    await Promise.all([a.close(), b.close()]);
  }, 30_000);
});

describe("commits", () => {
  it("commits on close, and a new member resumes after the committed offsets", async () => {
    await topic("commit", 4, 40);
    const a = consumer({ groupId: "commit" });
    a.subscribe(["commit"]);
    await drain(a, new Set(), 40);
    await a.close();
    const p = new Producer({ bootstrapBrokers: [broker.bootstrap], acks: 1 });
    await p.send(
      "commit",
      Array.from({ length: 8 }, (_, i) => ({ value: `new${i}`, partition: i % 4 })),
    );
    await p.close();
    const b = consumer({ groupId: "commit" });
    b.subscribe(["commit"]);
    const again = new Set<string>();
    await drain(b, again, 8);
    await new Promise((r) => setTimeout(r, 200)); // nothing else arrives
    for (const m of (await next(b, 200))?.messages ?? []) again.add(m.value!.toString());
    expect([...again].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `new${i}`));
    const committed = await b.committed([{ topic: "commit", partitions: [0, 1, 2, 3] }]);
    expect(committed.map((c) => c.offset)).toEqual([10n, 10n, 10n, 10n]); // by a, on close
    await b.close();
    const after = await admin.fetchOffsets("commit");
    expect(after.map((c) => c.offset).sort()).toEqual([12n, 12n, 12n, 12n]); // by b, on close
  }, 20_000);
});

describe("consumer positions", () => {
  it("seek() moves a partition back and forward; buffered records of the old position are dropped", async () => {
    await topic("seek", 1, 50);
    const c = consumer({ groupId: undefined });
    c.assign([{ topic: "seek", partition: 0, offset: 0n }]);
    const first = await c.nextBatch();
    expect(first!.messages[0]!.offset).toBe(0n);
    c.seek("seek", 0, 40n);
    const b = await c.nextBatch();
    expect(b!.messages.map((m) => m.value!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `${40 + i}`));
    c.seek("seek", 0, "earliest");
    expect((await c.nextBatch())!.messages[0]!.offset).toBe(0n);
    c.seek("seek", 0, 25n);
    expect(c.position("seek", 0)).toBe(25n);
    expect((await c.nextBatch())!.messages[0]!.offset).toBe(25n);
    c.seek("seek", 0, "latest");
    expect(await next(c, 500)).toBeNull();
    expect(c.position("seek", 0)).toBe(50n);
    await c.close();
  }, 20_000);

  it("pause() stops a partition's records (even buffered ones) until resume()", async () => {
    await topic("pause", 2, 0);
    const p = new Producer({ bootstrapBrokers: [broker.bootstrap], acks: 1 });
    await p.send(
      "pause",
      [0, 1, 2, 3].map((i) => ({ value: `p0-${i}`, partition: 0 })),
    );
    await p.send(
      "pause",
      [0, 1, 2, 3].map((i) => ({ value: `p1-${i}`, partition: 1 })),
    );
    const c = consumer({ groupId: undefined });
    c.assign([0, 1].map((partition) => ({ topic: "pause", partition, offset: 0n })));
    c.pause([{ topic: "pause", partition: 1 }]);
    expect(c.paused()).toEqual([{ topic: "pause", partition: 1 }]);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) for (const m of (await next(c))?.messages ?? []) seen.push(m.value!.toString());
    expect(seen).toEqual(["p0-0", "p0-1", "p0-2", "p0-3"]);
    await p.send("pause", [
      { value: "p1-4", partition: 1 },
      { value: "p0-4", partition: 0 },
    ]);
    for (let i = 0; i < 5; i++) for (const m of (await next(c))?.messages ?? []) seen.push(m.value!.toString());
    expect(seen.filter((v) => v.startsWith("p1"))).toEqual([]);
    c.resume([{ topic: "pause", partition: 1 }]);
    expect(c.paused()).toEqual([]);
    for (let i = 0; i < 10 && seen.length < 10; i++)
      for (const m of (await next(c))?.messages ?? []) seen.push(m.value!.toString());
    expect(seen.filter((v) => v.startsWith("p1"))).toEqual(["p1-0", "p1-1", "p1-2", "p1-3", "p1-4"]);
    expect(seen.filter((v) => v.startsWith("p0"))).toEqual(["p0-0", "p0-1", "p0-2", "p0-3", "p0-4"]);
    await p.close();
    await c.close();
  }, 20_000);
});

describe("static membership (KIP-345)", () => {
  it("a member restarted within the session timeout gets its partitions back without a rebalance", async () => {
    await topic("static", 4, 40);
    const opts = { groupId: "static", assignors: ["range" as const], sessionTimeoutMs: 10_000 };
    const a = consumer({ ...opts, groupInstanceId: "a" });
    const b = consumer({ ...opts, groupInstanceId: "b" });
    a.subscribe(["static"]);
    b.subscribe(["static"]);
    await pollUntil([a, b], () => owned(a).length === 2 && owned(b).length === 2, "a 2/2 split");
    const aOwned = owned(a);
    const generationOf = (c: Consumer): number =>
      (c as unknown as { member: { generationId: number } }).member.generationId;
    const gen = generationOf(b);
    const [d1] = await admin.describeGroups(["static"]);
    const generation = async (): Promise<string[]> =>
      (await admin.describeGroups(["static"]))[0]!.members.map((m) => `${m.groupInstanceId}:${m.memberId}`).sort();
    const membersBefore = await generation();
    expect(d1!.members.map((m) => m.groupInstanceId).sort()).toEqual(["a", "b"]);
    // Close without LeaveGroup (static members don't leave), restart with the same instance id.
    await a.close();
    const a2 = consumer({ ...opts, groupInstanceId: "a" });
    a2.subscribe(["static"]);
    const bBatches: number[] = [];
    await pollUntil(
      [a2, b],
      () => {
        bBatches.push(owned(b).length);
        return owned(a2).length === 2;
      },
      "a's restart to get its partitions",
    );
    expect(owned(a2)).toEqual(aOwned);
    // b never lost or changed its partitions: no rebalance happened.
    expect(bBatches.every((n) => n === 2)).toBe(true);
    expect(generationOf(b)).toBe(gen);
    expect(generationOf(a2)).toBe(gen);
    const [d2] = await admin.describeGroups(["static"]);
    expect(d2!.state).toBe("Stable");
    const membersAfter = await generation();
    expect(membersAfter.filter((m) => m.startsWith("b:"))).toEqual(membersBefore.filter((m) => m.startsWith("b:")));
    expect(membersAfter.find((m) => m.startsWith("a:"))).not.toBe(membersBefore.find((m) => m.startsWith("a:"))); // new member id, old one fenced
    await Promise.all([a2.close(), b.close()]);
  }, 30_000);
});

describe("idempotent producer", () => {
  it("gets a producer id, keeps order across 2,000 concurrent send() calls, and writes each record once", async () => {
    await topic("idem", 2, 0);
    // Retries are logged at debug level: keep them to explain a failure.
    const retries: string[] = [];
    const logger = {
      debug: (o: object, m: string) => void (m === "retrying batch" && retries.push(JSON.stringify(o))),
      info: () => {},
      warn: () => {},
      error: () => {},
      trace: () => {},
      fatal: () => {},
      child: () => logger,
    };
    // Five requests in flight, as Kafka allows with idempotence: the broker checks each batch's
    // sequence on arrival, whatever the request's shape, and keeps the producer's last 5 batches.
    const p = new Producer({
      bootstrapBrokers: [broker.bootstrap],
      idempotent: true,
      acks: "all",
      lingerMs: 2,
      maxInFlightRequestsPerConnection: 5,
      batchSize: 4096,
      logger,
    });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 2000; i++) sends.push(p.send("idem", [{ value: `${i}`, partition: i % 2 }]));
    const failed = (await Promise.allSettled(sends))
      .filter((r) => r.status === "rejected")
      .map((r) => String((r as PromiseRejectedResult).reason));
    await p.close();
    expect(failed.slice(0, 3), `retries: ${retries.slice(0, 10).join("\n")}`).toEqual([]);
    const c = consumer({ groupId: undefined });
    c.assign([0, 1].map((partition) => ({ topic: "idem", partition, offset: 0n })));
    const byPartition = new Map<number, number[]>();
    let n = 0;
    const deadline = Date.now() + 10_000;
    while (n < 2000 && Date.now() < deadline) {
      const b = await next(c);
      for (const m of b?.messages ?? []) {
        const l = byPartition.get(m.partition) ?? [];
        l.push(Number(m.value!.toString()));
        byPartition.set(m.partition, l);
        n++;
      }
    }
    await c.close();
    expect(n).toBe(2000);
    // Each partition's records are in send order, once each.
    for (const l of byPartition.values()) {
      const firstOut = l.findIndex((v, i) => i > 0 && v < l[i - 1]!);
      expect(
        firstOut,
        `out of order at ${firstOut}: ${l.slice(Math.max(0, firstOut - 3), firstOut + 3).join()}; retries: ${retries.slice(0, 10).join("\n")}`,
      ).toBe(-1);
    }
    expect([...byPartition.values()].flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    // On the wire: every batch carries the producer id, epoch 0, and sequences without gaps.
    const conn = await Connection.connect({ host: broker.host, port: broker.port });
    try {
      for (const partition of [0, 1]) {
        const res = await conn.request<FetchResponse>(1, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1 << 24,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: "idem",
              partitions: [
                {
                  partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1 << 24,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: "",
        });
        const raw = res.responses[0]!.partitions[0]!.records as Buffer;
        const producerIds = new Set<bigint>();
        let expectedSequence = 0;
        for (let at = 0; at + 61 <= raw.length; at += 12 + raw.readInt32BE(at + 8)) {
          producerIds.add(raw.readBigInt64BE(at + 43));
          expect(raw.readInt16BE(at + 51)).toBe(0); // producer epoch
          expect(raw.readInt32BE(at + 53)).toBe(expectedSequence); // base sequence
          expectedSequence += raw.readInt32BE(at + 57); // record count
        }
        expect(expectedSequence).toBe(1000);
        expect(producerIds.size).toBe(1);
        expect([...producerIds][0]! >= 0n).toBe(true);
      }
    } finally {
      conn.close();
    }
  }, 20_000);
});
