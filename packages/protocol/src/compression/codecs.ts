// The four record-batch compression codecs, by the id stored in the low 3 bits of a batch's
// attributes. gzip, snappy and lz4 have synchronous paths (native, fast enough to run inline on
// the produce path); zstd is only available asynchronously from @mongodb-js/zstd, so callers
// that may meet zstd use compress()/decompress() (or the *Async record-batch functions).
import { gunzipSync, gzipSync } from "node:zlib";
import lz4 from "lz4-napi";
import * as zstd from "@mongodb-js/zstd";
import { ProtocolEncodeError } from "../primitives/errors.js";
import { CompressionError } from "./errors.js";
import { snappyCompressXerial, snappyUncompressAny } from "./xerial.js";

export const CompressionCodec = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

const NAMES = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type CompressionName = (typeof NAMES)[number];

/** Default bound on decompressed batch size: a malicious 1 MiB batch must not become gigabytes. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

export function isCompressionCodec(id: number): id is CompressionCodec {
  return Number.isInteger(id) && id >= 0 && id <= 4;
}

export function compressionName(codec: CompressionCodec): CompressionName {
  return NAMES[codec];
}

export function compressionCodecByName(name: string): CompressionCodec | undefined {
  const i = (NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : (i as CompressionCodec);
}

/** True when compressSync/decompressSync can handle the codec. */
export function hasSyncPath(codec: CompressionCodec): boolean {
  return codec !== CompressionCodec.Zstd;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}

export function compressSync(codec: CompressionCodec, data: Uint8Array): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return asBuffer(data);
    case CompressionCodec.Gzip:
      return gzipSync(data);
    case CompressionCodec.Snappy:
      return snappyCompressXerial(data);
    case CompressionCodec.Lz4:
      return lz4.compressFrameSync(asBuffer(data));
    case CompressionCodec.Zstd:
      throw new ProtocolEncodeError("zstd has no synchronous path; use compress()");
    default:
      throw new ProtocolEncodeError(`unknown compression codec ${String(codec)}`);
  }
}

function checkSize(out: Buffer, maxBytes: number, codec: CompressionCodec): Buffer {
  if (out.length > maxBytes) {
    throw new CompressionError(`decompresses to ${out.length} bytes, more than the ${maxBytes} allowed`, NAMES[codec]);
  }
  return out;
}

function wrap(e: unknown, codec: CompressionCodec): never {
  if (e instanceof CompressionError) throw e;
  throw new CompressionError(`does not decompress: ${(e as Error)?.message ?? String(e)}`, NAMES[codec]);
}

export function decompressSync(
  codec: CompressionCodec,
  data: Uint8Array,
  maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Buffer {
  try {
    switch (codec) {
      case CompressionCodec.None:
        return checkSize(asBuffer(data), maxBytes, codec);
      case CompressionCodec.Gzip:
        return gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
      case CompressionCodec.Snappy:
        return snappyUncompressAny(data, maxBytes);
      case CompressionCodec.Lz4:
        // lz4 frames need not announce their content size, so the bound is checked afterwards;
        // LZ4's worst-case expansion (~255x) caps what a bounded input can become.
        return checkSize(lz4.decompressFrameSync(asBuffer(data)), maxBytes, codec);
      case CompressionCodec.Zstd:
        throw new CompressionError("zstd has no synchronous path; use decompress() / decodeRecordBatchAsync()", "zstd");
      default:
        throw new CompressionError(`unknown compression codec ${String(codec)}`, "unknown");
    }
  } catch (e) {
    return wrap(e, codec);
  }
}

export async function compress(codec: CompressionCodec, data: Uint8Array, zstdLevel = 3): Promise<Buffer> {
  if (codec === CompressionCodec.Zstd) return zstd.compress(asBuffer(data), zstdLevel);
  return compressSync(codec, data);
}

export async function decompress(
  codec: CompressionCodec,
  data: Uint8Array,
  maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<Buffer> {
  if (codec !== CompressionCodec.Zstd) return decompressSync(codec, data, maxBytes);
  let out: Buffer;
  try {
    out = await zstd.decompress(asBuffer(data));
  } catch (e) {
    return wrap(e, codec);
  }
  return checkSize(out, maxBytes, codec);
}
