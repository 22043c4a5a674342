// Test helper: builds valid v2 record batches (uncompressed) with a correct CRC-32C.
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  BASE_SEQUENCE_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  computeBatchCrc,
} from "@gregor/protocol";

function zigzagVarint(value: number): number[] {
  let v = BigInt(value);
  v = (v << 1n) ^ (v >> 63n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export interface TestRecord {
  value: Buffer | string | null;
  key?: Buffer | string | null;
  /** Absolute timestamp; defaults to the batch's base timestamp. */
  timestamp?: number;
}

export interface BatchOptions {
  baseOffset?: number;
  baseTimestamp?: number;
  partitionLeaderEpoch?: number;
  attributes?: number;
}

function bytesOf(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? Buffer.from(v) : v;
}

export function makeBatch(records: TestRecord[], options: BatchOptions = {}): Buffer {
  const baseTimestamp = options.baseTimestamp ?? 1_700_000_000_000;
  const encoded: Buffer[] = [];
  let maxTimestamp = baseTimestamp;
  records.forEach((r, i) => {
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const key = bytesOf(r.key);
    const value = bytesOf(r.value);
    const body: number[] = [0, ...zigzagVarint(ts - baseTimestamp), ...zigzagVarint(i)];
    const parts: Buffer[] = [];
    parts.push(Buffer.from(body));
    parts.push(Buffer.from(zigzagVarint(key === null ? -1 : key.length)));
    if (key !== null) parts.push(key);
    parts.push(Buffer.from(zigzagVarint(value === null ? -1 : value.length)));
    if (value !== null) parts.push(value);
    parts.push(Buffer.from(zigzagVarint(0)));
    const recordBody = Buffer.concat(parts);
    encoded.push(Buffer.concat([Buffer.from(zigzagVarint(recordBody.length)), recordBody]));
  });
  const recordsBytes = Buffer.concat(encoded);
  const buf = Buffer.alloc(RECORD_BATCH_OVERHEAD + recordsBytes.length);
  buf.writeBigInt64BE(BigInt(options.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(2, MAGIC_OFFSET);
  buf.writeInt16BE(options.attributes ?? 0, ATTRIBUTES_OFFSET);
  buf.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA_OFFSET);
  buf.writeBigInt64BE(BigInt(baseTimestamp), BASE_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(-1n, PRODUCER_ID_OFFSET);
  buf.writeInt16BE(-1, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(-1, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(records.length, RECORDS_COUNT_OFFSET);
  recordsBytes.copy(buf, RECORD_BATCH_OVERHEAD);
  buf.writeUInt32BE(computeBatchCrc(buf, 0), CRC_OFFSET);
  return buf;
}

/** A batch of `count` records whose values pad the batch to roughly `approxBytes`. */
export function makeSizedBatch(count: number, approxBytes: number, options: BatchOptions = {}): Buffer {
  const per = Math.max(0, Math.floor((approxBytes - RECORD_BATCH_OVERHEAD) / count) - 8);
  const value = Buffer.alloc(per, 0x61);
  return makeBatch(
    Array.from({ length: count }, () => ({ value })),
    options,
  );
}

export interface DecodedBatch {
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  maxTimestamp: number;
  size: number;
}

/** Splits buffers of whole batches into their headers (for assertions). */
export function batchesIn(buffers: Buffer | Buffer[]): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  for (const buf of Array.isArray(buffers) ? buffers : [buffers]) {
    let pos = 0;
    while (pos < buf.length) {
      const size = LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
      const baseOffset = Number(buf.readBigInt64BE(pos));
      out.push({
        baseOffset,
        lastOffset: baseOffset + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
        partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
        maxTimestamp: Number(buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET)),
        size,
      });
      pos += size;
    }
  }
  return out;
}
