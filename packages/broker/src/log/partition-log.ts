// What the broker needs from a partition log. Implemented over @gregor/storage (storage-log.ts) and
// by an in-memory log (memory-log.ts) used for `log.dirs=:memory:`-style tests.
import type { Log } from "@gregor/storage";
import type { TopicLogConfig } from "../config/topic-config.js";
import type { PartitionProducerState } from "../producer-state/producer-state.js";

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless message.timestamp.type=LogAppendTime. */
  logAppendTimeMs: number;
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export interface PartitionLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * Offsets below it are committed (on every ISR member); consumers read only below it. Starts at
   * the log end offset when the log is opened; the partition's leader or follower moves it with
   * setHighWatermark.
   */
  readonly highWatermark: number;
  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]. */
  setHighWatermark(offset: number): void;
  /**
   * The high watermark follows the log end offset from now on: a leader whose ISR can only be
   * itself (a single-replica partition) commits each append at once, with no work per append.
   */
  followLogEnd(): void;
  /**
   * A new leader's epoch starts at `startOffset` (Kafka's maybeAssignEpochStartOffset, KIP-101):
   * recorded in the leader-epoch cache (and its checkpoint) before any batch of the epoch exists.
   */
  assignEpochStartOffset(epoch: number, startOffset: number): Promise<void>;
  readonly latestEpoch: number;
  /** The storage engine's log when there is one (compaction runs on it); absent for in-memory logs. */
  readonly storage?: Log;
  /** Idempotent producers' state, kept current by every append and truncation (absent: in-memory logs). */
  readonly producerState?: PartitionProducerState;
  /** Deletes segments past retention.ms / retention.bytes; returns the count deleted. */
  applyRetention?(nowMs: number): Promise<number>;
  /**
   * Appends one produce request's record set (one or more v2 batches). Validates it with the storage
   * engine's validateBatches (framing, magic, CRC, sizes) and rejects bad input with an error whose
   * `code` is Kafka's error name. Rewrites baseOffset in place.
   */
  append(records: Buffer, leaderEpoch: number): Promise<AppendResult>;
  /**
   * Follower append (replication): the batches keep the offsets and leader epochs the leader gave
   * them (validated, CRC checked); their first offset must be the log end offset.
   */
  appendAsFollower(records: Buffer): Promise<AppendResult>;
  /** Removes every batch from the one containing `offset` on (a no-op at or past the log end). */
  truncateTo(offset: number): Promise<void>;
  /** Empties the log and restarts it at `offset` (a follower behind the leader's log start). */
  truncateFullyAndStartAt(offset: number): Promise<void>;
  /**
   * Whole batches starting at the one containing `offset`, up to maxBytes (at least one batch if
   * minOneBatch), none reaching `maxOffset` (exclusive; consumers pass the high watermark).
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, maxOffset?: number): Buffer[] | Promise<Buffer[]>;
  /** First offset whose batch max timestamp >= timestamp (ListOffsets), null if none. */
  offsetForTimestamp(timestamp: number): TimestampOffset | null | Promise<TimestampOffset | null>;
  /** The batch with the largest timestamp (ListOffsets MAX_TIMESTAMP), null if empty. */
  maxTimestampOffset(): TimestampOffset | null | Promise<TimestampOffset | null>;
  /** End offset of `epoch` (OffsetForLeaderEpoch), [-1,-1] if unknown. */
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number };
  /** DeleteRecords: moves logStartOffset forward. */
  deleteRecordsBefore(offset: number): Promise<number>;
  updateConfig(config: TopicLogConfig): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Closes and removes the partition's files. */
  delete(): Promise<void>;
}

export type LogErrorCode =
  | "MESSAGE_TOO_LARGE"
  | "RECORD_LIST_TOO_LARGE"
  | "CORRUPT_MESSAGE"
  | "OFFSET_OUT_OF_RANGE"
  | "INVALID_RECORD"
  | "KAFKA_STORAGE_ERROR";

export class LogError extends Error {
  constructor(
    readonly code: LogErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface LogFactory {
  /** Opens (creating or recovering) the log of a partition under the data dir. */
  open(topic: string, partition: number, config: TopicLogConfig): Promise<PartitionLog>;
  /** Partition directories found on disk (for recovery checks). */
  close(): Promise<void>;
}
