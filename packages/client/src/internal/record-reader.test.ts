import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CompressionCodec, encodeRecordBatch } from "@gregor/protocol";
import { decodeRecords, scanRecords, type DecodeContext } from "./record-reader.js";

const ctx = (fetchOffset: bigint): DecodeContext => ({
  topic: "t",
  partition: 3,
  fetchOffset,
  checkCrcs: true,
  aborted: null,
});

const recordArb = fc.record({
  key: fc.option(
    fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  value: fc.option(
    fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 8 }),
      value: fc.option(
        fc.uint8Array({ maxLength: 10 }).map((a) => Buffer.from(a)),
        { nil: null },
      ),
    }),
    { maxLength: 3 },
  ),
  tsDelta: fc.integer({ min: 0, max: 100_000 }),
});

describe("record reader: lazy messages and chunked decoding", () => {
  it("decodes in chunks of whole batches that add up to one full decode; lazy fields equal the encoded ones", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(recordArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Lz4),
        (batches, chunk, compression) => {
          let offset = 100n;
          const parts: Buffer[] = [];
          const expected: {
            offset: bigint;
            timestamp: number;
            key: Buffer | null;
            value: Buffer | null;
            headers: [string, Buffer | null][];
          }[] = [];
          for (const rs of batches) {
            parts.push(
              encodeRecordBatch({
                baseOffset: offset,
                compression,
                records: rs.map((r) => ({
                  timestamp: 1_700_000_000_000 + r.tsDelta,
                  key: r.key,
                  value: r.value,
                  headers: r.headers,
                })),
              }),
            );
            rs.forEach((r, i) => {
              expected.push({
                offset: offset + BigInt(i),
                timestamp: 1_700_000_000_000 + r.tsDelta,
                key: r.key,
                value: r.value,
                headers: r.headers.map((h) => [h.key, h.value]),
              });
            });
            offset += BigInt(rs.length);
          }
          const buf = Buffer.concat(parts);
          expect(scanRecords(buf, ctx(100n))).toEqual({ nextOffset: offset, sizeBytes: buf.length });
          const got = [];
          let at = 0;
          let last = 100n;
          while (at < buf.length) {
            const d = decodeRecords(buf, ctx(100n), at, chunk);
            if (d instanceof Promise) throw new Error("unexpected async");
            expect(d.resumeAt).toBeGreaterThan(at);
            expect(d.nextOffset).toBeGreaterThan(last);
            last = d.nextOffset;
            at = d.resumeAt;
            got.push(...d.messages);
          }
          expect(last).toBe(offset);
          expect(
            got.map((m) => ({
              offset: m.offset,
              timestamp: m.timestamp,
              key: m.key,
              value: m.value,
              headers: m.headers.map((h) => [h.key, h.value]),
            })),
          ).toEqual(expected);
          for (const m of got) {
            expect(m.topic).toBe("t");
            expect(m.partition).toBe(3);
            expect(m.offsetNumber).toBe(Number(m.offset));
            expect(m.value).toBe(m.value); // the slice is made once
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects a record whose header lengths run past the record", () => {
    const good = encodeRecordBatch({
      baseOffset: 0n,
      records: [{ timestamp: 5, key: null, value: Buffer.from("x"), headers: [{ key: "h", value: Buffer.from("v") }] }],
    });
    const bad = Buffer.from(good);
    // The header key length is the byte before "h": make it claim 63 bytes (zigzag 0x7e).
    const at = bad.lastIndexOf(Buffer.from("h"));
    bad[at - 1] = 0x7e;
    const c = { ...ctx(0n), checkCrcs: false };
    expect(() => decodeRecords(bad, c)).toThrow(/malformed record at offset 0/);
  });

  it("JSON of a message has every field", () => {
    const one = encodeRecordBatch({
      baseOffset: 7n,
      records: [
        { timestamp: 42, key: Buffer.from("k"), value: Buffer.from("v"), headers: [{ key: "a", value: null }] },
      ],
    });
    const d = decodeRecords(one, ctx(0n));
    if (d instanceof Promise) throw new Error("unexpected async");
    expect(JSON.parse(JSON.stringify(d.messages[0]))).toEqual({
      topic: "t",
      partition: 3,
      offset: "7",
      timestamp: 42,
      key: "k",
      value: "v",
      headers: [{ key: "a", value: null }],
    });
  });
});
