export * from "./batch-header.js";
export { CorruptRecordError } from "./errors.js";
export {
  TimestampType,
  NO_PRODUCER_ID,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  NO_PARTITION_LEADER_EPOCH,
  NO_TIMESTAMP,
  type RecordBatchInput,
  type RecordBatchFlags,
  type DecodedRecordBatch,
  type DecodeBatchOptions,
  batchAttributes,
  flagsOf,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  checkBatchFrame,
  decodeRecordBatch,
  decodeRecordBatchAsync,
} from "./record-batch.js";
export {
  type RecordInput,
  type RecordHeader,
  type DecodedRecord,
  type DecodedHeader,
  MIN_RECORD_BYTES,
} from "./records.js";
export {
  ControlRecordType,
  type ControlBatchInput,
  encodeControlRecordKey,
  decodeControlRecordKey,
  encodeEndTxnMarker,
  decodeEndTxnMarker,
  controlBatchInput,
  decodeControlRecord,
} from "./control.js";
export { iterateBatches, validBytesPrefix, type BatchView } from "./iterate.js";
export {
  zigzag,
  unzigzag,
  uvarintSize,
  varintSize,
  varlongSize,
  writeUVarint,
  writeVarint,
  writeVarlong,
  readVarint,
  readVarlong,
  RecordCursor,
} from "./varint.js";
