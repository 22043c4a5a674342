// Kafka's leader-side rules, one at a time: the caught-up rule, HW = min LEO over the maximal ISR,
// shrink and expand candidates, one ISR change in flight, images replacing pending changes, and the
// delayed-produce queue's answers.
import { ErrorCode } from "@gregor/protocol";
import { describe, expect, it } from "vitest";
import { DelayedProduceQueue, PartitionLeaderState } from "../../src/index.js";

const LAG = 30_000;

function leader(isr = [1, 2, 3], highWatermark = 0, leo = 0): PartitionLeaderState {
  return new PartitionLeaderState({
    localBrokerId: 1,
    leaderEpoch: 5,
    partitionEpoch: 10,
    replicas: [1, 2, 3],
    isr,
    highWatermark,
    leaderEpochStartOffset: leo,
    nowMs: 1000,
  });
}

describe("PartitionLeaderState", () => {
  it("moves the HW to the smallest log end offset in the ISR, never back", () => {
    const s = leader();
    expect(s.maybeIncrementHighWatermark(10)).toBe(false); // followers not heard from yet
    s.updateFollowerFetchState(2, 10, 10, 1100);
    expect(s.maybeIncrementHighWatermark(10)).toBe(false);
    s.updateFollowerFetchState(3, 7, 10, 1100);
    expect(s.maybeIncrementHighWatermark(10)).toBe(true);
    expect(s.highWatermark).toBe(7);
    s.updateFollowerFetchState(3, 4, 10, 1200); // a follower that truncated: the HW stays
    expect(s.maybeIncrementHighWatermark(10)).toBe(false);
    expect(s.highWatermark).toBe(7);
  });

  it("applies Kafka's caught-up rule: at the leader's end now, or at its end as of the previous fetch", () => {
    const s = leader();
    s.updateFollowerFetchState(2, 0, 0, 2000);
    expect(s.follower(2)!.lastCaughtUpTimeMs).toBe(2000);
    // The leader grew to 50 meanwhile; the follower asks for 0 again: behind now, but it had all
    // the leader had at its previous fetch (0), so it counts as caught up as of that fetch (2000).
    s.updateFollowerFetchState(2, 0, 50, 3000);
    expect(s.follower(2)!.lastCaughtUpTimeMs).toBe(2000);
    // It asks for 50, the leader is at 80: it had what the leader had at the previous fetch (50).
    s.updateFollowerFetchState(2, 50, 80, 4000);
    expect(s.follower(2)!.lastCaughtUpTimeMs).toBe(3000);
    // Falls behind what the leader had at its previous fetch (80): no credit.
    s.updateFollowerFetchState(2, 60, 100, 5000);
    expect(s.follower(2)!.lastCaughtUpTimeMs).toBe(3000);
  });

  it("proposes a shrink of followers lagging more than replica.lag.time.max.ms", () => {
    const s = leader();
    s.updateFollowerFetchState(2, 0, 0, 1000);
    s.updateFollowerFetchState(3, 0, 0, 1000);
    // Followers at the leader's end are caught up however long ago they fetched.
    expect(s.shrinkCandidate(0, 1000 + 10 * LAG, LAG)).toBeNull();
    expect(s.shrinkCandidate(20, 1000 + LAG, LAG)).toBeNull();
    s.updateFollowerFetchState(2, 20, 20, 1000 + LAG);
    expect(s.shrinkCandidate(20, 1001 + LAG, LAG)).toEqual([1, 2]);
  });

  it("proposes an expansion once a follower reaches the HW and this epoch's start", () => {
    const s = new PartitionLeaderState({
      localBrokerId: 1,
      leaderEpoch: 5,
      partitionEpoch: 10,
      replicas: [1, 2, 3],
      isr: [1, 2],
      highWatermark: 30,
      leaderEpochStartOffset: 40,
      nowMs: 0,
    });
    s.updateFollowerFetchState(3, 35, 50, 10);
    expect(s.expandCandidate(3)).toBeNull(); // past the HW, not yet at the epoch start
    s.updateFollowerFetchState(3, 40, 50, 20);
    expect(s.expandCandidate(3)).toEqual([1, 2, 3]);
    expect(s.expandCandidate(2)).toBeNull(); // already a member
    expect(s.expandCandidate(9)).toBeNull(); // not a replica
  });

  it("keeps one change in flight; the HW waits for a member being added (maximal ISR)", () => {
    const s = leader([1, 2], 0, 0);
    s.updateFollowerFetchState(2, 10, 10, 100);
    s.updateFollowerFetchState(3, 0, 10, 100);
    s.beginIsrChange("expand", [1, 2, 3]);
    expect(s.expandCandidate(3)).toBeNull();
    expect(s.shrinkCandidate(10, 10 * LAG, LAG)).toBeNull();
    expect(s.maybeIncrementHighWatermark(10)).toBe(false);
    s.updateFollowerFetchState(3, 10, 10, 200);
    expect(s.maybeIncrementHighWatermark(10)).toBe(true);
    s.isrChangeCommitted([1, 2, 3], 11);
    expect(s.isr).toEqual([1, 2, 3]);
    expect(s.partitionEpoch).toBe(11);
    expect(s.pending).toBeNull();
  });

  it("waits for the next image after a stale-epoch refusal; a newer image replaces what was pending", () => {
    const s = leader();
    s.beginIsrChange("shrink", [1, 2]);
    s.isrChangeFailed(true);
    expect(s.pending?.awaitingImage).toBe(true);
    expect(s.shrinkCandidate(10, 10 * LAG, LAG)).toBeNull();
    s.applyImage([1, 2, 3], [1, 3], 10, 0); // same partition epoch: nothing new
    expect(s.pending).not.toBeNull();
    s.applyImage([1, 2, 3], [1, 3], 12, 0);
    expect(s.pending).toBeNull();
    expect(s.isr).toEqual([1, 3]);
    // A failure that is not about epochs (timeout) clears at once.
    s.beginIsrChange("expand", [1, 3, 2]);
    s.isrChangeFailed(false);
    expect(s.pending).toBeNull();
  });

  it("refuses a change without the leader and an unknown follower's fetch", () => {
    const s = leader();
    expect(() => s.beginIsrChange("shrink", [2, 3])).toThrow(/leader must stay/);
    expect(s.updateFollowerFetchState(9, 0, 0, 0)).toBe(false);
  });
});

describe("DelayedProduceQueue", () => {
  it("completes produces as the HW passes them, with NOT_ENOUGH_REPLICAS_AFTER_APPEND under min ISR", () => {
    const q = new DelayedProduceQueue(10);
    const got: [string, number][] = [];
    const add = (name: string, requiredOffset: number, deadlineMs = 1000) =>
      q.add({ requiredOffset, deadlineMs, complete: (code) => got.push([name, code]) });
    add("a", 5);
    add("c", 20);
    add("b", 10);
    expect(q.onHighWatermark(4, 3, 2)).toBe(0);
    expect(q.onHighWatermark(10, 3, 2)).toBe(2);
    expect(got).toEqual([
      ["a", ErrorCode.NONE],
      ["b", ErrorCode.NONE],
    ]);
    q.onHighWatermark(25, 1, 2);
    expect(got[2]).toEqual(["c", ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]);
    expect(q.size).toBe(0);
  });

  it("times out at deadlines, fails all on leadership loss, and is bounded", () => {
    const q = new DelayedProduceQueue(2);
    const got: number[] = [];
    expect(q.add({ requiredOffset: 5, deadlineMs: 100, complete: (c) => got.push(c) })).toBe(true);
    expect(q.add({ requiredOffset: 6, deadlineMs: 300, complete: (c) => got.push(c) })).toBe(true);
    expect(q.add({ requiredOffset: 7, deadlineMs: 300, complete: (c) => got.push(c) })).toBe(false);
    expect(q.nextDeadlineMs).toBe(100);
    expect(q.expire(150)).toBe(1);
    expect(got).toEqual([ErrorCode.REQUEST_TIMED_OUT]);
    expect(q.nextDeadlineMs).toBe(300);
    q.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(got).toEqual([ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_LEADER_OR_FOLLOWER]);
    expect(q.onHighWatermark(100, 3, 1)).toBe(0); // each produce answered once
    expect(q.size).toBe(0);
    expect(q.nextDeadlineMs).toBe(Number.POSITIVE_INFINITY);
  });
});
