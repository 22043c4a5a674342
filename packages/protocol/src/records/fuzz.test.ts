// Random and mutated bytes fed to the batch decoder, the iterator and the decompressors must only
// ever raise ProtocolDecodeError subclasses (CorruptRecordError, CompressionError): never a
// RangeError/TypeError from an unchecked read, and never a hang.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompressionCodec, compress, compressSync, decompress, decompressSync } from "../compression/index.js";
import { ProtocolDecodeError } from "../primitives/errors.js";
import { computeBatchCrc, decodeRecordBatch, encodeRecordBatch, iterateBatches } from "./index.js";

const syncCodecs = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
] as const;

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) throw e;
  }
}

const recordArb = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 60 }), { nil: null }),
  headers: fc.array(
    fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }) }),
    { maxLength: 3 },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});

const batchArb = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 12 }),
  compression: fc.constantFrom(...syncCodecs),
});

describe("record batch decoder under random input", () => {
  it("round-trips arbitrary records", () => {
    fc.assert(
      fc.property(batchArb, ({ records, compression }) => {
        const batch = decodeRecordBatch(encodeRecordBatch({ records, compression }));
        expect(
          batch.records.map((r) => [r.timestamp, r.key && [...r.key], r.value && [...r.value], r.headers.length]),
        ).toEqual(records.map((r) => [r.timestamp, r.key && [...r.key], r.value && [...r.value], r.headers.length]));
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes only raise typed errors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes);
        onlyTyped(() => decodeRecordBatch(buf, 0, { verifyCrc: false }));
        onlyTyped(() => decodeRecordBatch(buf));
        onlyTyped(() => [...iterateBatches(buf)]);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated valid batches (CRC fixed up) only raise typed errors", () => {
    fc.assert(
      fc.property(
        batchArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        ({ records, compression }, flips, cut) => {
          const buf = Buffer.from(encodeRecordBatch({ records, compression }));
          for (const [at, v] of flips) buf[at % buf.length] = v;
          const truncated = cut % 4 === 0 ? buf.subarray(0, cut % buf.length) : buf;
          onlyTyped(() => decodeRecordBatch(truncated, 0, { verifyCrc: false }));
          if (truncated.length >= 61 && truncated.readInt32BE(8) === truncated.length - 12) {
            truncated.writeUInt32BE(computeBatchCrc(truncated), 17);
            onlyTyped(() => decodeRecordBatch(truncated));
          }
          onlyTyped(() => [...iterateBatches(truncated)]);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("decompressors only raise typed errors on random and mutated input", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...syncCodecs),
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.boolean(),
        (codec, bytes, flips, mutateValid) => {
          const input = mutateValid ? Buffer.from(compressSync(codec, bytes)) : Buffer.from(bytes);
          for (const [at, v] of flips) if (input.length > 0) input[at % input.length] = v;
          onlyTyped(() => decompressSync(codec, input, 1 << 20));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("zstd only raises typed errors on random and mutated input", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        async (bytes, flips) => {
          const input = Buffer.from(flips.length === 0 ? bytes : await compress(CompressionCodec.Zstd, bytes));
          for (const [at, v] of flips) if (input.length > 0) input[at % input.length] = v;
          try {
            await decompress(CompressionCodec.Zstd, input, 1 << 20);
          } catch (e) {
            if (!(e instanceof ProtocolDecodeError)) throw e;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
