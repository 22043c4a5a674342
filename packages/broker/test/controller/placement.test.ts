import { Prng } from "@gregor/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type UsableBroker, placeReplicas } from "../../src/controller/index.js";

const brokersArb = fc
  .record({
    count: fc.integer({ min: 1, max: 12 }),
    racks: fc.integer({ min: 0, max: 4 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ count, racks, seed }) => {
    const brokers: UsableBroker[] = Array.from({ length: count }, (_, i) => ({
      id: 100 + i * 3,
      rack: racks === 0 ? null : `rack-${i % racks}`,
    }));
    return { brokers, seed };
  });

describe("placeReplicas (striped, rack-aware)", () => {
  it("balances leaders within one, never repeats a broker, spreads racks", () => {
    fc.assert(
      fc.property(
        brokersArb,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        ({ brokers, seed }, numPartitions, rfWanted) => {
          const rf = Math.min(rfWanted, brokers.length);
          const lists = placeReplicas(
            brokers,
            { startPartition: 0, numPartitions, replicationFactor: rf },
            new Prng(seed).random,
          );
          expect(lists).toHaveLength(numPartitions);
          const rackOf = new Map(brokers.map((b) => [b.id, b.rack ?? ""]));
          const racks = new Set(rackOf.values()).size;
          const leaders = new Map(brokers.map((b) => [b.id, 0]));
          for (const replicas of lists) {
            expect(replicas).toHaveLength(rf);
            expect(new Set(replicas).size).toBe(rf);
            for (const id of replicas) expect(rackOf.has(id)).toBe(true);
            leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
            expect(new Set(replicas.map((id) => rackOf.get(id))).size).toBe(Math.min(rf, racks));
          }
          const counts = [...leaders.values()];
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is deterministic for the same random() and continues the stripe for added partitions", () => {
    const brokers: UsableBroker[] = [1, 2, 3, 4].map((id) => ({ id, rack: null }));
    const a = placeReplicas(brokers, { startPartition: 0, numPartitions: 8, replicationFactor: 2 }, new Prng(7).random);
    const b = placeReplicas(brokers, { startPartition: 0, numPartitions: 8, replicationFactor: 2 }, new Prng(7).random);
    expect(a).toEqual(b);
    // Followers rotate between laps, so one leader is not always followed by the same broker.
    const followersOf = new Map<number, Set<number>>();
    for (const [leader, follower] of a) {
      const set = followersOf.get(leader!) ?? new Set();
      set.add(follower!);
      followersOf.set(leader!, set);
    }
    for (const set of followersOf.values()) expect(set.size).toBe(2);
  });

  it("puts the replicas of each partition on distinct racks (3 racks x 2 brokers, RF 3)", () => {
    const brokers: UsableBroker[] = [1, 2, 3, 4, 5, 6].map((id) => ({ id, rack: `r${id % 3}` }));
    const lists = placeReplicas(
      brokers,
      { startPartition: 0, numPartitions: 12, replicationFactor: 3 },
      new Prng(3).random,
    );
    for (const replicas of lists) expect(new Set(replicas.map((id) => id % 3)).size).toBe(3);
  });
});
