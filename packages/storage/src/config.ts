// Log configuration: Kafka's topic-level names in camelCase, with Kafka's defaults.

/** pino-compatible logger subset. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type TimestampType = "CreateTime" | "LogAppendTime";

/** cleanup.policy: `delete` (retention), `compact` (keep the last record per key), or both. */
export type CleanupPolicy = "delete" | "compact" | "compact,delete";

export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.index.bytes: max size of one segment's offset/time index; a full index rolls. */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between two sparse index entries. */
  indexIntervalBytes: number;
  /** max.message.bytes: largest accepted batch (bytes, with its 12-byte log overhead). */
  maxMessageBytes: number;
  /** retention.ms; -1 = infinite. */
  retentionMs: number;
  /** retention.bytes; -1 = infinite. */
  retentionBytes: number;
  /** flush.messages: fsync once this many messages are unflushed. Infinity = leave it to the OS. */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed append is this old. Infinity = leave it to the OS. */
  flushMs: number;
  /** message.timestamp.type */
  messageTimestampType: TimestampType;
  /** cleanup.policy ("delete,compact" is accepted and normalized to "compact,delete"). */
  cleanupPolicy: CleanupPolicy;
  /** min.compaction.lag.ms: records younger than this (by batch maxTimestamp) are not compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a log whose oldest dirty record is older is cleaned whatever its dirty ratio. */
  maxCompactionLagMs: number;
  /** delete.retention.ms: how long a tombstone (null value) survives once its segment is cleaned. */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio: dirty bytes / cleanable bytes needed before a log is cleaned. */
  minCleanableDirtyRatio: number;
  /** Bytes of recently appended batches kept in memory for tail reads (0 disables). */
  tailCacheBytes: number;
  /**
   * Bytes written per group-commit writev (at least one append). Two groups are written at once,
   * so appenders validate the next batches while earlier groups are being written; 4 MiB groups
   * keep the thread-pool hand-offs rare under heavy load.
   */
  maxGroupCommitBytes: number;
  /** Bound on appended bytes waiting for the writer; beyond it appends wait, in order. */
  maxQueuedAppendBytes: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1048588,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  flushMessages: Infinity,
  flushMs: Infinity,
  messageTimestampType: "CreateTime",
  cleanupPolicy: "delete",
  minCompactionLagMs: 0,
  maxCompactionLagMs: Infinity,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCleanableDirtyRatio: 0.5,
  tailCacheBytes: 16 * 1024 * 1024,
  maxGroupCommitBytes: 4 * 1024 * 1024,
  maxQueuedAppendBytes: 64 * 1024 * 1024,
});

export interface LogOptions extends Partial<LogConfig> {
  logger?: Logger;
  /** Wall clock, injectable for tests. Defaults to Date.now. */
  clock?: () => number;
  /**
   * Optional producer-state hook: sees each append's buffer after offsets are assigned and
   * before it is queued for writing; throwing rejects the append (no offsets are consumed).
   */
  beforeAppend?: (records: Buffer, firstOffset: number) => void;
  /**
   * Called with each append's size before anything else; throwing refuses the append (the
   * LogManager's free-space floor, gregor.storage.min.free.bytes).
   */
  admitAppend?: (bytes: number) => void;
  /** Told when a write fails and the log goes offline for writes (its LogManager marks the dir). */
  onWriteFailure?: (error: unknown) => void;
}

export function resolveConfig(options: Partial<LogConfig>, base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): LogConfig {
  const config: LogConfig = { ...base };
  for (const key of Object.keys(DEFAULT_LOG_CONFIG) as (keyof LogConfig)[]) {
    const value = options[key];
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value;
  }
  if ((config.cleanupPolicy as string) === "delete,compact") config.cleanupPolicy = "compact,delete";
  validateConfig(config);
  return config;
}

export function compactionEnabled(c: Readonly<LogConfig>): boolean {
  return c.cleanupPolicy !== "delete";
}

export function deletionEnabled(c: Readonly<LogConfig>): boolean {
  return c.cleanupPolicy !== "compact";
}

/** The keys whose values differ between two configs (for the "log config updated" line). */
export function changedConfigKeys(before: Readonly<LogConfig>, after: Readonly<LogConfig>): string[] {
  return (Object.keys(after) as (keyof LogConfig)[]).filter((k) => before[k] !== after[k]);
}

function validateConfig(c: LogConfig): void {
  const check = (ok: boolean, key: string, value: unknown, allowed: string): void => {
    if (!ok) throw new RangeError(`invalid log config ${key}=${String(value)}: ${allowed}`);
  };
  check(
    Number.isInteger(c.segmentBytes) && c.segmentBytes >= 14 && c.segmentBytes <= 0x7fffffff,
    "segmentBytes",
    c.segmentBytes,
    "integer in [14, 2^31-1]",
  );
  check(c.segmentMs >= 1, "segmentMs", c.segmentMs, ">= 1");
  check(
    Number.isInteger(c.segmentIndexBytes) && c.segmentIndexBytes >= 12,
    "segmentIndexBytes",
    c.segmentIndexBytes,
    "integer >= 12",
  );
  check(
    Number.isInteger(c.indexIntervalBytes) && c.indexIntervalBytes >= 0,
    "indexIntervalBytes",
    c.indexIntervalBytes,
    "integer >= 0",
  );
  check(
    Number.isInteger(c.maxMessageBytes) && c.maxMessageBytes >= 0,
    "maxMessageBytes",
    c.maxMessageBytes,
    "integer >= 0",
  );
  check(c.retentionMs === -1 || c.retentionMs >= 0, "retentionMs", c.retentionMs, "-1 or >= 0");
  check(c.retentionBytes === -1 || c.retentionBytes >= 0, "retentionBytes", c.retentionBytes, "-1 or >= 0");
  check(c.flushMessages >= 1, "flushMessages", c.flushMessages, ">= 1");
  check(c.flushMs >= 0, "flushMs", c.flushMs, ">= 0");
  check(
    c.messageTimestampType === "CreateTime" || c.messageTimestampType === "LogAppendTime",
    "messageTimestampType",
    c.messageTimestampType,
    "CreateTime or LogAppendTime",
  );
  check(
    c.cleanupPolicy === "delete" || c.cleanupPolicy === "compact" || c.cleanupPolicy === "compact,delete",
    "cleanupPolicy",
    c.cleanupPolicy,
    "delete, compact or compact,delete",
  );
  check(c.minCompactionLagMs >= 0, "minCompactionLagMs", c.minCompactionLagMs, ">= 0");
  check(
    c.maxCompactionLagMs >= 1 && c.maxCompactionLagMs >= c.minCompactionLagMs,
    "maxCompactionLagMs",
    c.maxCompactionLagMs,
    ">= 1 and >= minCompactionLagMs",
  );
  check(c.deleteRetentionMs >= 0, "deleteRetentionMs", c.deleteRetentionMs, ">= 0");
  check(
    c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1,
    "minCleanableDirtyRatio",
    c.minCleanableDirtyRatio,
    "in [0, 1]",
  );
  check(c.tailCacheBytes >= 0, "tailCacheBytes", c.tailCacheBytes, ">= 0");
  check(c.maxGroupCommitBytes >= 1, "maxGroupCommitBytes", c.maxGroupCommitBytes, ">= 1");
  check(c.maxQueuedAppendBytes >= 1, "maxQueuedAppendBytes", c.maxQueuedAppendBytes, ">= 1");
}

export const NOOP_LOGGER: Logger = { info() {}, warn() {}, error() {} };
