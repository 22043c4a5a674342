// The one place storage looks inside a batch: ListOffsets by timestamp (and MAX_TIMESTAMP) wants
// the exact record offset, as Kafka answers. Uncompressed records are walked in place; compressed
// batches (gzip/snappy/lz4/zstd) are decompressed first (bounded), then walked the same way. Only
// each record's timestamp and offset delta are read: keys, values and headers are skipped.
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  COMPRESSION_CODEC_MASK,
  CompressionCodec,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  batchSizeAt,
  decompress,
  isCompressionCodec,
} from "@gregor/protocol";
import { readInt64 } from "./batch.js";

interface Cursor {
  pos: number;
}

function readVarlong(buf: Buffer, c: Cursor): number {
  let raw = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[c.pos++];
    if (b === undefined) throw new RangeError("truncated varint");
    raw |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
    if (shift > 63n) throw new RangeError("varint too long");
  }
  return Number((raw >> 1n) ^ -(raw & 1n));
}

export interface RecordPosition {
  offset: number;
  timestamp: number;
}

/**
 * First record of the batch at `pos` whose timestamp satisfies `match`. `baseOffset` is the
 * batch's (already known) base offset. Returns undefined when no record matches. Async because a
 * zstd batch can only be decompressed asynchronously; throws (RangeError / CompressionError) on
 * records that do not parse or a body that does not decompress.
 */
export async function findRecord(
  buf: Buffer,
  pos: number,
  baseOffset: number,
  match: (timestampMs: number) => boolean,
  maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Promise<RecordPosition | undefined> {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const maxTimestamp = readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
  if ((attributes & TIMESTAMP_TYPE_MASK) !== 0) {
    // LogAppendTime: every record carries maxTimestamp, so the first record is the answer.
    return match(maxTimestamp) ? { offset: baseOffset, timestamp: maxTimestamp } : undefined;
  }
  const walk: Walk = {
    baseOffset,
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    count: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
  const end = pos + batchSizeAt(buf, pos);
  const codec = attributes & COMPRESSION_CODEC_MASK;
  if (codec === CompressionCodec.None) return walkRecords(buf, pos + RECORD_BATCH_OVERHEAD, end, walk, match);
  if (!isCompressionCodec(codec)) throw new RangeError(`unknown compression codec ${codec}`);
  const body = await decompress(codec, buf.subarray(pos + RECORD_BATCH_OVERHEAD, end), maxDecompressedBytes);
  return walkRecords(body, 0, body.length, walk, match);
}

interface Walk {
  baseOffset: number;
  baseTimestamp: number;
  count: number;
}

/** Walks the records laid out in `buf` from `start` to `end`; first one whose timestamp matches. */
function walkRecords(
  buf: Buffer,
  start: number,
  end: number,
  w: Walk,
  match: (timestampMs: number) => boolean,
): RecordPosition | undefined {
  const c: Cursor = { pos: start };
  for (let i = 0; i < w.count && c.pos < end; i++) {
    const length = readVarlong(buf, c);
    const recordStart = c.pos;
    c.pos += 1; // attributes
    const timestamp = w.baseTimestamp + readVarlong(buf, c);
    const offsetDelta = readVarlong(buf, c);
    if (match(timestamp)) return { offset: w.baseOffset + offsetDelta, timestamp };
    if (length < 0) throw new RangeError(`negative record length ${length}`);
    c.pos = recordStart + length;
  }
  return undefined;
}
