// ListOffsets by timestamp and MAX_TIMESTAMP answer to the record inside compressed batches, for
// every codec (QA: kafka-python's offsets_for_times on a gzip batch landed on the batch's base).
import { afterEach, describe, expect, it } from "vitest";
import {
  CRC_OFFSET,
  CompressionCodec,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  computeBatchCrc,
  encodeRecordBatchAsync,
  type RecordInput,
} from "@gregor/protocol";
import { type Log, MAX_TIMESTAMP } from "../src/index.js";
import { findRecord } from "../src/internal/records.js";
import { openTempLog } from "./helpers.js";

const T0 = 1_700_000_000_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function openLog(): Promise<Log> {
  return (await openTempLog(cleanups)).log;
}

function records(timestamps: readonly number[], tag: string): RecordInput[] {
  return timestamps.map((timestamp, i) => ({
    key: Buffer.from(`${tag}-${i}`),
    value: Buffer.from(`value ${tag} ${i}`),
    timestamp,
  }));
}

const codecs = [
  ["gzip", CompressionCodec.Gzip],
  ["snappy", CompressionCodec.Snappy],
  ["lz4", CompressionCodec.Lz4],
  ["zstd", CompressionCodec.Zstd],
] as const;

describe.each(codecs)("timestamp lookups in a %s batch", (_name, compression) => {
  // Offsets 0..9: an uncompressed batch before (ts T0-100..T0-91); offsets 10..109: the compressed
  // batch of 100 records at T0+i, as kafka-python produced it.
  async function logWithCompressedBatch(): Promise<Log> {
    const log = await openLog();
    const before = Array.from({ length: 10 }, (_, i) => T0 - 100 + i);
    await log.append(await encodeRecordBatchAsync({ records: records(before, "u") }), { leaderEpoch: 1 });
    const ts = Array.from({ length: 100 }, (_, i) => T0 + i);
    const batch = await encodeRecordBatchAsync({ records: records(ts, "c"), compression });
    expect(batch.readInt16BE(21) & 7).toBe(compression);
    await log.append(batch, { leaderEpoch: 2 });
    return log;
  }

  it("finds the record in the middle of the batch", async () => {
    const log = await logWithCompressedBatch();
    expect(await log.offsetForTimestamp(T0 + 50)).toEqual({ offset: 60, timestamp: T0 + 50, leaderEpoch: 2 });
    expect(await log.fetchOffsetByTimestamp(T0 + 99)).toEqual({ offset: 109, timestamp: T0 + 99, leaderEpoch: 2 });
  });

  it("finds the first record of the batch", async () => {
    const log = await logWithCompressedBatch();
    expect(await log.offsetForTimestamp(T0)).toEqual({ offset: 10, timestamp: T0, leaderEpoch: 2 });
    // Between the two batches: the first record of the compressed one.
    expect(await log.offsetForTimestamp(T0 - 50)).toEqual({ offset: 10, timestamp: T0, leaderEpoch: 2 });
  });

  it("answers nothing past the end", async () => {
    const log = await logWithCompressedBatch();
    expect(await log.offsetForTimestamp(T0 + 100)).toBeUndefined();
  });

  it("MAX_TIMESTAMP is the offset of the record with the largest timestamp inside the batch", async () => {
    const log = await openLog();
    // Out of order: the maximum (T0+500) sits at index 37 and again at 80 (the first one wins).
    const ts = Array.from({ length: 100 }, (_, i) => (i === 37 || i === 80 ? T0 + 500 : T0 + i));
    await log.append(await encodeRecordBatchAsync({ records: records([T0 - 5, T0 - 4], "u") }), { leaderEpoch: 1 });
    await log.append(await encodeRecordBatchAsync({ records: records(ts, "c"), compression }), { leaderEpoch: 3 });
    await log.append(await encodeRecordBatchAsync({ records: records([T0 + 200], "after"), compression }), {
      leaderEpoch: 3,
    });
    expect(await log.fetchOffsetByTimestamp(MAX_TIMESTAMP)).toEqual({
      offset: 39,
      timestamp: T0 + 500,
      leaderEpoch: 3,
    });
    // By timestamp, out of order: the first record (in offset order) at or above the target.
    expect(await log.offsetForTimestamp(T0 + 150)).toEqual({ offset: 39, timestamp: T0 + 500, leaderEpoch: 3 });
    expect(await log.offsetForTimestamp(T0 + 501)).toBeUndefined();
  });

  it("findRecord walks the decompressed records (non-zero base offset, sparse offset deltas)", async () => {
    const input = records([T0 + 5, T0 + 1, T0 + 9], "d").map((r, i) => ({ ...r, offsetDelta: i * 2 }));
    const batch = await encodeRecordBatchAsync({ records: input, compression, baseOffset: 1000n });
    expect(await findRecord(batch, 0, 1000, (ts) => ts >= T0 + 6)).toEqual({ offset: 1004, timestamp: T0 + 9 });
    expect(await findRecord(batch, 0, 1000, (ts) => ts === T0 + 1)).toEqual({ offset: 1002, timestamp: T0 + 1 });
    expect(await findRecord(batch, 0, 1000, (ts) => ts > T0 + 9)).toBeUndefined();
  });
});

describe("timestamp lookups: special cases", () => {
  it("a LogAppendTime compressed batch answers with its first record and the append time", async () => {
    const batch = await encodeRecordBatchAsync({
      records: records([T0, T0 + 1, T0 + 2], "l"),
      compression: CompressionCodec.Zstd,
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: T0 + 1000,
    });
    expect(await findRecord(batch, 0, 7, (ts) => ts >= T0 + 1)).toEqual({ offset: 7, timestamp: T0 + 1000 });
  });

  it("a compressed body that does not decompress throws (the log falls back to batch granularity)", async () => {
    const batch = await encodeRecordBatchAsync({
      records: records([T0, T0 + 1], "x"),
      compression: CompressionCodec.Gzip,
    });
    batch.fill(0x5a, RECORD_BATCH_OVERHEAD);
    batch.writeUInt32BE(computeBatchCrc(batch, 0), CRC_OFFSET);
    await expect(findRecord(batch, 0, 0, () => true)).rejects.toThrow();
  });
});
