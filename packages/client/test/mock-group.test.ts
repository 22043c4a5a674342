// Consumer groups against librdkafka's mock group coordinator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Consumer, InvalidOptionsError, Producer, cooperativeStickyAssignor, rangeAssignor } from "../src/index.js";
import { startMockCluster, type MockCluster } from "./mock-cluster.js";

let mock: MockCluster;
beforeAll(async () => {
  mock = await startMockCluster({ topics: ["g-range", "g-coop"], partitions: 4 });
});
afterAll(async () => {
  await mock.close();
});

async function produce(topic: string, n: number): Promise<void> {
  const p = new Producer({ bootstrapBrokers: [mock.bootstrap], acks: 1 });
  await p.send(
    topic,
    Array.from({ length: n }, (_, i) => ({ value: `${i}`, partition: i % 4 })),
  );
  await p.close();
}

/** Consumes until `seen` holds `want` distinct values, with a deadline. */
function drain(c: Consumer, seen: Set<string>, want: number, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`only ${seen.size}/${want} records within ${ms} ms`)), ms);
    void (async () => {
      for (;;) {
        if (seen.size >= want) break;
        const b = await c.nextBatch();
        if (b === null) break;
        for (const m of b.messages) seen.add(m.value!.toString());
      }
      clearTimeout(t);
      resolve();
    })().catch(reject);
  });
}

const groupOpts = {
  heartbeatIntervalMs: 200,
  sessionTimeoutMs: 6000,
  rebalanceTimeoutMs: 6000,
  maxWaitMs: 100,
  autoOffsetReset: "earliest" as const,
};

describe("group consumer (mock coordinator)", () => {
  it("two range members split four partitions and together read everything", async () => {
    await produce("g-range", 200);
    const a = new Consumer({
      bootstrapBrokers: [mock.bootstrap],
      groupId: "grp-range",
      assignors: ["range"],
      ...groupOpts,
    });
    const b = new Consumer({
      bootstrapBrokers: [mock.bootstrap],
      groupId: "grp-range",
      assignors: ["range"],
      ...groupOpts,
    });
    a.subscribe(["g-range"]);
    b.subscribe(["g-range"]);
    const seen = new Set<string>();
    await Promise.race([drain(a, seen, 200), drain(b, seen, 200)]);
    // Eventually both members hold two partitions each.
    for (let i = 0; i < 100 && !(a.assignment().length === 2 && b.assignment().length === 2); i++) {
      await Promise.all([a.nextBatch({ timeoutMs: 100 }), b.nextBatch({ timeoutMs: 100 })]);
    }
    expect(seen.size).toBe(200);
    expect(a.assignment().length + b.assignment().length).toBe(4);
    await Promise.all([a.close(), b.close()]);
  }, 30_000);

  // "commits on close, a new member resumes after the committed offsets" runs against the Gregor
  // broker (apps/cli/test/client-broker.test.ts): the mock's ~3 s join delay made it 8 s here.

  // Skipped here; the same scenario passes against the Gregor broker in < 1 s
  // (apps/cli/test/client-broker.test.ts). What librdkafka 2.0.2's mock coordinator does (seen with
  // debug logs): it answers JoinGroups only when its rebalance timer fires (~3 s for the first, ~5 s
  // later), and it answers the late joiner's SyncGroup with a null assignment in every generation,
  // also when that SyncGroup is resent after the leader's SyncGroup (which carried an assignment for
  // it); the joiner rejoins, and the group cycles every ~5 s without the joiner ever getting
  // partitions. A Kafka broker holds a follower's SyncGroup until the leader's arrives and answers
  // an empty assignment with empty bytes.
  it.skip("cooperative-sticky: a late joiner takes partitions without the first member losing all", async () => {
    await produce("g-coop", 80);
    const a = new Consumer({
      bootstrapBrokers: [mock.bootstrap],
      groupId: "grp-coop",
      assignors: ["cooperative-sticky"],
      ...groupOpts,
    });
    a.subscribe(["g-coop"]);
    const seen = new Set<string>();
    await drain(a, seen, 80);
    expect(a.assignment()).toHaveLength(4);
    const b = new Consumer({
      bootstrapBrokers: [mock.bootstrap],
      groupId: "grp-coop",
      assignors: ["cooperative-sticky"],
      ...groupOpts,
    });
    b.subscribe(["g-coop"]);
    for (let i = 0; i < 250 && !(a.assignment().length === 2 && b.assignment().length === 2); i++) {
      await Promise.all([a.nextBatch({ timeoutMs: 100 }), b.nextBatch({ timeoutMs: 100 })]);
    }
    expect(a.assignment()).toHaveLength(2);
    expect(b.assignment()).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  }, 40_000);
});

describe("assignors", () => {
  const counts = new Map([["t", 5]]);
  const m = (id: string, owned: number[] = []) => ({
    memberId: id,
    groupInstanceId: null,
    topics: ["t"],
    ownedPartitions: owned.length ? [{ topic: "t", partitions: owned }] : [],
  });

  it("range gives the first members the extra partitions", () => {
    const a = rangeAssignor.assign([m("b"), m("a")], counts);
    expect(a.get("a")!.get("t")).toEqual([0, 1, 2]);
    expect(a.get("b")!.get("t")).toEqual([3, 4]);
  });

  it("cooperative-sticky keeps owned partitions and withholds the ones that must move", () => {
    const a = cooperativeStickyAssignor.assign([m("a", [0, 1, 2, 3, 4]), m("b")], counts);
    const kept = a.get("a")!.get("t")!;
    expect(kept.length).toBe(3);
    expect(kept.every((p) => [0, 1, 2, 3, 4].includes(p))).toBe(true);
    expect(a.get("b")!.get("t") ?? []).toEqual([]); // revoked from a first, assigned next round
    const next = cooperativeStickyAssignor.assign([m("a", kept), m("b")], counts);
    expect(next.get("a")!.get("t")).toEqual(kept);
    expect(next.get("b")!.get("t")!.length).toBe(2);
  });
});

describe("options", () => {
  it("names the bad option and what is allowed", () => {
    expect(() => new Producer({ bootstrapBrokers: ["nohost"] })).toThrow(InvalidOptionsError);
    expect(() => new Producer({ bootstrapBrokers: ["h:1"], idempotent: true, acks: 1 })).toThrow(/acks: must be -1/);
    expect(() => new Producer({ bootstrapBrokers: ["h:1"], compression: "brotli" as never })).toThrow(/compression/);
    expect(() => new Consumer({ bootstrapBrokers: ["h:1"], autoOffsetReset: "first" as never })).toThrow(
      /autoOffsetReset/,
    );
  });
});
