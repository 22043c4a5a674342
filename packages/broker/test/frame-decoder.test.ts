import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader } from "./frame-reader.js";

function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => {
    const h = Buffer.alloc(4);
    h.writeInt32BE(p.length);
    return [h, p];
  }));
}

describe("FrameReader", () => {
  it("yields the same frames however the stream is split", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 50 }), (payloads, cuts) => {
        const stream = framed(payloads.map((p) => Buffer.from(p)));
        const r = new FrameReader(1000);
        const got: Buffer[] = [];
        let pos = 0;
        let i = 0;
        while (pos < stream.length) {
          const n = cuts[i++ % cuts.length]!;
          got.push(...r.push(stream.subarray(pos, pos + n)));
          pos += n;
        }
        expect(got.map((b) => Buffer.from(b).toString("hex"))).toEqual(payloads.map((p) => Buffer.from(p).toString("hex")));
        expect(r.bufferedBytes).toBe(0);
      }),
    );
  });

  it("rejects a size over the limit or negative, even when the prefix is split", () => {
    const r = new FrameReader(10);
    expect(r.push(Buffer.from([0, 0]))).toEqual([]);
    expect(() => r.push(Buffer.from([0, 11]))).toThrow(/exceeds/);
    expect(() => new FrameReader(10).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow();
  });
});
