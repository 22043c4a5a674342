// Batch-level validation of an append buffer. Reads only the 61-byte headers (plus the CRC pass,
// which is one hardware CRC-32C call per batch); never decodes individual records.
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  TIMESTAMP_TYPE_MASK,
  computeBatchCrc,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_BATCH_OVERHEAD,
  setPartitionLeaderEpoch,
  RECORDS_COUNT_OFFSET,
  isBatchCrcValid,
} from "@gregor/protocol";
import { CorruptRecordError, InvalidRecordError, MessageTooLargeError, RecordListTooLargeError } from "../errors.js";

const TWO_32 = 4294967296;

/** int64 big-endian as a JS number (exact below 2^53, which covers offsets and ms timestamps). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, value: number, pos: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4);
}

export const MAX_RELATIVE_OFFSET = 0x7fffffff;

/** Per-batch facts gathered during validation; `pos` is relative to the append buffer. */
export interface BatchMeta {
  pos: number;
  size: number;
  /** Offset as found in the buffer (meaningful in follower mode; rewritten in leader mode). */
  baseOffset: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
}

export interface ValidateLimits {
  maxMessageBytes: number;
  segmentBytes: number;
}

/**
 * Splits `buf` into batches and validates framing, magic, CRC and size. `leader` mode also checks
 * what a producer must get right (non-empty batch, lastOffsetDelta = count - 1); follower mode
 * checks offsets are monotonic and returns the batches' own offsets. `withCrcs` false leaves the
 * CRCs to `checkCrcs` below (the log checks a lone large append's while writing it).
 */
export function validateBatches(buf: Buffer, limits: ValidateLimits, leader: boolean, withCrcs = true): BatchMeta[] {
  if (buf.length === 0) throw new InvalidRecordError("empty append");
  if (buf.length > limits.segmentBytes) {
    throw new RecordListTooLargeError(`append of ${buf.length} bytes exceeds segment size ${limits.segmentBytes}`);
  }
  const metas: BatchMeta[] = [];
  let pos = 0;
  let nextExpected = -1;
  while (pos < buf.length) {
    if (buf.length - pos < RECORD_BATCH_OVERHEAD) {
      throw new CorruptRecordError(`truncated batch header at byte ${pos}`);
    }
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    const size = LOG_OVERHEAD + batchLength;
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length) {
      throw new CorruptRecordError(`batch at byte ${pos} has invalid length ${batchLength}`);
    }
    if (size > limits.maxMessageBytes) {
      throw new MessageTooLargeError(`batch of ${size} bytes exceeds max.message.bytes ${limits.maxMessageBytes}`);
    }
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== CURRENT_MAGIC) {
      throw new CorruptRecordError(`batch at byte ${pos} has unsupported magic ${magic}`);
    }
    if (withCrcs && !isBatchCrcValid(buf, pos)) {
      throw new CorruptRecordError(`batch at byte ${pos} failed its CRC check`);
    }
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    if (lastOffsetDelta < 0) {
      throw new InvalidRecordError(`batch at byte ${pos} has negative lastOffsetDelta`);
    }
    const baseOffset = readInt64(buf, pos);
    if (leader) {
      const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
      if (count <= 0 || lastOffsetDelta !== count - 1) {
        throw new InvalidRecordError(
          `batch at byte ${pos} has ${count} records but lastOffsetDelta ${lastOffsetDelta}`,
        );
      }
    } else {
      if (baseOffset < nextExpected) {
        throw new InvalidRecordError(`out of order offsets: batch baseOffset ${baseOffset} < expected ${nextExpected}`);
      }
      nextExpected = baseOffset + lastOffsetDelta + 1;
    }
    metas.push({
      pos,
      size,
      baseOffset,
      lastOffsetDelta,
      maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
      partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    });
    pos += size;
  }
  return metas;
}

/** Throws CorruptRecordError, naming the first batch of `metas` in `buf` whose CRC does not match. */
export function checkCrcs(buf: Buffer, metas: readonly BatchMeta[]): void {
  for (const m of metas) {
    if (!isBatchCrcValid(buf, m.pos)) throw new CorruptRecordError(`batch at byte ${m.pos} failed its CRC check`);
  }
}

/**
 * Leader append: gives the batches of `metas` in `buf` their offsets from `baseOffset` on (each
 * baseOffset rewritten in place, outside the CRC), the leader epoch if given, and with
 * `logAppendTimeMs` >= 0 that time (and a new CRC). Returns the offset after them and the
 * largest batch maxTimestamp.
 */
export function stampBatches(
  buf: Buffer,
  metas: BatchMeta[],
  baseOffset: number,
  epoch: number | undefined,
  logAppendTimeMs: number,
): { endOffset: number; maxTimestamp: number } {
  let offset = baseOffset;
  let maxTimestamp = -1;
  for (const m of metas) {
    writeInt64(buf, offset, m.pos); // no BigInt per batch
    m.baseOffset = offset;
    if (epoch !== undefined) setPartitionLeaderEpoch(buf, epoch, m.pos);
    if (logAppendTimeMs >= 0) stampLogAppendTime(buf, m, logAppendTimeMs);
    if (m.maxTimestamp > maxTimestamp) maxTimestamp = m.maxTimestamp;
    offset += m.lastOffsetDelta + 1;
  }
  return { endOffset: offset, maxTimestamp };
}

/** message.timestamp.type=LogAppendTime: the broker's clock becomes the batch's timestamp (new CRC). */
export function stampLogAppendTime(buf: Buffer, m: BatchMeta, nowMs: number): void {
  buf.writeInt16BE(buf.readInt16BE(m.pos + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, m.pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, nowMs, m.pos + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, m.pos), m.pos + CRC_OFFSET);
  m.maxTimestamp = nowMs;
}
