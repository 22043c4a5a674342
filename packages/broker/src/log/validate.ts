// Validates a produce request's record set by batch headers and CRC only (no per-record work):
// magic 2, batchLength consistent with the buffer, CRC-32C over attributes..end, size limits.
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  isBatchCrcValid,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
} from "@gregor/protocol";
import { ErrorCode } from "../errors.js";

export interface BatchesInfo {
  /** Start positions of each batch in the buffer. */
  positions: number[];
  /** Sum of (lastOffsetDelta + 1) over the batches. */
  offsetCount: number;
}

export interface ValidationFailure {
  errorCode: number;
  message: string;
}

export function validateBatches(buf: Buffer, maxMessageBytes: number): BatchesInfo | ValidationFailure {
  const positions: number[] = [];
  let offsetCount = 0;
  let pos = 0;
  if (buf.length === 0) return { errorCode: ErrorCode.INVALID_RECORD, message: "empty record set" };
  while (pos < buf.length) {
    if (buf.length - pos < RECORD_BATCH_OVERHEAD)
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: "truncated record batch header" };
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== CURRENT_MAGIC)
      return {
        errorCode: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
        message: `record batch magic ${magic} is not supported (v2 only)`,
      };
    const size = LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (size < RECORD_BATCH_OVERHEAD || pos + size > buf.length)
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: "record batch length does not match the record set" };
    if (size > maxMessageBytes)
      return {
        errorCode: ErrorCode.MESSAGE_TOO_LARGE,
        message: `record batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`,
      };
    if (!isBatchCrcValid(buf, pos))
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: "record batch CRC mismatch" };
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
    const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
    if (lastOffsetDelta < 0 || count < 0 || (count === 0 && (buf.readInt16BE(pos + ATTRIBUTES_OFFSET) & 0x20) === 0)) {
      return {
        errorCode: ErrorCode.INVALID_RECORD,
        message: "record batch with no records or a negative offset delta",
      };
    }
    positions.push(pos);
    offsetCount += lastOffsetDelta + 1;
    pos += size;
  }
  return { positions, offsetCount };
}
