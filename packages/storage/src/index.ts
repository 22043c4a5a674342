export { Log } from "./log.js";
export type { AppendOptions, AppendResult, AppendListener, ReadResult } from "./log.js";
export { LogManager } from "./log-manager.js";
export type { LogManagerOptions, TopicPartition } from "./log-manager.js";
export { DEFAULT_LOG_CONFIG, type LogConfig, type LogOptions, type Logger, type TimestampType } from "./config.js";
export {
  LeaderEpochCache,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
  type EpochEntry,
  type EpochEndOffset,
} from "./leader-epoch-cache.js";
export {
  StorageError,
  MessageTooLargeError,
  RecordListTooLargeError,
  CorruptRecordError,
  InvalidRecordError,
  OffsetOutOfRangeError,
  LogClosedError,
  type StorageErrorCode,
} from "./errors.js";
export {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type OffsetAndTimestamp,
} from "./list-offsets.js";
