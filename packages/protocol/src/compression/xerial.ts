// Snappy framing as written by Kafka's Java clients (xerial snappy-java SnappyOutputStream):
//   header: 0x82 "SNAPPY" 0x00, int32 version (1), int32 minimum compatible version (1)
//   then blocks: int32 compressed length + one raw snappy block (each of <= 32 KiB uncompressed).
// librdkafka writes raw snappy without this framing; Kafka's readers accept both, and so do we.
import snappy from "snappy";
import { CompressionError } from "./errors.js";

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_BYTES = 16;
/** Uncompressed bytes per block; snappy-java's default block size. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;

export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_BYTES) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

/** Uncompressed length announced by a raw snappy block's uvarint preamble. */
function rawSnappyLength(data: Uint8Array, start: number, end: number): number {
  let result = 0;
  for (let shift = 0, p = start; shift < 35 && p < end; shift += 7, p++) {
    const b = data[p]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
  }
  throw new CompressionError("snappy block has a malformed length preamble", "snappy", start);
}

function uncompressRaw(block: Uint8Array, maxBytes: number, at: number): Buffer {
  const len = rawSnappyLength(block, 0, block.length);
  if (len > maxBytes)
    throw new CompressionError(`snappy block expands to ${len} bytes, more than the ${maxBytes} allowed`, "snappy", at);
  try {
    return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (e) {
    throw new CompressionError(`snappy block does not decompress: ${(e as Error).message}`, "snappy", at);
  }
}

export function snappyCompressXerial(data: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  let total = XERIAL_HEADER_BYTES;
  for (let p = 0; p < data.length; p += XERIAL_BLOCK_BYTES) {
    const block = snappy.compressSync(data.subarray(p, Math.min(data.length, p + XERIAL_BLOCK_BYTES)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    total += 4 + block.length;
  }
  return Buffer.concat(parts, total);
}

/** Decompresses xerial-framed or raw snappy, refusing output larger than maxBytes. */
export function snappyUncompressAny(data: Uint8Array, maxBytes: number): Buffer {
  if (!isXerialFramed(data)) return uncompressRaw(data, maxBytes, 0);
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  const blocks: Buffer[] = [];
  let total = 0;
  let p = XERIAL_HEADER_BYTES;
  while (p < view.length) {
    if (p + 4 > view.length) throw new CompressionError("xerial block length truncated", "snappy", p);
    const len = view.readInt32BE(p);
    p += 4;
    if (len < 0 || p + len > view.length)
      throw new CompressionError(`xerial block of ${len} bytes runs past the end`, "snappy", p - 4);
    const block = uncompressRaw(view.subarray(p, p + len), maxBytes - total, p);
    total += block.length;
    blocks.push(block);
    p += len;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total);
}
