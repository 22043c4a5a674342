import { rm } from "node:fs/promises";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { Log, OffsetOutOfRangeError, type LogOptions } from "../src/index.js";
import { batchesIn, makeBatch, makeSizedBatch } from "./batches.js";
import { copyCrashImage, openTempLog, tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const openLog = (options: LogOptions = {}): Promise<{ log: Log; dir: string }> => openTempLog(cleanups, options);

async function offsetsFrom(log: Log, offset: number): Promise<number[]> {
  const out: number[] = [];
  let next = offset;
  while (next < log.logEndOffset) {
    const r = await log.read(next, 1 << 20);
    if (r.bytes === 0) break;
    for (const b of batchesIn(r.buffers)) {
      out.push(b.baseOffset);
      next = b.lastOffset + 1;
    }
  }
  return out;
}

describe("truncateTo", () => {
  it("drops batches at and after the offset across segments, then appends continue there", async () => {
    const { log } = await openLog({ segmentBytes: 500, indexIntervalBytes: 100 });
    for (let i = 0; i < 30; i++) await log.append(makeSizedBatch(2, 90), { leaderEpoch: i < 20 ? 1 : 2 });
    const segmentsBefore = log.segmentCount;
    await log.truncateTo(24);
    expect(log.logEndOffset).toBe(24);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    expect(await offsetsFrom(log, 0)).toEqual(Array.from({ length: 12 }, (_, i) => 2 * i));
    await expect(log.read(26, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect((await log.append(makeBatch([{ value: "z" }]), { leaderEpoch: 3 })).baseOffset).toBe(24);
    await log.truncateTo(100); // beyond the end: no-op
    expect(log.logEndOffset).toBe(25);
    await log.truncateTo(40 /* no-op */);
    await log.truncateTo(20);
    expect(log.leaderEpochCache.entries()).toEqual([{ epoch: 1, startOffset: 0 }]);
  });

  it("reopens with the truncated state", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir, { segmentBytes: 400 });
    for (let i = 0; i < 20; i++) await log.append(makeSizedBatch(1, 90));
    await log.truncateTo(7);
    await log.close();
    const reopened = await Log.open(dir, { segmentBytes: 400 });
    expect(reopened.logEndOffset).toBe(7);
    expect(await offsetsFrom(reopened, 0)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await reopened.close();
  });
});

describe("truncateTo inside a batch, then reopen (regression: seed -870821789)", () => {
  const options = { segmentBytes: 700, indexIntervalBytes: 128, tailCacheBytes: 600 };
  const value = Buffer.alloc(10, 1);

  /** Reopens `dir` after a clean close, or from a copy of its files taken before closing (a crash). */
  async function reopen(log: Log, dir: string, crash: boolean): Promise<Log> {
    let path = dir;
    if (crash) {
      path = `${dir}-crash`;
      await copyCrashImage(dir, path);
      cleanups.push(() => rm(path, { recursive: true, force: true }));
    }
    await log.close();
    return Log.open(path, options);
  }

  for (const crash of [false, true]) {
    it(`append 2 records, truncateTo(1), ${crash ? "crash" : "close"}, reopen, append: offsets continue from 0`, async () => {
      const { dir, cleanup } = await tempDir();
      cleanups.push(cleanup);
      let log = await Log.open(dir, options);
      expect((await log.append(makeBatch([{ value }, { value }]))).baseOffset).toBe(0);
      await log.truncateTo(1); // inside batch [0, 1]: the batch goes whole
      expect(log.logEndOffset).toBe(0);
      log = await reopen(log, dir, crash);
      expect(log.logEndOffset).toBe(0);
      expect(log.recoveryPoint).toBe(0);
      const r = await log.append(makeBatch([{ value }]));
      expect(r.baseOffset).toBe(0);
      expect(log.logEndOffset).toBe(1);
      expect(await offsetsFrom(log, 0)).toEqual([0]);
      await log.close();
    });

    it(`deleteRecordsBefore inside a batch, truncateTo there, ${crash ? "crash" : "close"}, reopen`, async () => {
      const { dir, cleanup } = await tempDir();
      cleanups.push(cleanup);
      let log = await Log.open(dir, options);
      await log.append(makeBatch([{ value }, { value }, { value }]));
      await log.append(makeBatch([{ value }]));
      expect(await log.deleteRecordsBefore(1)).toBe(1);
      log = await reopen(log, dir, crash);
      expect([log.logStartOffset, log.logEndOffset]).toEqual([1, 4]);
      await log.truncateTo(2); // the first removed batch starts at 0 < logStartOffset: restart empty at 1
      expect([log.logStartOffset, log.logEndOffset]).toEqual([1, 1]);
      log = await reopen(log, crash ? `${dir}-crash` : dir, false);
      expect([log.logStartOffset, log.logEndOffset]).toEqual([1, 1]);
      expect((await log.append(makeBatch([{ value }]))).baseOffset).toBe(1);
      expect(await offsetsFrom(log, 1)).toEqual([1]);
      await log.close();
    });
  }
});

describe("deleteRecordsBefore and retention", () => {
  it("moves logStartOffset, deletes whole segments below it and persists it", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir, { segmentBytes: 500 });
    for (let i = 0; i < 20; i++) await log.append(makeSizedBatch(1, 100));
    const segments = log.segmentCount;
    expect(await log.deleteRecordsBefore(9)).toBe(9);
    expect(log.logStartOffset).toBe(9);
    expect(log.segmentCount).toBeLessThan(segments);
    expect(log.segmentBaseOffsets()[0]).toBeLessThanOrEqual(9);
    await expect(log.read(8, 100)).rejects.toMatchObject({ code: "OFFSET_OUT_OF_RANGE" });
    expect((await log.read(9, 1)).firstOffset).toBe(9);
    await expect(log.deleteRecordsBefore(21)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect(await log.deleteRecordsBefore(3)).toBe(9);
    await log.close();
    const reopened = await Log.open(dir, { segmentBytes: 500 });
    expect(reopened.logStartOffset).toBe(9);
    await reopened.close();
  });

  it("deletes segments past retention.ms, never above the high watermark", async () => {
    const { log } = await openLog({ segmentBytes: 300, retentionMs: 1000 });
    for (let i = 0; i < 9; i++) await log.append(makeSizedBatch(1, 120, { baseTimestamp: 10_000 + i * 100 }));
    // segments of 2 batches: [0,1] ts<=10100, [2,3] <=10300, [4,5] <=10500, [6,7] <=10700, [8]
    expect(log.segmentCount).toBe(5);
    expect(await log.applyRetention(11_350)).toBe(2);
    expect(log.logStartOffset).toBe(4);
    expect(await log.applyRetention(20_000, 6)).toBe(1); // [6,7] reaches past HW 6
    expect(log.logStartOffset).toBe(6);
    expect(await log.applyRetention(20_000)).toBe(2); // everything: rolls a fresh active segment
    expect(log.segmentCount).toBe(1);
    expect(log.logStartOffset).toBe(9);
    expect(log.logEndOffset).toBe(9);
    expect((await log.append(makeBatch([{ value: "after" }]))).baseOffset).toBe(9);
  });

  it("deletes the oldest segments past retention.bytes", async () => {
    const { log } = await openLog({ segmentBytes: 300, retentionBytes: 600 });
    for (let i = 0; i < 10; i++) await log.append(makeSizedBatch(1, 120));
    const size = log.sizeInBytes;
    const deleted = await log.applyRetention(Date.now());
    expect(deleted).toBeGreaterThan(0);
    expect(log.sizeInBytes).toBeLessThanOrEqual(600);
    expect(size - log.sizeInBytes).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
  });
});

describe("model-based property: random appends, truncations, deletions, reopen", () => {
  /** Every visible batch as [baseOffset, lastOffset, tag byte], read back in pieces from `from`. */
  async function contents(log: Log, from: number, maxBytes: number): Promise<[number, number, number][]> {
    const out: [number, number, number][] = [];
    let next = from;
    while (next < log.logEndOffset) {
      const r = await log.read(next, maxBytes);
      if (r.bytes === 0) break;
      for (const buf of r.buffers) {
        let pos = 0;
        for (const b of batchesIn(buf)) {
          out.push([b.baseOffset, b.lastOffset, buf[pos + b.size - 2]!]);
          next = b.lastOffset + 1;
          pos += b.size;
        }
      }
    }
    return out;
  }

  it("matches a simple model of the log's contents", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    type Op =
      | { kind: "append"; records: number; bytes: number }
      | { kind: "truncate"; back: number }
      | { kind: "deleteBefore"; fwd: number }
      | { kind: "reopen" }
      | { kind: "crash" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant("append" as const),
          records: fc.integer({ min: 1, max: 5 }),
          bytes: fc.integer({ min: 10, max: 80 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 10 }) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant("deleteBefore" as const), fwd: fc.integer({ min: 0, max: 6 }) }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 2000 }),
        async (ops, maxBytes) => {
          let path = `${dir}/run-${run++}`;
          const options = { segmentBytes: 700, indexIntervalBytes: 128, tailCacheBytes: 600 };
          let log = await Log.open(path, options);
          let batches: [number, number, number][] = []; // [baseOffset, lastOffset, tag]
          let start = 0;
          let end = 0;
          let tag = 0;
          try {
            for (const o of ops) {
              if (o.kind === "append") {
                tag = (tag + 1) % 200;
                const value = Buffer.alloc(o.bytes, tag);
                const r = await log.append(makeBatch(Array.from({ length: o.records }, () => ({ value }))));
                expect(r.baseOffset).toBe(end);
                batches.push([end, end + o.records - 1, tag]);
                end += o.records;
              } else if (o.kind === "truncate") {
                const target = Math.max(start, end - o.back);
                await log.truncateTo(target);
                // The batch containing `target` is dropped whole: the log then ends where that batch
                // began (never below logStartOffset: the log restarts empty there instead).
                const firstDropped = batches.find(([, last]) => last >= target);
                batches = batches.filter(([, last]) => last < target);
                if (firstDropped !== undefined) end = Math.max(start, firstDropped[0]);
                if (end === start) batches = batches.filter(([, last]) => last < start);
              } else if (o.kind === "deleteBefore") {
                const target = Math.min(end, start + o.fwd);
                await log.deleteRecordsBefore(target);
                start = Math.max(start, target);
              } else if (o.kind === "reopen") {
                await log.close();
                log = await Log.open(path, options);
              } else {
                // Crash: reopen a copy of the files as they are now (no clean-shutdown marker, indexes
                // of the active segment never written), then let the old instance go.
                const copy = `${dir}/run-${run++}`;
                await copyCrashImage(path, copy);
                await log.close();
                log = await Log.open(copy, options);
                path = copy;
              }
              expect(log.logEndOffset).toBe(end);
              expect(log.logStartOffset).toBe(start);
              const visible = batches.filter(([, last]) => last >= start);
              expect(start < end ? await contents(log, start, maxBytes) : []).toEqual(visible);
            }
          } finally {
            await log.close();
          }
        },
      ),
      {
        numRuns: Number(process.env.PROPERTY_RUNS ?? 25),
        ...(process.env.PROPERTY_SEED === undefined ? {} : { seed: Number(process.env.PROPERTY_SEED) }),
      },
    );
  });
});
