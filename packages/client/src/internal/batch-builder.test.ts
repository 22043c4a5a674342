import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CompressionCodec, decodeRecordBatch, encodeRecordBatch } from "@gregor/protocol";
import { BatchBuilder, stamp } from "./batch-builder.js";
import { decodeRecords } from "./record-reader.js";

const recordArb = fc.record({
  key: fc.option(
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  value: fc.option(
    fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    ),
    { nil: null },
  ),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 10 }),
      value: fc.option(
        fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
        { nil: null },
      ),
    }),
    { maxLength: 3 },
  ),
  tsDelta: fc.integer({ min: -1000, max: 1_000_000 }),
});

const asBuf = (v: Buffer | string | null): Buffer | null =>
  v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);

describe("BatchBuilder", () => {
  it("writes batches that @gregor/protocol's independent decoder reads back (CRC, varints, headers)", () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4),
        (records, codec) => {
          const base = 1_700_000_000_000;
          const b = new BatchBuilder(1 << 20);
          for (const r of records) expect(b.tryAppend(base + r.tsDelta, r.key, r.value, r.headers)).toBe(true);
          const bytes = b.seal(codec) as Buffer;
          stamp(bytes, 42n, 3, 1000);
          const d = decodeRecordBatch(bytes);
          expect(d.producerId).toBe(42n);
          expect(d.producerEpoch).toBe(3);
          expect(d.baseSequence).toBe(1000);
          expect(d.compression).toBe(codec);
          expect(d.records).toHaveLength(records.length);
          expect(Number(d.maxTimestamp)).toBe(Math.max(...records.map((r) => base + r.tsDelta)));
          d.records.forEach((dr, i) => {
            const r = records[i]!;
            expect(dr.offsetDelta).toBe(i);
            expect(dr.timestamp).toBe(base + r.tsDelta);
            expect(dr.key).toEqual(r.key);
            expect(dr.value).toEqual(asBuf(r.value));
            expect(dr.headers.map((h) => [h.key, h.value])).toEqual(r.headers.map((h) => [h.key, h.value]));
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("refuses a record that would overflow a non-empty batch, but takes an oversized first record", () => {
    const b = new BatchBuilder(200);
    expect(b.tryAppend(0, null, Buffer.alloc(500), undefined)).toBe(true);
    expect(b.tryAppend(0, null, Buffer.alloc(10), undefined)).toBe(false);
  });
});

describe("record reader", () => {
  it("reads batches encoded by @gregor/protocol, skips records below the fetch offset and a truncated tail", () => {
    const one = encodeRecordBatch({
      baseOffset: 10n,
      records: [0, 1, 2, 3].map((i) => ({ timestamp: 1000 + i, key: null, value: Buffer.from(`v${i}`) })),
    });
    const two = encodeRecordBatch({
      baseOffset: 14n,
      records: [{ timestamp: 2000, key: Buffer.from("k"), value: Buffer.from("v4") }],
    });
    const buf = Buffer.concat([one, two, two.subarray(0, 30)]);
    const r = decodeRecords(buf, { topic: "t", partition: 0, fetchOffset: 12n, checkCrcs: true, aborted: null });
    if (r instanceof Promise) throw new Error("unexpected async");
    expect(r.messages.map((m) => [m.offset, m.value!.toString()])).toEqual([
      [12n, "v2"],
      [13n, "v3"],
      [14n, "v4"],
    ]);
    expect(r.nextOffset).toBe(15n);
  });

  it("rejects a batch whose CRC does not match", () => {
    const one = encodeRecordBatch({ baseOffset: 0n, records: [{ timestamp: 5, key: null, value: Buffer.from("x") }] });
    one[one.length - 1]! ^= 0xff;
    expect(() =>
      decodeRecords(one, { topic: "t", partition: 0, fetchOffset: 0n, checkCrcs: true, aborted: null }),
    ).toThrow(/CRC/);
  });
});
