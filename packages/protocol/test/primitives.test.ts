import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FrameDecoder,
  FrameTooLargeError,
  ProtocolDecodeError,
  Reader,
  Writer,
  decodeRequestFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  decodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
} from "../src/index.js";

describe("varints", () => {
  it("zigzag varint round-trips int32", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        const b = new Writer().varint(n).toBuffer();
        expect(new Reader(b).varint()).toBe(n);
      }),
    );
  });
  it("zigzag varlong round-trips int64", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const b = new Writer().varlong(n).toBuffer();
        expect(new Reader(b).varlong()).toBe(n);
      }),
    );
  });
  it("known encodings", () => {
    expect(new Writer().varint(0).toBuffer()).toEqual(Buffer.from([0]));
    expect(new Writer().varint(-1).toBuffer()).toEqual(Buffer.from([1]));
    expect(new Writer().varint(1).toBuffer()).toEqual(Buffer.from([2]));
    expect(new Writer().varint(300).toBuffer()).toEqual(Buffer.from([0xd8, 0x04]));
    expect(new Writer().uvarint(300).toBuffer()).toEqual(Buffer.from([0xac, 0x02]));
  });
  it("rejects a varint over 5 bytes and a truncated one", () => {
    expect(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).uvarint("x")).toThrow(
      /longer than 5 bytes/,
    );
    expect(() => new Reader(Buffer.from([0x80, 0x80])).uvarint("x")).toThrow(ProtocolDecodeError);
    expect(() => new Reader(Buffer.alloc(11, 0xff)).uvarlong("x")).toThrow(/longer than 10 bytes/);
  });
});

describe("strings, bytes, arrays", () => {
  it("nullable and compact forms", () => {
    const w = new Writer()
      .nullableString(null)
      .string("hé")
      .compactNullableString(null)
      .compactString("abc")
      .nullableBytes(null)
      .compactBytes(Buffer.from([1, 2]))
      .uuid("01234567-89ab-cdef-0123-456789abcdef");
    const r = new Reader(w.toBuffer());
    expect(r.nullableString()).toBeNull();
    expect(r.string()).toBe("hé");
    expect(r.compactNullableString()).toBeNull();
    expect(r.compactString()).toBe("abc");
    expect(r.nullableBytes()).toBeNull();
    expect(r.compactBytes()).toEqual(Buffer.from([1, 2]));
    expect(r.uuid()).toBe("01234567-89ab-cdef-0123-456789abcdef");
    expect(r.remaining).toBe(0);
  });
  it("negative lengths other than -1 are errors naming the field and offset", () => {
    const b = new Writer().int32(5).int16(-2).toBuffer();
    const r = new Reader(b);
    r.int32();
    expect(() => r.nullableString("TopicName")).toThrow(/invalid length -2 \(field TopicName at byte 6\)/);
  });
  it("lengths past the end are errors, not out-of-range reads", () => {
    expect(() => new Reader(new Writer().int32(1000).toBuffer()).bytes("Records")).toThrow(/needs 1000 bytes, 0 left/);
    expect(() => new Reader(new Writer().int32(1_000_000).toBuffer()).arrayLength(false, "Topics")).toThrow(/exceeds/);
  });
  it("unknown tagged fields are skipped", () => {
    const w = new Writer()
      .uvarint(2)
      .uvarint(5)
      .uvarint(3)
      .raw(Buffer.from([1, 2, 3]))
      .uvarint(9)
      .uvarint(0)
      .int8(42);
    const r = new Reader(w.toBuffer());
    const unknown = r.taggedFields();
    expect(unknown?.map((t) => t.tag)).toEqual([5, 9]);
    expect(r.int8()).toBe(42);
  });
  it("large byte slices are referenced, not copied", () => {
    const big = Buffer.alloc(1 << 20, 7);
    const chunks = new Writer().int32(1).bytes(big).int8(1).toChunks();
    expect(chunks.some((c) => c === big)).toBe(true);
  });
});

describe("framing and headers", () => {
  it("header versions follow flexibility; ApiVersions responses always use header v0", () => {
    expect(requestHeaderVersion(3, 8)).toBe(1);
    expect(requestHeaderVersion(3, 9)).toBe(2);
    expect(responseHeaderVersion(3, 9)).toBe(1);
    expect(requestHeaderVersion(18, 3)).toBe(2);
    expect(responseHeaderVersion(18, 3)).toBe(0);
  });
  it("request frames round-trip through the frame decoder in arbitrary chunks", () => {
    const frame = Buffer.concat(
      encodeRequestFrame(3, 12, 77, "client-1", {
        topics: null,
        allowAutoTopicCreation: true,
        includeTopicAuthorizedOperations: false,
      }),
    );
    const both = Buffer.concat([frame, frame]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: both.length - 1 }), (cut) => {
        const d = new FrameDecoder(1024);
        const frames = [...d.push(both.subarray(0, cut)), ...d.push(both.subarray(cut))];
        expect(frames).toHaveLength(2);
        const { header } = decodeRequestFrame(frames[1]!);
        expect(header).toMatchObject({
          requestApiKey: 3,
          requestApiVersion: 12,
          correlationId: 77,
          clientId: "client-1",
        });
      }),
    );
  });
  it("a frame over the maximum is refused before buffering", () => {
    const d = new FrameDecoder(100);
    expect(() => d.push(Buffer.from([0, 0, 0, 101]))).toThrow(FrameTooLargeError);
    expect(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(FrameTooLargeError);
  });
  it("responses decode with the header version of their request", () => {
    const body = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 };
    const frame = Buffer.concat(encodeResponseFrame(18, 3, 5, body));
    const res = decodeResponseFrame<typeof body>(frame.subarray(4), 18, 3);
    expect(res.correlationId).toBe(5);
    expect(res.body.apiKeys).toEqual(body.apiKeys);
  });
});
