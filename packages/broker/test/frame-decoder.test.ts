import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameDecoder } from "@gregor/protocol";

function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(
    payloads.flatMap((p) => {
      const h = Buffer.alloc(4);
      h.writeInt32BE(p.length);
      return [h, p];
    }),
  );
}

// The broker reads requests with @gregor/protocol's FrameDecoder: any chunking, bounded sizes, and
// a large frame in many small chunks copied once (not re-concatenated per chunk).
describe("FrameDecoder (as the broker uses it)", () => {
  it("yields the same frames however the stream is split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const stream = framed(payloads.map((p) => Buffer.from(p)));
          const r = new FrameDecoder(1000);
          const got: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            got.push(...r.push(stream.subarray(pos, pos + n)));
            pos += n;
          }
          expect(got.map((b) => Buffer.from(b).toString("hex"))).toEqual(
            payloads.map((p) => Buffer.from(p).toString("hex")),
          );
          expect(r.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it("rejects a size over the limit or negative, even when the prefix is split", () => {
    const r = new FrameDecoder(10);
    expect(r.push(Buffer.from([0, 0]))).toEqual([]);
    expect(() => r.push(Buffer.from([0, 11]))).toThrow(/exceeds/);
    expect(() => new FrameDecoder(10).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow();
  });

  it("keeps a large frame's chunks until it is complete (buffers nothing twice)", () => {
    const payload = Buffer.alloc(4 * 1024 * 1024, 7);
    const stream = framed([payload]);
    const d = new FrameDecoder(8 * 1024 * 1024);
    let frames: Buffer[] = [];
    for (let pos = 0; pos < stream.length; pos += 1000) {
      frames = d.push(stream.subarray(pos, pos + 1000));
      if (pos + 1000 < stream.length) {
        expect(frames).toEqual([]);
        expect(d.bufferedBytes).toBe(Math.min(pos + 1000, stream.length));
      }
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]!.equals(payload)).toBe(true);
    expect(d.bufferedBytes).toBe(0);
  });
});
