// Encode and decode whole magic-v2 record batches (KIP-98 layout; see batch-header.ts).
// Sync functions cover none/gzip/snappy/lz4; zstd needs the *Async variants because the zstd
// binding only offers an async API. Decoding validates everything it reads and throws
// CorruptRecordError / CompressionError (both ProtocolDecodeError) on bad bytes.
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  CURRENT_MAGIC,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  computeBatchCrc,
  readBatchHeader,
  type RecordBatchHeader,
} from "./batch-header.js";
import {
  CompressionCodec,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  compress,
  compressSync,
  decompress,
  decompressSync,
  isCompressionCodec,
} from "../compression/codecs.js";
import { CorruptRecordError } from "./errors.js";
import { layoutRecords, readRecords, writeRecords, type DecodedRecord, type RecordInput } from "./records.js";
import { RecordCursor } from "./varint.js";
import { assert } from "../util/assert.js";

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** Kafka's "no producer id / epoch / sequence" sentinels (idempotence off). */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1;

export interface RecordBatchInput {
  baseOffset?: bigint;
  records: readonly RecordInput[];
  compression?: CompressionCodec;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  isControl?: boolean;
  timestampType?: TimestampType;
  partitionLeaderEpoch?: number;
  /** Overrides the computed maxTimestamp (a broker stamping LogAppendTime sets it). */
  maxTimestamp?: number;
}

export interface RecordBatchFlags {
  compression: CompressionCodec;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
}

export interface DecodedRecordBatch extends RecordBatchHeader, RecordBatchFlags {
  records: DecodedRecord[];
}

export interface DecodeBatchOptions {
  /** Check the CRC-32C (default true). */
  verifyCrc?: boolean;
  /** Bound on the decompressed records section (default 128 MiB). */
  maxDecompressedBytes?: number;
}

export function batchAttributes(input: RecordBatchInput): number {
  let a = (input.compression ?? 0) & COMPRESSION_CODEC_MASK;
  if (input.timestampType === TimestampType.LogAppendTime) a |= TIMESTAMP_TYPE_MASK;
  if (input.transactional === true) a |= TRANSACTIONAL_FLAG_MASK;
  if (input.isControl === true) a |= CONTROL_FLAG_MASK;
  return a;
}

export function flagsOf(attributes: number): RecordBatchFlags {
  return {
    compression: (attributes & COMPRESSION_CODEC_MASK) as CompressionCodec,
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_FLAG_MASK) !== 0,
  };
}

interface Prepared {
  baseTimestamp: number;
  layout: ReturnType<typeof layoutRecords>;
}

function prepare(input: RecordBatchInput): Prepared {
  const codec = input.compression ?? 0;
  assert(isCompressionCodec(codec), `unknown compression codec ${codec}`);
  const first = input.records[0];
  const baseTimestamp = first === undefined ? NO_TIMESTAMP : first.timestamp;
  return { baseTimestamp, layout: layoutRecords(input.records, baseTimestamp) };
}

/** Allocates the batch, fills the header around `body` (already in place or copied in) and CRCs it. */
function finish(input: RecordBatchInput, p: Prepared, buf: Buffer): Buffer {
  buf.writeBigInt64BE(input.baseOffset ?? 0n, BASE_OFFSET_OFFSET);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
  buf[MAGIC_OFFSET] = CURRENT_MAGIC;
  buf.writeInt16BE(batchAttributes(input), ATTRIBUTES_OFFSET);
  buf.writeInt32BE(p.layout.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  buf.writeBigInt64BE(BigInt(p.baseTimestamp), BASE_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(BigInt(input.maxTimestamp ?? p.layout.maxTimestamp), MAX_TIMESTAMP_OFFSET);
  buf.writeBigInt64BE(input.producerId ?? NO_PRODUCER_ID, PRODUCER_ID_OFFSET);
  buf.writeInt16BE(input.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(input.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(input.records.length, RECORDS_COUNT_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, 0), CRC_OFFSET);
  return buf;
}

function withCompressedBody(input: RecordBatchInput, p: Prepared, body: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + body.length);
  body.copy(buf, RECORD_BATCH_OVERHEAD);
  return finish(input, p, buf);
}

function uncompressedBody(input: RecordBatchInput, p: Prepared): Buffer {
  const body = Buffer.allocUnsafe(p.layout.totalBytes);
  const end = writeRecords(body, 0, input.records, p.layout, p.baseTimestamp);
  assert(end === body.length, "record sizing and writing disagree");
  return body;
}

/**
 * Builds a batch synchronously. Works for none, gzip, snappy (xerial-framed) and lz4; zstd throws
 * ProtocolEncodeError — use encodeRecordBatchAsync for zstd.
 */
export function encodeRecordBatch(input: RecordBatchInput): Buffer {
  const p = prepare(input);
  const codec = input.compression ?? 0;
  if (codec === CompressionCodec.None) {
    const buf = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + p.layout.totalBytes);
    const end = writeRecords(buf, RECORD_BATCH_OVERHEAD, input.records, p.layout, p.baseTimestamp);
    assert(end === buf.length, "record sizing and writing disagree");
    return finish(input, p, buf);
  }
  return withCompressedBody(input, p, compressSync(codec, uncompressedBody(input, p)));
}

/** Builds a batch with any codec, including zstd. */
export async function encodeRecordBatchAsync(input: RecordBatchInput): Promise<Buffer> {
  const codec = input.compression ?? 0;
  if (codec !== CompressionCodec.Zstd) return encodeRecordBatch(input);
  const p = prepare(input);
  return withCompressedBody(input, p, await compress(codec, uncompressedBody(input, p)));
}

/**
 * Validates the frame of the batch at `pos`: enough bytes, a sane batchLength, magic 2, a known
 * codec and (optionally) the CRC. Returns the header and the end position.
 */
export function checkBatchFrame(buf: Buffer, pos = 0, verifyCrc = true): { header: RecordBatchHeader; end: number } {
  if (buf.length - pos < RECORD_BATCH_OVERHEAD) {
    throw new CorruptRecordError(
      `batch needs ${RECORD_BATCH_OVERHEAD} header bytes, ${buf.length - pos} present`,
      "recordBatch",
      pos,
    );
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD || batchLength > buf.length - pos - LOG_OVERHEAD) {
    throw new CorruptRecordError(
      `batchLength ${batchLength} does not fit the ${buf.length - pos} bytes present`,
      "batchLength",
      pos + BATCH_LENGTH_OFFSET,
    );
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) throw new CorruptRecordError(`unsupported magic ${magic}`, "magic", pos + MAGIC_OFFSET);
  const header = readBatchHeader(buf, pos);
  const end = pos + LOG_OVERHEAD + batchLength;
  if (verifyCrc) {
    const crc = computeBatchCrc(buf, pos);
    if (crc !== header.crc)
      throw new CorruptRecordError(`CRC mismatch: stored ${header.crc}, computed ${crc}`, "crc", pos + CRC_OFFSET);
  }
  if (!isCompressionCodec(header.attributes & COMPRESSION_CODEC_MASK)) {
    throw new CorruptRecordError(
      `unknown compression codec ${header.attributes & COMPRESSION_CODEC_MASK}`,
      "attributes",
      pos + ATTRIBUTES_OFFSET,
    );
  }
  return { header, end };
}

function safeTimestamp(v: bigint, field: string, at: number): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new CorruptRecordError(`${field} ${v} beyond 2^53`, field, at);
  }
  return Number(v);
}

function decodeRecordsOf(header: RecordBatchHeader, flags: RecordBatchFlags, cursor: RecordCursor): DecodedRecord[] {
  const baseTimestamp = safeTimestamp(header.baseTimestamp, "baseTimestamp", BASE_TIMESTAMP_OFFSET);
  const fixed =
    flags.timestampType === TimestampType.LogAppendTime
      ? safeTimestamp(header.maxTimestamp, "maxTimestamp", MAX_TIMESTAMP_OFFSET)
      : null;
  return readRecords(cursor, header.recordsCount, baseTimestamp, fixed);
}

/** Uncompressed records are read in place, so error offsets are positions in `buf`. */
function cursorOver(buf: Buffer, pos: number, end: number, flags: RecordBatchFlags, body: Buffer | null): RecordCursor {
  if (flags.compression === CompressionCodec.None || body === null)
    return new RecordCursor(buf, pos + RECORD_BATCH_OVERHEAD, end);
  return new RecordCursor(body, 0, body.length);
}

function maxBytesOf(options: DecodeBatchOptions): number {
  return options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
}

/** Decodes one batch (at `pos`) with its records; none/gzip/snappy/lz4 only (zstd: use the async form). */
export function decodeRecordBatch(buf: Buffer, pos = 0, options: DecodeBatchOptions = {}): DecodedRecordBatch {
  const { header, end } = checkBatchFrame(buf, pos, options.verifyCrc ?? true);
  const flags = flagsOf(header.attributes);
  const raw = buf.subarray(pos + RECORD_BATCH_OVERHEAD, end);
  const body =
    flags.compression === CompressionCodec.None ? null : decompressSync(flags.compression, raw, maxBytesOf(options));
  return { ...header, ...flags, records: decodeRecordsOf(header, flags, cursorOver(buf, pos, end, flags, body)) };
}

export async function decodeRecordBatchAsync(
  buf: Buffer,
  pos = 0,
  options: DecodeBatchOptions = {},
): Promise<DecodedRecordBatch> {
  const { header, end } = checkBatchFrame(buf, pos, options.verifyCrc ?? true);
  const flags = flagsOf(header.attributes);
  const raw = buf.subarray(pos + RECORD_BATCH_OVERHEAD, end);
  const body =
    flags.compression === CompressionCodec.None ? null : await decompress(flags.compression, raw, maxBytesOf(options));
  return { ...header, ...flags, records: decodeRecordsOf(header, flags, cursorOver(buf, pos, end, flags, body)) };
}
