// Rewriting one record batch for compaction: keep the records the cleaner retains, with their
// offsets (baseOffset and lastOffsetDelta of the original batch are preserved, as are the
// producer id/epoch/base sequence and the leader epoch), re-encode with the batch's codec and a
// fresh CRC. A batch that keeps nothing is dropped, or becomes an empty batch (header only) when
// it is the last batch of a producer (producer state).
// No node: imports.
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  TimestampType,
  computeBatchCrc,
  encodeRecordBatchAsync,
  type DecodedRecord,
  type DecodedRecordBatch,
  type RecordInput,
} from "@gregor/protocol";

/** An empty batch with the header facts of the batch at `pos` (offset range kept, no records). */
export function emptyBatchLike(buf: Buffer, pos: number): Buffer {
  const out = Buffer.alloc(RECORD_BATCH_OVERHEAD);
  buf.copy(out, 0, pos, pos + RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt16BE(out.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_CODEC_MASK, ATTRIBUTES_OFFSET);
  out.writeInt32BE(0, RECORDS_COUNT_OFFSET);
  out.writeUInt32BE(computeBatchCrc(out, 0), CRC_OFFSET);
  return out;
}

/** Re-encodes `batch` with only `kept` (a non-empty subset of its records, in order). */
export async function rebuildBatch(batch: DecodedRecordBatch, kept: readonly DecodedRecord[]): Promise<Buffer> {
  const records: RecordInput[] = kept.map((r) => ({
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestamp: r.timestamp,
    offsetDelta: r.offsetDelta,
  }));
  const logAppendTime = batch.timestampType === TimestampType.LogAppendTime;
  const out = await encodeRecordBatchAsync({
    baseOffset: batch.baseOffset,
    records,
    compression: batch.compression,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    transactional: batch.isTransactional,
    isControl: batch.isControl,
    timestampType: batch.timestampType,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    ...(logAppendTime ? { maxTimestamp: Number(batch.maxTimestamp) } : {}),
  });
  // Keep the batch's offset range: its last offset stays the same even if its last record went.
  if (out.readInt32BE(LAST_OFFSET_DELTA_OFFSET) !== batch.lastOffsetDelta) {
    out.writeInt32BE(batch.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
    out.writeUInt32BE(computeBatchCrc(out, 0), CRC_OFFSET);
  }
  return out;
}
