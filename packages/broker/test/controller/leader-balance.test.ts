// Automatic preferred-leader rebalance on the pure controller: the imbalance ratio per broker,
// the percentage threshold, the ISR and reassignment guards, and a seeded property check that a
// check never elects a replica that is not preferred, out of the ISR or fenced.
import { Prng } from "@gregor/testkit";
import { describe, expect, it } from "vitest";
import { balancePartitionLeaders, leaderImbalance } from "../../src/controller/leader-balance.js";
import { Harness } from "./helpers.js";

/** Brokers 1..3; topic t with 10 partitions, RF 3 (placement by the seeded controller). */
function setup(seed = 1) {
  const h = new Harness({}, seed);
  h.brokers([1, 2, 3]);
  h.createTopic("t", 10, 3);
  return h;
}

/** Fences then unfences `brokerId` and puts it back into every ISR (as the leaders' AlterPartition would). */
function bounce(h: Harness, brokerId: number): void {
  h.commit(h.controller.fenceBroker(brokerId));
  h.heartbeat(brokerId);
  const topicId = h.topicId("t");
  const changes = h.image.topics.byName
    .get("t")!
    .partitions.flatMap((p) =>
      p.isr.includes(brokerId)
        ? []
        : [{ type: "PartitionChange" as const, topicId, partitionId: p.partitionId, isr: [...p.isr, brokerId] }],
    );
  h.commit(changes);
}

describe("automatic preferred-leader rebalance", () => {
  it("a fresh topic is balanced: nothing to do", () => {
    const h = setup();
    expect(leaderImbalance(h.image).every((b) => b.notLeading === 0)).toBe(true);
    expect(h.controller.balancePartitionLeaders(h.nowMs)).toEqual([]);
  });

  it("after a broker bounce its preferred leaderships come back once it is in the ISR again", () => {
    const h = setup();
    const led = () => h.image.topics.byName.get("t")!.partitions.filter((p) => p.leader === 1).length;
    const preferredOf1 = h.image.topics.byName.get("t")!.partitions.filter((p) => p.replicas[0] === 1).length;
    expect(preferredOf1).toBeGreaterThan(0);
    h.commit(h.controller.fenceBroker(1));
    h.heartbeat(1);
    expect(led()).toBe(0);
    // Back but out of every ISR: nothing can move yet.
    expect(h.controller.balancePartitionLeaders(h.nowMs)).toEqual([]);
    bounce(h, 1);
    const records = h.controller.balancePartitionLeaders(h.nowMs);
    expect(records).toHaveLength(preferredOf1);
    expect(records.every((r) => r.leader === 1 && r.isr === undefined)).toBe(true);
    h.commit(records);
    expect(led()).toBe(preferredOf1);
    expect(leaderImbalance(h.image).find((b) => b.brokerId === 1)).toEqual({
      brokerId: 1,
      preferred: preferredOf1,
      notLeading: 0,
    });
  });

  it("the percentage is a threshold on notLeading / preferred, strictly above", () => {
    const h = setup();
    bounce(h, 1);
    const b1 = leaderImbalance(h.image).find((b) => b.brokerId === 1)!;
    const percent = (100 * b1.notLeading) / b1.preferred;
    expect(balancePartitionLeaders(h.image, percent)).toEqual([]);
    expect(balancePartitionLeaders(h.image, percent - 1)).toHaveLength(b1.notLeading);
    expect(balancePartitionLeaders(h.image, percent - 1, 2)).toHaveLength(2);
  });

  it("leaves a partition being reassigned alone", () => {
    const h = setup();
    bounce(h, 1);
    h.register(4); // registered, still fenced: a move onto it stays in progress
    const moving = h.image.topics.byName.get("t")!.partitions.find((p) => p.replicas[0] === 1 && p.leader !== 1)!;
    const before = h.controller.balancePartitionLeaders(h.nowMs);
    expect(before.some((r) => r.partitionId === moving.partitionId)).toBe(true);
    const target = [1, ...moving.replicas.filter((id) => id !== 1), 4];
    h.run(
      h.controller.alterPartitionReassignments(
        { topics: [{ name: "t", partitions: [{ partitionIndex: moving.partitionId, replicas: target }] }] },
        h.nowMs,
      ),
    );
    expect(h.partition("t", moving.partitionId).addingReplicas).toEqual([4]);
    const after = h.controller.balancePartitionLeaders(h.nowMs);
    expect(after.some((r) => r.partitionId === moving.partitionId)).toBe(false);
    expect(after).toHaveLength(before.length - 1);
  });

  it("never elects a non-preferred, out-of-ISR or fenced replica (seeded)", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const h = setup(seed);
      const rnd = new Prng(seed);
      for (let step = 0; step < 6; step++) {
        const id = 1 + Math.floor(rnd.random() * 3);
        if (rnd.random() < 0.5) h.commit(h.controller.fenceBroker(id));
        else bounce(h, id);
      }
      const records = h.controller.balancePartitionLeaders(h.nowMs);
      for (const r of records) {
        const p = h.partition("t", r.partitionId);
        const broker = h.image.brokers.get(r.leader!);
        expect(r.leader, `seed ${seed}`).toBe(p.replicas[0]);
        expect(p.isr, `seed ${seed}`).toContain(r.leader);
        expect(broker?.fenced, `seed ${seed}`).toBe(false);
      }
    }
  });
});
