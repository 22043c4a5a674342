import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OffsetIndex } from "../src/internal/offset-index.js";
import { TimeIndex } from "../src/internal/time-index.js";

describe("OffsetIndex", () => {
  it("looks up the floor entry and survives a round trip through bytes", () => {
    const index = new OffsetIndex(100, 1024);
    index.append(105, 4100);
    index.append(120, 8300);
    index.append(121, 12400);
    expect(index.lookup(99)).toBe(0);
    expect(index.lookup(104)).toBe(0);
    expect(index.lookup(105)).toBe(4100);
    expect(index.lookup(119)).toBe(4100);
    expect(index.lookup(120)).toBe(8300);
    expect(index.lookup(10_000)).toBe(12400);
    const bytes = index.bytes();
    expect(bytes.length).toBe(24);
    expect(bytes.readInt32BE(0)).toBe(5); // relative offset, Kafka's layout
    expect(bytes.readInt32BE(4)).toBe(4100);
    const loaded = OffsetIndex.load(100, 1024, Buffer.from(bytes), 20000)!;
    expect(loaded.lookup(120)).toBe(8300);
    expect(loaded.entries).toBe(3);
  });

  it("rejects indexes that fail the sanity check", () => {
    const index = new OffsetIndex(0, 1024);
    index.append(10, 100);
    index.append(20, 200);
    const good = Buffer.from(index.bytes());
    expect(OffsetIndex.load(0, 1024, good, 201)).toBeDefined();
    expect(OffsetIndex.load(0, 1024, good, 200)).toBeUndefined(); // position beyond the log
    expect(OffsetIndex.load(0, 1024, good.subarray(0, 12), 1000)).toBeUndefined(); // torn entry
    const swapped = Buffer.concat([good.subarray(8), good.subarray(0, 8)]);
    expect(OffsetIndex.load(0, 1024, swapped, 1000)).toBeUndefined(); // not increasing
    expect(OffsetIndex.load(0, 8, good, 1000)).toBeUndefined(); // more entries than allowed
  });

  it("truncates entries at or past a position and reports full", () => {
    const index = new OffsetIndex(0, 24);
    index.append(1, 10);
    index.append(2, 20);
    index.append(3, 30);
    expect(index.isFull).toBe(true);
    expect(() => index.append(4, 40)).toThrow(/full/);
    index.truncateToPosition(20);
    expect(index.entries).toBe(1);
    expect(index.lookup(3)).toBe(10);
  });

  it("lookup agrees with a linear scan (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 200 }),
        fc.integer({ min: 0, max: 20_000 }),
        (steps, target) => {
          const index = new OffsetIndex(1000, 1 << 20);
          const entries: [number, number][] = [];
          let offset = 1000;
          let position = 0;
          for (const [dOffset, dPosition] of steps) {
            offset += dOffset;
            position += dPosition;
            index.append(offset, position);
            entries.push([offset, position]);
          }
          const t = 1000 + target;
          let expected = 0;
          for (const [o, p] of entries) if (o <= t) expected = p;
          expect(index.lookup(t)).toBe(expected);
          const reloaded = OffsetIndex.load(1000, 1 << 20, Buffer.from(index.bytes()), position + 1)!;
          expect(reloaded.lookup(t)).toBe(expected);
        },
      ),
    );
  });
});

describe("TimeIndex", () => {
  it("appends only growing timestamps and finds the last entry strictly below a target", () => {
    const index = new TimeIndex(50, 1200);
    index.maybeAppend(1000, 55);
    index.maybeAppend(1000, 60); // not larger: skipped
    index.maybeAppend(900, 61); // smaller: skipped
    index.maybeAppend(2000, 70);
    expect(index.entries).toBe(2);
    expect(index.lookupBelow(1000)).toBeUndefined();
    expect(index.lookupBelow(1001)).toEqual({ timestamp: 1000, offset: 55 });
    expect(index.lookupBelow(5000)).toEqual({ timestamp: 2000, offset: 70 });
    const bytes = index.bytes();
    expect(bytes.length).toBe(24);
    expect(bytes.readBigInt64BE(12)).toBe(2000n);
    expect(bytes.readInt32BE(20)).toBe(20);
    expect(TimeIndex.load(50, 1200, Buffer.from(bytes), 71)!.lastEntry()).toEqual({ timestamp: 2000, offset: 70 });
    expect(TimeIndex.load(50, 1200, Buffer.from(bytes), 70)).toBeUndefined();
    index.truncateToOffset(70);
    expect(index.lastEntry()).toEqual({ timestamp: 1000, offset: 55 });
  });

  it("lookupBelow agrees with a linear scan (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 100 }),
        fc.integer({ min: 0, max: 100_000 }),
        (deltas, target) => {
          const index = new TimeIndex(0, 1 << 20);
          const entries: { timestamp: number; offset: number }[] = [];
          let ts = 0;
          deltas.forEach((d, i) => {
            ts += d;
            index.maybeAppend(ts, i);
            entries.push({ timestamp: ts, offset: i });
          });
          const expected = entries.filter((e) => e.timestamp < target).pop();
          expect(index.lookupBelow(target)).toEqual(expected);
        },
      ),
    );
  });
});
