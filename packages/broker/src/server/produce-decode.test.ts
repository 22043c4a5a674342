import { apiCodec, decodeRequestFrame, encodeRequestFrame, type ProduceRequest } from "@gregor/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProduceDecoder } from "./produce-decode.js";

function frameOf(v: number, correlationId: number, clientId: string | null, req: ProduceRequest): Buffer {
  return Buffer.concat(encodeRequestFrame(0, v, correlationId, clientId, req)).subarray(4);
}

describe("ProduceDecoder", () => {
  it("decodes one-partition requests exactly as the generated codec, reusing repeated strings", () => {
    const d = new ProduceDecoder();
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 11 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.option(fc.constantFrom("rdkafka", "producer-ü", ""), { nil: null }),
        fc.constantFrom("t", "topic-a", "ünïcode"),
        fc.constantFrom(-1, 0, 1),
        fc.nat(1000),
        fc.uint8Array({ maxLength: 200 }),
        (v, correlationId, clientId, name, acks, index, bytes) => {
          const req: ProduceRequest = {
            transactionalId: null,
            acks,
            timeoutMs: 30000,
            topicData: [{ name, partitionData: [{ index, records: Buffer.from(bytes) }] }],
          };
          const frame = frameOf(v, correlationId, clientId, req);
          const generic = decodeRequestFrame(frame);
          const expected = apiCodec(0)!.decodeRequest(generic.body, v);
          const got = d.decode(frame, v);
          expect(got).toEqual(expected);
          expect(d.header).toEqual({ ...generic.header, clientId: generic.header.clientId ?? null });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("leaves other shapes to the generic decoder", () => {
    const d = new ProduceDecoder();
    const two: ProduceRequest = {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1,
      topicData: [
        {
          name: "t",
          partitionData: [
            { index: 0, records: Buffer.alloc(3) },
            { index: 1, records: Buffer.alloc(3) },
          ],
        },
      ],
    };
    const txn: ProduceRequest = {
      transactionalId: "tx",
      acks: -1,
      timeoutMs: 1,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: Buffer.alloc(3) }] }],
    };
    const nullRecords: ProduceRequest = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: null }] }],
    };
    for (const v of [3, 8, 9, 11]) {
      for (const req of [two, txn, nullRecords]) expect(d.decode(frameOf(v, 1, "c", req), v)).toBeNull();
      const ok = frameOf(v, 1, "c", {
        ...two,
        topicData: [{ name: "t", partitionData: [two.topicData[0]!.partitionData[0]!] }],
      });
      expect(d.decode(ok.subarray(0, ok.length - 1), v)).toBeNull(); // truncated
      expect(d.decode(Buffer.concat([ok, Buffer.alloc(1)]), v)).toBeNull(); // trailing bytes
    }
  });
});
