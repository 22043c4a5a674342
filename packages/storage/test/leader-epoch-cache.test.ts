import { describe, expect, it } from "vitest";
import { LeaderEpochCache } from "../src/index.js";

describe("LeaderEpochCache", () => {
  it("answers OffsetsForLeaderEpoch like Kafka", () => {
    const cache = new LeaderEpochCache();
    cache.assign(2, 10);
    cache.assign(2, 15); // same epoch, later offset: no-op
    cache.assign(4, 30);
    cache.assign(5, 50);
    expect(cache.entries()).toEqual([
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 30 },
      { epoch: 5, startOffset: 50 },
    ]);
    expect(cache.endOffsetFor(5, 70)).toEqual({ leaderEpoch: 5, endOffset: 70 });
    expect(cache.endOffsetFor(4, 70)).toEqual({ leaderEpoch: 4, endOffset: 50 });
    expect(cache.endOffsetFor(3, 70)).toEqual({ leaderEpoch: 2, endOffset: 30 });
    expect(cache.endOffsetFor(1, 70)).toEqual({ leaderEpoch: 1, endOffset: 10 });
    expect(cache.endOffsetFor(6, 70)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    expect(cache.endOffsetFor(-1, 70)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    expect(cache.epochForOffset(9)).toBeUndefined();
    expect(cache.epochForOffset(35)).toBe(4);
  });

  it("removes conflicting entries on assign and truncates from both ends", () => {
    const cache = new LeaderEpochCache([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 20 },
      { epoch: 4, startOffset: 40 },
    ]);
    cache.assign(3, 25); // conflicts with epoch 3 and 4
    expect(cache.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 25 },
    ]);
    cache.assign(4, 40);
    expect(cache.truncateFromEnd(40)).toBe(true);
    expect(cache.latestEpoch).toBe(3);
    expect(cache.truncateFromStart(30)).toBe(true);
    expect(cache.entries()).toEqual([{ epoch: 3, startOffset: 30 }]);
  });

  it("round-trips Kafka's checkpoint text format", () => {
    const cache = new LeaderEpochCache([
      { epoch: 0, startOffset: 0 },
      { epoch: 7, startOffset: 123 },
    ]);
    const text = cache.serialize();
    expect(text).toBe("0\n2\n0 0\n7 123\n");
    expect(LeaderEpochCache.parse(text).entries()).toEqual(cache.entries());
    expect(() => LeaderEpochCache.parse("1\n0\n")).toThrow();
    expect(() => LeaderEpochCache.parse("0\n2\n0 0\n")).toThrow();
  });
});
