import { describe, expect, it } from "vitest";
import { RecentEntries } from "./metadata-fetch.js";

const entry = (size: number) => new Uint8Array(size);

describe("RecentEntries", () => {
  it("serves entries from an index, bounded by bytes but at least one", () => {
    const recent = new RecentEntries(100, 1 << 20);
    for (let i = 1; i <= 10; i++) recent.push(i, entry(10));
    expect(recent.since(4, 10, 1 << 20)!.map((e) => e.index)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(recent.since(4, 10, 25)!.map((e) => e.index)).toEqual([4, 5]);
    expect(recent.since(4, 10, 1)!.map((e) => e.index)).toEqual([4]);
    expect(recent.since(11, 10, 100)).toEqual([]);
  });

  it("drops the oldest entries past its count or byte bound; older requests need a snapshot", () => {
    const byCount = new RecentEntries(3, 1 << 20);
    for (let i = 1; i <= 5; i++) byCount.push(i, entry(1));
    expect(byCount.since(3, 5, 100)!.map((e) => e.index)).toEqual([3, 4, 5]);
    expect(byCount.since(2, 5, 100)).toBeNull();
    const byBytes = new RecentEntries(100, 25);
    for (let i = 1; i <= 5; i++) byBytes.push(i, entry(10));
    expect(byBytes.since(4, 5, 100)!.map((e) => e.index)).toEqual([4, 5]);
    expect(byBytes.since(3, 5, 100)).toBeNull();
  });

  it("gaps (raft no-op entries are not kept) are fine; clear() empties it", () => {
    const recent = new RecentEntries();
    recent.push(2, entry(1));
    recent.push(5, entry(1));
    expect(recent.since(3, 5, 100)!.map((e) => e.index)).toEqual([5]);
    expect(recent.since(1, 5, 100)).toBeNull();
    recent.clear();
    expect(recent.since(3, 5, 100)).toBeNull();
  });
});
