import { encodeResponseFrame } from "@gregor/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FetchDirectResponse, ProducePartitionResponse, type FetchPartitionResult } from "./direct-response.js";
import { OutBuffer, ZERO_COPY_BYTES } from "./out-buffer.js";

function flat(x: Buffer[] | Buffer | null): Buffer {
  if (x === null) return Buffer.alloc(0);
  return Buffer.isBuffer(x) ? x : Buffer.concat(x);
}

const offset = fc.oneof(
  fc.constant(-1),
  fc.integer({ min: 0, max: 2 ** 31 }),
  fc.maxSafeInteger().filter((n) => n >= 0),
);
const name = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 });

describe("direct responses encode exactly as the generated codec", () => {
  it("Produce v3-11, one partition", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 11 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        name,
        fc.nat(1000),
        fc.integer({ min: -1, max: 100 }),
        offset,
        offset,
        offset,
        fc.option(fc.string(), { nil: null }),
        (v, correlationId, topic, index, errorCode, base, appendTime, start, message) => {
          const out = new OutBuffer();
          new ProducePartitionResponse(topic, index, errorCode, base, appendTime, start, message).encodeFrame(
            out,
            v,
            correlationId,
          );
          const expected = encodeResponseFrame(0, v, correlationId, {
            responses: [
              {
                name: topic,
                partitionResponses: [
                  {
                    index,
                    errorCode,
                    baseOffset: BigInt(base),
                    logAppendTimeMs: BigInt(appendTime),
                    logStartOffset: BigInt(start),
                    recordErrors: [],
                    errorMessage: message,
                  },
                ],
              },
            ],
            throttleTimeMs: 0,
          });
          expect(flat(out.take())).toEqual(Buffer.concat(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("Fetch v4-12, several topics and partitions, small and large record slices", () => {
    const slice = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      fc.integer({ min: ZERO_COPY_BYTES, max: ZERO_COPY_BYTES + 64 }).map((n) => new Uint8Array(n).fill(7)),
    );
    const partition = fc.record({
      partitionIndex: fc.nat(100),
      errorCode: fc.integer({ min: 0, max: 80 }),
      highWatermark: offset,
      lastStableOffset: offset,
      logStartOffset: offset,
      abortedNull: fc.boolean(),
      records: fc.oneof(
        slice.map((b) => Buffer.from(b)),
        fc.array(
          slice.map((b) => Buffer.from(b)),
          { maxLength: 4 },
        ),
      ),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 12 }),
        fc.integer({ min: 0, max: 2 ** 31 - 2 }),
        fc.array(fc.record({ topic: name, partitions: fc.array(partition, { maxLength: 3 }) }), { maxLength: 3 }),
        (v, correlationId, topics) => {
          const out = new OutBuffer();
          // Two frames in one flush: positions past a referenced slice must stay right.
          new FetchDirectResponse(topics).encodeFrame(out, v, correlationId);
          new FetchDirectResponse(topics).encodeFrame(out, v, correlationId + 1);
          const generic = (c: number): Buffer =>
            Buffer.concat(
              encodeResponseFrame(1, v, c, {
                throttleTimeMs: 0,
                errorCode: 0,
                sessionId: 0,
                responses: topics.map((t) => ({
                  topic: t.topic,
                  topicId: "00000000-0000-0000-0000-000000000000",
                  partitions: t.partitions.map((p: FetchPartitionResult) => ({
                    partitionIndex: p.partitionIndex,
                    errorCode: p.errorCode,
                    highWatermark: BigInt(p.highWatermark),
                    lastStableOffset: BigInt(p.lastStableOffset),
                    logStartOffset: BigInt(p.logStartOffset),
                    abortedTransactions: p.abortedNull ? null : [],
                    preferredReadReplica: -1,
                    records: p.records,
                  })),
                })),
              }),
            );
          expect(flat(out.take())).toEqual(Buffer.concat([generic(correlationId), generic(correlationId + 1)]));
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 40) },
    );
  });

  it("OutBuffer hands out a copy: the scratch is reused after take()", () => {
    const out = new OutBuffer();
    out.int32(1);
    const first = flat(out.take());
    out.int32(2);
    const second = flat(out.take());
    expect(first.readInt32BE(0)).toBe(1);
    expect(second.readInt32BE(0)).toBe(2);
    expect(out.take()).toBeNull();
  });
});
