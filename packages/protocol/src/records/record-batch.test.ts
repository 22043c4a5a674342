import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { CompressionCodec } from "../compression/index.js";
import {
  ControlRecordType,
  CorruptRecordError,
  TimestampType,
  computeBatchCrc,
  controlBatchInput,
  decodeControlRecord,
  decodeRecordBatch,
  decodeRecordBatchAsync,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  isBatchCrcValid,
  iterateBatches,
  setBaseOffset,
  setPartitionLeaderEpoch,
  validBytesPrefix,
  type RecordInput,
} from "./index.js";

const require = createRequire(import.meta.url);
const T0 = 1_700_000_000_000;

function sampleRecords(n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 5 === 4 ? null : Buffer.from(`value-${i}-`.repeat(i % 7)),
    headers:
      i % 2 === 0
        ? []
        : [
            { key: "h\u00e9", value: Buffer.from([i & 0xff]) },
            { key: "n", value: null },
          ],
    timestamp: T0 + i * 3 - (i % 4 === 0 ? 1000 : 0),
  }));
}

const codecs = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
];

describe("record batch v2", () => {
  it.each(codecs)("round-trips records with codec %i", async (compression) => {
    const records = sampleRecords(300);
    const buf = await encodeRecordBatchAsync({
      baseOffset: 42n,
      records,
      compression,
      producerId: 7n,
      producerEpoch: 3,
      baseSequence: 11,
      transactional: true,
      partitionLeaderEpoch: 5,
    });
    expect(isBatchCrcValid(buf)).toBe(true);
    const batch = await decodeRecordBatchAsync(buf);
    expect(batch.compression).toBe(compression);
    expect(batch.baseOffset).toBe(42n);
    expect(batch.partitionLeaderEpoch).toBe(5);
    expect(batch.producerId).toBe(7n);
    expect(batch.producerEpoch).toBe(3);
    expect(batch.baseSequence).toBe(11);
    expect(batch.isTransactional).toBe(true);
    expect(batch.isControl).toBe(false);
    expect(batch.recordsCount).toBe(300);
    expect(batch.lastOffsetDelta).toBe(299);
    expect(batch.baseTimestamp).toBe(BigInt(records[0]!.timestamp));
    expect(batch.maxTimestamp).toBe(BigInt(Math.max(...records.map((r) => r.timestamp))));
    expect(batch.records).toHaveLength(300);
    batch.records.forEach((r, i) => {
      const want = records[i]!;
      expect(r.offsetDelta).toBe(i);
      expect(r.timestamp).toBe(want.timestamp);
      expect(r.key === null ? null : Buffer.from(r.key)).toEqual(want.key === null ? null : Buffer.from(want.key!));
      expect(r.value === null ? null : Buffer.from(r.value)).toEqual(
        want.value === null ? null : Buffer.from(want.value),
      );
      expect(r.headers.map((h) => [h.key, h.value === null ? null : [...h.value]])).toEqual(
        (want.headers ?? []).map((h) => [h.key, h.value === null ? null : [...h.value]]),
      );
    });
    if (compression !== CompressionCodec.Zstd) expect(decodeRecordBatch(buf).records).toHaveLength(300);
  });

  it("zstd needs the async path", () => {
    expect(() => encodeRecordBatch({ records: sampleRecords(1), compression: CompressionCodec.Zstd })).toThrow(/zstd/);
  });

  it("matches kafkajs's encoder byte for byte (uncompressed)", async () => {
    const Long = require("kafkajs/src/utils/long");
    const { RecordBatch: KjsRecordBatch } = require("kafkajs/src/protocol/recordBatch/v0");
    const KjsRecord = require("kafkajs/src/protocol/recordBatch/record/v0");
    const records = sampleRecords(20).map((r, i) => ({
      ...r,
      timestamp: T0 + i,
      headers: i % 2 ? [{ key: "trace", value: Buffer.from("x") }] : [],
    }));
    const kjs = await KjsRecordBatch({
      firstOffset: Long.fromValue(9),
      firstTimestamp: T0,
      maxTimestamp: T0 + 19,
      partitionLeaderEpoch: 0,
      lastOffsetDelta: 19,
      producerId: Long.fromValue(-1),
      producerEpoch: 0,
      firstSequence: 0,
      records: records.map((r, i) =>
        KjsRecord({
          offsetDelta: i,
          timestampDelta: r.timestamp - T0,
          key: r.key,
          value: r.value,
          headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value])),
        }),
      ),
    });
    const ours = encodeRecordBatch({
      baseOffset: 9n,
      records,
      producerId: -1n,
      producerEpoch: 0,
      baseSequence: 0,
      partitionLeaderEpoch: 0,
    });
    expect(ours.toString("hex")).toBe(Buffer.from(kjs.buffer).toString("hex"));
  });

  it("decodes batches compressed by kafkajs (gzip)", async () => {
    const Long = require("kafkajs/src/utils/long");
    const { RecordBatch: KjsRecordBatch } = require("kafkajs/src/protocol/recordBatch/v0");
    const KjsRecord = require("kafkajs/src/protocol/recordBatch/record/v0");
    const kjs = await KjsRecordBatch({
      compression: 1,
      firstOffset: Long.fromValue(0),
      firstTimestamp: T0,
      maxTimestamp: T0,
      lastOffsetDelta: 1,
      records: [
        KjsRecord({ offsetDelta: 0, key: Buffer.from("a"), value: Buffer.from("one") }),
        KjsRecord({ offsetDelta: 1, key: null, value: Buffer.from("two") }),
      ],
    });
    const batch = decodeRecordBatch(Buffer.from(kjs.buffer));
    expect(batch.compression).toBe(CompressionCodec.Gzip);
    expect(batch.records.map((r) => r.value?.toString())).toEqual(["one", "two"]);
  });

  it("LogAppendTime batches report maxTimestamp for every record", () => {
    const buf = encodeRecordBatch({
      records: sampleRecords(3),
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: T0 + 999,
    });
    const batch = decodeRecordBatch(buf);
    expect(batch.timestampType).toBe(TimestampType.LogAppendTime);
    expect(batch.records.map((r) => r.timestamp)).toEqual([T0 + 999, T0 + 999, T0 + 999]);
  });

  it("honours explicit offsetDeltas (compacted batches)", () => {
    const buf = encodeRecordBatch({
      records: [0, 4, 9].map((d) => ({ value: Buffer.from("v"), timestamp: T0, offsetDelta: d })),
    });
    const batch = decodeRecordBatch(buf);
    expect(batch.lastOffsetDelta).toBe(9);
    expect(batch.records.map((r) => r.offsetDelta)).toEqual([0, 4, 9]);
  });

  it("builds and reads transaction markers", () => {
    for (const type of [ControlRecordType.Abort, ControlRecordType.Commit]) {
      const buf = encodeRecordBatch(
        controlBatchInput({ type, coordinatorEpoch: 17, producerId: 1000n, producerEpoch: 2, timestamp: T0 }),
      );
      const batch = decodeRecordBatch(buf);
      expect(batch.isControl).toBe(true);
      expect(batch.isTransactional).toBe(true);
      expect(batch.records[0]!.key!.toString("hex")).toBe(`0000000${type}`);
      expect(batch.records[0]!.value!.toString("hex")).toBe("000000000011");
      expect(decodeControlRecord(batch.records[0]!)).toEqual({ type, coordinatorEpoch: 17 });
    }
  });

  it("rewrites baseOffset and partitionLeaderEpoch in place without touching the CRC", () => {
    const buf = encodeRecordBatch({ records: sampleRecords(5) });
    const crc = buf.readUInt32BE(17);
    setBaseOffset(buf, 123456789n);
    setPartitionLeaderEpoch(buf, 77);
    expect(buf.readUInt32BE(17)).toBe(crc);
    expect(computeBatchCrc(buf)).toBe(crc);
    const batch = decodeRecordBatch(buf);
    expect(batch.baseOffset).toBe(123456789n);
    expect(batch.partitionLeaderEpoch).toBe(77);
  });

  it("rejects a flipped bit with a CRC error naming the field", () => {
    const buf = encodeRecordBatch({ records: sampleRecords(5) });
    buf[100]! ^= 0x10;
    expect(() => decodeRecordBatch(buf)).toThrow(CorruptRecordError);
    expect(() => decodeRecordBatch(buf)).toThrow(/field crc/);
    expect(decodeRecordBatch(buf, 0, { verifyCrc: false }).records.length).toBeLessThanOrEqual(5);
  });

  it("rejects a wrong magic and a short buffer", () => {
    const buf = encodeRecordBatch({ records: sampleRecords(2) });
    expect(() => decodeRecordBatch(buf.subarray(0, 40))).toThrow(CorruptRecordError);
    expect(() => decodeRecordBatch(buf.subarray(0, buf.length - 1))).toThrow(/batchLength/);
    const bad = Buffer.from(buf);
    bad[16] = 1;
    expect(() => decodeRecordBatch(bad)).toThrow(/magic/);
  });

  it("rejects a record count that disagrees with the bytes", () => {
    const buf = encodeRecordBatch({ records: sampleRecords(4) });
    buf.writeInt32BE(5, 57);
    buf.writeUInt32BE(computeBatchCrc(buf), 17);
    expect(() => decodeRecordBatch(buf)).toThrow(CorruptRecordError);
    buf.writeInt32BE(3, 57);
    buf.writeUInt32BE(computeBatchCrc(buf), 17);
    expect(() => decodeRecordBatch(buf)).toThrow(/left after 3 records/);
  });
});

describe("iterateBatches", () => {
  it("walks concatenated batches and stops at a truncated tail", () => {
    const a = encodeRecordBatch({ baseOffset: 0n, records: sampleRecords(3) });
    const b = encodeRecordBatch({ baseOffset: 3n, records: sampleRecords(4), compression: CompressionCodec.Lz4 });
    const c = encodeRecordBatch({ baseOffset: 7n, records: sampleRecords(2) });
    const all = Buffer.concat([a, b, c]);
    expect([...iterateBatches(all)].map((v) => [v.position, v.header.baseOffset, v.header.recordsCount])).toEqual([
      [0, 0n, 3],
      [a.length, 3n, 4],
      [a.length + b.length, 7n, 2],
    ]);
    for (const cut of [1, 11, 12, 61, c.length - 1]) {
      const truncated = all.subarray(0, all.length - cut);
      expect([...iterateBatches(truncated)].map((v) => v.header.baseOffset)).toEqual([0n, 3n]);
      expect(validBytesPrefix(truncated)).toBe(a.length + b.length);
    }
    const views = [...iterateBatches(all)];
    expect(decodeRecordBatch(views[1]!.bytes).records).toHaveLength(4);
  });

  it("throws on a batchLength too small to be a batch", () => {
    const a = Buffer.from(encodeRecordBatch({ records: sampleRecords(1) }));
    a.writeInt32BE(10, 8);
    expect(() => [...iterateBatches(a)]).toThrow(CorruptRecordError);
  });
});
