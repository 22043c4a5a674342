// The one place storage looks inside a batch: ListOffsets by timestamp wants the exact record
// offset (Kafka decodes the batch for this too). Only uncompressed batches are decoded; for
// compressed ones the batch granularity answer is returned.
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  COMPRESSION_CODEC_MASK,
  MAX_TIMESTAMP_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  batchSizeAt,
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
 * batch's (already known) base offset. Returns undefined when no record matches.
 */
export function findRecord(
  buf: Buffer,
  pos: number,
  baseOffset: number,
  match: (timestampMs: number) => boolean,
): RecordPosition | undefined {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const maxTimestamp = readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
  if ((attributes & TIMESTAMP_TYPE_MASK) !== 0 || (attributes & COMPRESSION_CODEC_MASK) !== 0) {
    // LogAppendTime: every record carries maxTimestamp. Compressed: batch granularity.
    return match(maxTimestamp) ? { offset: baseOffset, timestamp: maxTimestamp } : undefined;
  }
  const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP_OFFSET);
  const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
  const end = pos + batchSizeAt(buf, pos);
  const c: Cursor = { pos: pos + RECORD_BATCH_OVERHEAD };
  for (let i = 0; i < count && c.pos < end; i++) {
    const length = readVarlong(buf, c);
    const recordStart = c.pos;
    c.pos += 1; // attributes
    const timestamp = baseTimestamp + readVarlong(buf, c);
    const offsetDelta = readVarlong(buf, c);
    if (match(timestamp)) return { offset: baseOffset + offsetDelta, timestamp };
    c.pos = recordStart + length;
  }
  return undefined;
}
