// Walks the batches in a buffer of concatenated batches (a log segment slice, a Fetch response's
// records field) reading headers only. A trailing partial batch is normal — brokers cut Fetch
// responses at maxBytes — so iteration just stops there, as Kafka's clients do.
import {
  BATCH_LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  readBatchHeader,
  type RecordBatchHeader,
} from "./batch-header.js";
import { CorruptRecordError } from "./errors.js";

export interface BatchView {
  /** Position of the batch's first byte in the buffer. */
  position: number;
  /** Total bytes: LOG_OVERHEAD + batchLength. */
  sizeInBytes: number;
  header: RecordBatchHeader;
  /** The batch's bytes (a view, not a copy). */
  bytes: Buffer;
}

/**
 * Yields each complete batch in `buf[start, end)`. Stops silently at a truncated tail; throws
 * CorruptRecordError for a batchLength smaller than a header or a magic other than 2.
 */
export function* iterateBatches(buf: Buffer, start = 0, end = buf.length): Generator<BatchView, void, undefined> {
  let pos = start;
  while (end - pos >= LOG_OVERHEAD) {
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      throw new CorruptRecordError(
        `batchLength ${batchLength} is smaller than a batch header`,
        "batchLength",
        pos + BATCH_LENGTH_OFFSET,
      );
    }
    const size = LOG_OVERHEAD + batchLength;
    if (size > end - pos) return;
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== 2) throw new CorruptRecordError(`unsupported magic ${magic}`, "magic", pos + MAGIC_OFFSET);
    yield { position: pos, sizeInBytes: size, header: readBatchHeader(buf, pos), bytes: buf.subarray(pos, pos + size) };
    pos += size;
  }
}

/** Bytes of the complete batches at the start of `buf[start, end)`: where a truncated tail begins. */
export function validBytesPrefix(buf: Buffer, start = 0, end = buf.length): number {
  let pos = start;
  for (const b of iterateBatches(buf, start, end)) pos = b.position + b.sizeInBytes;
  return pos - start;
}
