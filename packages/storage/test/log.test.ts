import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CRC_OFFSET, isBatchCrcValid } from "@gregor/protocol";
import {
  Log,
  MAX_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MessageTooLargeError,
  CorruptRecordError,
  InvalidRecordError,
  OffsetOutOfRangeError,
  RecordListTooLargeError,
  LogClosedError,
  type LogOptions,
} from "../src/index.js";
import { batchesIn, makeBatch, makeSizedBatch } from "./batches.js";
import { openTempLog, tempDir } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const openLog = (options: LogOptions = {}): Promise<{ log: Log; dir: string }> => openTempLog(cleanups, options);

describe("Log append and read", () => {
  it("assigns offsets in place, stamps the leader epoch and reads whole batches back", async () => {
    const { log } = await openLog();
    const r1 = await log.append(makeBatch([{ value: "a" }, { value: "b" }, { value: "c" }], { baseOffset: 999 }), {
      leaderEpoch: 3,
    });
    expect(r1).toMatchObject({ baseOffset: 0, lastOffset: 2 });
    const two = Buffer.concat([makeBatch([{ value: "d" }]), makeBatch([{ value: "e" }, { value: "f" }])]);
    const r2 = await log.append(two, { leaderEpoch: 3 });
    expect(r2).toMatchObject({ baseOffset: 3, lastOffset: 5 });
    expect(log.logEndOffset).toBe(6);
    const all = await log.read(0, 1 << 20);
    const batches = batchesIn(all.buffers);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.partitionLeaderEpoch])).toEqual([
      [0, 2, 3],
      [3, 3, 3],
      [4, 5, 3],
    ]);
    expect(all.firstOffset).toBe(0);
    // Offsets and epochs are outside the CRC: the batches stay valid.
    for (const buf of all.buffers) expect(isBatchCrcValid(buf, 0)).toBe(true);
    expect(log.leaderEpochCache.entries()).toEqual([{ epoch: 3, startOffset: 0 }]);
  });

  it("starts at the batch containing the offset and always returns the first batch (minOneMessage)", async () => {
    const { log } = await openLog({ tailCacheBytes: 0 });
    for (let i = 0; i < 5; i++) await log.append(makeBatch([{ value: `v${i}a` }, { value: `v${i}b` }]));
    const mid = await log.read(5, 1);
    expect(batchesIn(mid.buffers).map((b) => b.baseOffset)).toEqual([4]);
    const capped = await log.read(2, 2 * mid.bytes);
    expect(batchesIn(capped.buffers).map((b) => b.baseOffset)).toEqual([2, 4]);
    const bounded = await log.read(0, 1 << 20, 6);
    expect(batchesIn(bounded.buffers).map((b) => b.baseOffset)).toEqual([0, 2, 4]);
    expect((await log.read(10, 100)).bytes).toBe(0);
    await expect(log.read(11, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1, 100)).rejects.toMatchObject({ code: "OFFSET_OUT_OF_RANGE" });
  });

  it("serves the same bytes from the tail cache and from the file", async () => {
    const cached = await openLog({ tailCacheBytes: 1 << 20, segmentBytes: 2000 });
    const uncached = await openLog({ tailCacheBytes: 0, segmentBytes: 2000 });
    for (let i = 0; i < 40; i++) {
      const batch = makeBatch(Array.from({ length: 1 + (i % 4) }, (_, j) => ({ value: `r${i}-${j}` })));
      await cached.log.append(Buffer.from(batch));
      await uncached.log.append(Buffer.from(batch));
    }
    expect(cached.log.segmentCount).toBeGreaterThan(1);
    for (const [offset, maxBytes, maxOffset] of [
      [0, 1, Infinity],
      [7, 300, Infinity],
      [33, 10_000, 60],
      [95, 50, Infinity],
    ] as const) {
      const a = await cached.log.read(offset, maxBytes, maxOffset);
      const b = await uncached.log.read(offset, maxBytes, maxOffset);
      // The file path stops at a segment end; compare the common prefix of whole batches.
      const ba = batchesIn(a.buffers);
      const bb = batchesIn(b.buffers);
      expect(ba.slice(0, bb.length)).toEqual(bb);
      expect(Buffer.concat(a.buffers).subarray(0, b.bytes)).toEqual(Buffer.concat(b.buffers));
    }
  });

  it("readCached answers from the tail cache synchronously, and only from it", async () => {
    const { log } = await openLog();
    await log.append(makeBatch([{ value: "a" }, { value: "b" }]));
    const cached = log.readCached(1, 1 << 20)!;
    expect(batchesIn(cached.buffers).map((b) => b.baseOffset)).toEqual([0]);
    expect(log.readCached(2, 1 << 20)).toMatchObject({ bytes: 0, firstOffset: -1 }); // at the log end
    expect(() => log.readCached(3, 1 << 20)).toThrow(OffsetOutOfRangeError);
    const { log: uncached } = await openLog({ tailCacheBytes: 0 });
    await uncached.append(makeBatch([{ value: "a" }]));
    expect(uncached.readCached(0, 1 << 20)).toBeUndefined();
    expect((await uncached.read(0, 1 << 20)).bytes).toBeGreaterThan(0);
  });

  it("rejects bad batches with typed errors carrying Kafka error names", async () => {
    const { log } = await openLog({ maxMessageBytes: 500, segmentBytes: 4000 });
    await expect(log.append(makeSizedBatch(1, 800))).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(log.append(makeSizedBatch(1, 800))).rejects.toMatchObject({ code: "MESSAGE_TOO_LARGE" });
    const corrupt = makeBatch([{ value: "hello" }]);
    corrupt[corrupt.length - 1]! ^= 0xff;
    await expect(log.append(corrupt)).rejects.toBeInstanceOf(CorruptRecordError);
    const badMagic = makeBatch([{ value: "hello" }]);
    badMagic.writeInt8(1, 16);
    await expect(log.append(badMagic)).rejects.toMatchObject({ code: "CORRUPT_MESSAGE" });
    const truncated = makeBatch([{ value: "hello" }]).subarray(0, 40);
    await expect(log.append(truncated)).rejects.toMatchObject({ code: "CORRUPT_MESSAGE" });
    const badDelta = makeBatch([{ value: "a" }, { value: "b" }]);
    badDelta.writeInt32BE(5, 23);
    badDelta.writeUInt32BE(0, CRC_OFFSET);
    await expect(log.append(badDelta)).rejects.toMatchObject({ code: "CORRUPT_MESSAGE" });
    await expect(log.append(Buffer.alloc(0))).rejects.toBeInstanceOf(InvalidRecordError);
    const many = Buffer.concat(Array.from({ length: 12 }, () => makeSizedBatch(1, 400)));
    await expect(log.append(many)).rejects.toBeInstanceOf(RecordListTooLargeError);
    expect(log.logEndOffset).toBe(0);
    expect((await log.append(makeBatch([{ value: "ok" }]))).baseOffset).toBe(0);
  });

  it("follower appends keep offsets, require them >= logEndOffset and record epochs", async () => {
    const { log } = await openLog();
    await log.appendAsFollower(
      Buffer.concat([
        makeBatch([{ value: "a" }, { value: "b" }], { baseOffset: 0, partitionLeaderEpoch: 1 }),
        makeBatch([{ value: "c" }], { baseOffset: 5, partitionLeaderEpoch: 2 }), // gap: compacted upstream
      ]),
    );
    expect(log.logEndOffset).toBe(6);
    await expect(log.appendAsFollower(makeBatch([{ value: "d" }], { baseOffset: 3 }))).rejects.toMatchObject({
      code: "INVALID_RECORD",
    });
    const outOfOrder = Buffer.concat([
      makeBatch([{ value: "x" }], { baseOffset: 9 }),
      makeBatch([{ value: "y" }], { baseOffset: 8 }),
    ]);
    await expect(log.appendAsFollower(outOfOrder)).rejects.toBeInstanceOf(InvalidRecordError);
    await log.appendAsFollower(makeBatch([{ value: "e" }], { baseOffset: 6, partitionLeaderEpoch: 2 }));
    expect(log.leaderEpochCache.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 5 },
    ]);
    expect(log.leaderEpochCache.endOffsetFor(1, log.logEndOffset)).toEqual({ leaderEpoch: 1, endOffset: 5 });
    const read = await log.read(4, 1 << 20);
    expect(batchesIn(read.buffers).map((b) => b.baseOffset)).toEqual([5, 6]);
  });

  it("stamps LogAppendTime with a fresh CRC", async () => {
    const { log } = await openLog({ messageTimestampType: "LogAppendTime", clock: () => 1_800_000_000_000 });
    const r = await log.append(makeBatch([{ value: "a" }]));
    expect(r.logAppendTimeMs).toBe(1_800_000_000_000);
    const [buf] = (await log.read(0, 1000)).buffers;
    expect(isBatchCrcValid(buf!, 0)).toBe(true);
    expect(batchesIn(buf!)[0]!.maxTimestamp).toBe(1_800_000_000_000);
  });

  it("rolls by segment.bytes and by segment.ms, with Kafka file names", async () => {
    const { log, dir } = await openLog({ segmentBytes: 1000, segmentMs: 60_000 });
    for (let i = 0; i < 10; i++) await log.append(makeSizedBatch(1, 300));
    expect(log.segmentCount).toBeGreaterThanOrEqual(4);
    const base = log.segmentBaseOffsets();
    const files = (await readdir(dir)).filter((f) => f.endsWith(".log")).sort();
    expect(files).toEqual(base.map((b) => `${String(b).padStart(20, "0")}.log`));
    const before = log.segmentCount;
    const t0 = 1_700_000_000_000;
    await log.append(makeBatch([{ value: "t" }], { baseTimestamp: t0 }));
    await log.append(makeBatch([{ value: "t" }], { baseTimestamp: t0 + 10_000 }));
    const afterSmall = log.segmentCount;
    await log.append(makeBatch([{ value: "t" }], { baseTimestamp: t0 + 120_000 }));
    expect(log.segmentCount).toBe(afterSmall + 1);
    expect(afterSmall).toBeLessThanOrEqual(before + 1);
  });

  it("writes sparse indexes every index.interval.bytes and reuses them after reopen", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    let log = await Log.open(dir, { indexIntervalBytes: 256, tailCacheBytes: 0 });
    for (let i = 0; i < 50; i++) await log.append(makeSizedBatch(2, 100, { baseTimestamp: 1000 + i }));
    await log.close();
    const index = await readFile(join(dir, "00000000000000000000.index"));
    const timeIndex = await readFile(join(dir, "00000000000000000000.timeindex"));
    expect(index.length % 8).toBe(0);
    expect(index.length / 8).toBeGreaterThan(10);
    expect(timeIndex.length % 12).toBe(0);
    log = await Log.open(dir, { indexIntervalBytes: 256, tailCacheBytes: 0 });
    expect(log.logEndOffset).toBe(100);
    expect(batchesIn((await log.read(61, 1)).buffers)[0]!.baseOffset).toBe(60);
    expect(await log.fetchOffsetByTimestamp(1030)).toMatchObject({ offset: 60, timestamp: 1030 });
    await log.close();
  });

  it("answers ListOffsets: earliest, latest, by timestamp (exact record), max timestamp", async () => {
    const { log } = await openLog({ indexIntervalBytes: 0, segmentBytes: 400 });
    await log.append(
      makeBatch(
        [
          { value: "a", timestamp: 100 },
          { value: "b", timestamp: 300 },
          { value: "c", timestamp: 200 },
        ],
        { baseTimestamp: 100 },
      ),
      { leaderEpoch: 1 },
    );
    await log.append(
      makeBatch(
        [
          { value: "d", timestamp: 250 },
          { value: "e", timestamp: 900 },
        ],
        { baseTimestamp: 250 },
      ),
      { leaderEpoch: 2 },
    );
    await log.append(makeBatch([{ value: "f", timestamp: 400 }], { baseTimestamp: 400 }), { leaderEpoch: 2 });
    expect(await log.fetchOffsetByTimestamp(EARLIEST_TIMESTAMP)).toEqual({ offset: 0, timestamp: -1, leaderEpoch: 1 });
    expect(await log.fetchOffsetByTimestamp(LATEST_TIMESTAMP)).toEqual({ offset: 6, timestamp: -1, leaderEpoch: 2 });
    expect(await log.offsetForTimestamp(50)).toMatchObject({ offset: 0, timestamp: 100 });
    expect(await log.offsetForTimestamp(150)).toMatchObject({ offset: 1, timestamp: 300 });
    expect(await log.offsetForTimestamp(301)).toMatchObject({ offset: 4, timestamp: 900, leaderEpoch: 2 });
    expect(await log.offsetForTimestamp(901)).toBeUndefined();
    expect(await log.fetchOffsetByTimestamp(MAX_TIMESTAMP)).toEqual({ offset: 4, timestamp: 900, leaderEpoch: 2 });
  });

  it("exposes sizes and rejects use after close", async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const log = await Log.open(dir);
    const batch = makeBatch([{ value: "abc" }]);
    await log.append(batch);
    expect(log.activeSegmentBytes).toBe(batch.length);
    expect(log.sizeInBytes).toBe(batch.length);
    expect(log.segmentCount).toBe(1);
    await log.flush();
    expect(log.recoveryPoint).toBe(1);
    await log.close();
    await expect(log.append(makeBatch([{ value: "x" }]))).rejects.toBeInstanceOf(LogClosedError);
  });

  it("flushes per flush.messages and on flush.ms", async () => {
    const a = await openLog({ flushMessages: 3 });
    await a.log.append(makeBatch([{ value: "1" }]));
    expect(a.log.recoveryPoint).toBe(0);
    await a.log.append(makeBatch([{ value: "2" }, { value: "3" }]));
    expect(a.log.recoveryPoint).toBe(3);
    let now = 0;
    const b = await openLog({ flushMs: 1000, clock: () => now });
    await b.log.append(makeBatch([{ value: "1" }]));
    expect(b.log.recoveryPoint).toBe(0);
    now = 1500;
    await b.log.append(makeBatch([{ value: "2" }]));
    expect(b.log.recoveryPoint).toBe(2);
  });
});

describe("interop with @gregor/protocol's encoder", () => {
  it("appends batches from encodeRecordBatch and reads them back decodable", async () => {
    const { encodeRecordBatch, decodeRecordBatch } = await import("@gregor/protocol");
    const { log } = await openLog({ tailCacheBytes: 0 });
    const records = [1, 2, 3].map((i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`v${i}`),
      timestamp: 1000 + i,
    }));
    await log.append(encodeRecordBatch({ records }), { leaderEpoch: 7 });
    await log.append(encodeRecordBatch({ records: records.slice(0, 1) }), { leaderEpoch: 7 });
    const { buffers } = await log.read(3, 1 << 20);
    const decoded = decodeRecordBatch(buffers[0]!);
    expect(decoded.baseOffset).toBe(3n);
    expect(decoded.partitionLeaderEpoch).toBe(7);
    expect(Buffer.from(decoded.records[0]!.value!).toString()).toBe("v1");
    expect(await log.offsetForTimestamp(1002)).toMatchObject({ offset: 1, timestamp: 1002 });
  });
});
