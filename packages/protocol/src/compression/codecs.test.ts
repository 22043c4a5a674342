import { gzipSync } from "node:zlib";
import snappy from "snappy";
import { describe, expect, it } from "vitest";
import {
  CompressionCodec,
  CompressionError,
  XERIAL_MAGIC,
  compress,
  compressSync,
  compressionCodecByName,
  compressionName,
  decompress,
  decompressSync,
  hasSyncPath,
  isXerialFramed,
} from "./index.js";

const text = Buffer.from("the quick brown fox jumps over the lazy dog. ".repeat(5000));
const all = [
  CompressionCodec.None,
  CompressionCodec.Gzip,
  CompressionCodec.Snappy,
  CompressionCodec.Lz4,
  CompressionCodec.Zstd,
];

describe("compression codecs", () => {
  it.each(all)("codec %i round-trips (async)", async (codec) => {
    const packed = await compress(codec, text);
    if (codec !== CompressionCodec.None) expect(packed.length).toBeLessThan(text.length / 4);
    expect((await decompress(codec, packed)).equals(text)).toBe(true);
  });

  it.each(all.filter(hasSyncPath))("codec %i round-trips (sync)", (codec) => {
    expect(decompressSync(codec, compressSync(codec, text)).equals(text)).toBe(true);
    expect(decompressSync(codec, compressSync(codec, Buffer.alloc(0))).length).toBe(0);
  });

  it("names codecs as Kafka's compression.type does", () => {
    expect(all.map(compressionName)).toEqual(["none", "gzip", "snappy", "lz4", "zstd"]);
    expect(compressionCodecByName("zstd")).toBe(4);
    expect(compressionCodecByName("brotli")).toBeUndefined();
    expect(hasSyncPath(CompressionCodec.Zstd)).toBe(false);
  });

  it("writes xerial-framed snappy in 32 KiB blocks", () => {
    const packed = compressSync(CompressionCodec.Snappy, text);
    expect(packed.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    expect(packed.readInt32BE(8)).toBe(1);
    expect(packed.readInt32BE(12)).toBe(1);
    const firstBlockLength = packed.readInt32BE(16);
    const firstBlock = snappy.uncompressSync(packed.subarray(20, 20 + firstBlockLength), { asBuffer: true }) as Buffer;
    expect(firstBlock.length).toBe(32 * 1024);
    expect(isXerialFramed(packed)).toBe(true);
  });

  it("reads raw (unframed) snappy as librdkafka writes it", () => {
    const raw = snappy.compressSync(text);
    expect(isXerialFramed(raw)).toBe(false);
    expect(decompressSync(CompressionCodec.Snappy, raw).equals(text)).toBe(true);
  });

  it("reads multi-member gzip", () => {
    const two = Buffer.concat([gzipSync(Buffer.from("ab")), gzipSync(Buffer.from("cd"))]);
    expect(decompressSync(CompressionCodec.Gzip, two).toString()).toBe("abcd");
  });

  it.each(all)("codec %i refuses output beyond the bound", async (codec) => {
    const packed = await compress(codec, text);
    await expect(decompress(codec, packed, 1000)).rejects.toThrow(CompressionError);
  });

  it.each(all.filter((c) => c !== CompressionCodec.None))(
    "codec %i reports garbage as CompressionError",
    async (codec) => {
      const garbage = Buffer.from("definitely not compressed data, not at all");
      await expect(decompress(codec, garbage)).rejects.toThrow(CompressionError);
    },
  );

  it("a truncated xerial block is a CompressionError", () => {
    const packed = compressSync(CompressionCodec.Snappy, text);
    expect(() => decompressSync(CompressionCodec.Snappy, packed.subarray(0, packed.length - 3))).toThrow(
      CompressionError,
    );
  });
});
