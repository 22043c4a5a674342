export { Log } from "./log.js";
export type { AppendOptions, AppendResult, AppendListener, ReadResult } from "./log-types.js";
export { LogManager } from "./log-manager.js";
export { DiskSpace, type DiskSpaceOptions } from "./internal/disk-space.js";
export {
  acquireDirLock,
  DataDirLockedError,
  LOCK_FILE,
  type DirLock,
  type DirLockOptions,
} from "./internal/dir-lock.js";
export { validateBatches, type BatchMeta, type ValidateLimits } from "./internal/batch.js";
export { LogCleaner, type LogCleanerOptions, type CleaningResult } from "./cleaner/log-cleaner.js";
export type { CompactionStats, CompactOptions } from "./cleaner/cleaner.js";
export type { CleanableRange } from "./cleaner/plan.js";
export type { OffsetMapLimits } from "./cleaner/offset-map.js";
export type { LogManagerOptions, TopicPartition } from "./log-manager.js";
export {
  DEFAULT_LOG_CONFIG,
  type LogConfig,
  type LogOptions,
  type Logger,
  type TimestampType,
  type CleanupPolicy,
} from "./config.js";
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
  LogDirOfflineError,
  LogOfflineError,
  DiskSpaceError,
  isReportedStorageError,
  type StorageErrorCode,
} from "./errors.js";
export {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type OffsetAndTimestamp,
} from "./list-offsets.js";
