// A partition log: an ordered list of segments, the active one last (internal/local-log.ts). Appends
// take internal/log-appender.ts (validated and offset-stamped synchronously, so offsets follow call
// order) into the group-commit writer (internal/group-writer.ts), which also runs every other
// operation in order after them; internal/flush-policy.ts decides when written data is fsynced.
import type { CompactOptions, CompactionStats } from "./cleaner/cleaner.js";
import { LogCompaction, type CompactedLog } from "./cleaner/log-compaction.js";
import { parseCleanerCheckpoint, type CleanableRange } from "./cleaner/plan.js";
import {
  NOOP_LOGGER,
  changedConfigKeys,
  resolveConfig,
  type LogConfig,
  type LogOptions,
  type Logger,
} from "./config.js";
import { OffsetOutOfRangeError } from "./errors.js";
import type { LeaderEpochCache } from "./leader-epoch-cache.js";
import type { OffsetAndTimestamp } from "./list-offsets.js";
import type { AppendListener, AppendOptions, AppendResult, ReadResult } from "./log-types.js";
import { CLEANER_CHECKPOINT, CheckpointFiles, readText } from "./internal/checkpoint.js";
import { loadLog } from "./internal/loader.js";
import { LocalLog } from "./internal/local-log.js";
import { FlushPolicy } from "./internal/flush-policy.js";
import type { AppendTarget } from "./internal/append-target.js";
import { GroupWriter } from "./internal/group-writer.js";
import { LogAppender } from "./internal/log-appender.js";
import { LogState } from "./internal/log-state.js";
import {
  applyRetention,
  deleteRecordsBefore,
  truncateFullyAndStartAt,
  truncateTo,
  type TruncatedLog,
} from "./internal/log-truncation.js";
import { join } from "node:path";
import { TailCache } from "./internal/tail-cache.js";

const EMPTY_READ: ReadResult = Object.freeze({ buffers: [], bytes: 0, firstOffset: -1 }) as ReadResult;

export class Log {
  readonly dir: string;
  /** The current config (read on every decision); change it with updateConfig. */
  readonly config: Readonly<LogConfig>;
  readonly leaderEpochCache: LeaderEpochCache;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly local: LocalLog;
  private readonly state: LogState;
  private readonly cache: TailCache;
  private readonly writer: GroupWriter;
  private readonly appender: LogAppender;
  private readonly flushPolicy: FlushPolicy;
  private readonly listeners = new Set<AppendListener>();
  private background = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private readonly checkpoints: CheckpointFiles;
  private readonly compaction: LogCompaction;
  private readonly onWriteFailure: ((error: unknown) => void) | undefined;

  private constructor(
    dir: string,
    config: LogConfig,
    options: LogOptions,
    loaded: Awaited<ReturnType<typeof loadLog>>,
  ) {
    this.dir = dir;
    this.config = config;
    this.logger = options.logger ?? NOOP_LOGGER;
    this.clock = options.clock ?? Date.now;
    this.local = new LocalLog(dir, config, this.logger, loaded.segments);
    this.state = new LogState(dir, loaded, this.local.active.nextOffset);
    this.leaderEpochCache = loaded.leaderEpochCache;
    this.cache = new TailCache(config.tailCacheBytes, () => this.state.logEndOffset);
    const flushLater = (): void => void this.flush().catch(() => {});
    this.flushPolicy = new FlushPolicy(config, this.state, this.local, flushLater, this.clock());
    this.writer = new GroupWriter(this.appendTarget(), config.maxQueuedAppendBytes);
    this.appender = new LogAppender({
      config,
      state: this.state,
      leaderEpochCache: this.leaderEpochCache,
      cache: this.cache,
      writer: this.writer,
      clock: this.clock,
      beforeAppend: options.beforeAppend,
      admitAppend: options.admitAppend,
    });
    this.onWriteFailure = options.onWriteFailure;
    this.checkpoints = new CheckpointFiles(dir);
    this.compaction = new LogCompaction(this.compactedLog());
  }

  /** Opens (creating if needed) the partition log in `dir`, recovering it if it was not closed cleanly. */
  static async open(dir: string, options: LogOptions = {}): Promise<Log> {
    const config = resolveConfig(options);
    const logger = options.logger ?? NOOP_LOGGER;
    const loaded = await loadLog(dir, config, logger, (options.clock ?? Date.now)());
    const log = new Log(dir, config, options, loaded);
    const cleaner = parseCleanerCheckpoint(await readText(join(dir, CLEANER_CHECKPOINT)));
    if (cleaner !== undefined) log.compaction.restore(cleaner, log.state.logEndOffset);
    await log.writeCheckpoints();
    return log;
  }

  get logStartOffset(): number {
    return this.state.logStartOffset;
  }

  /** One past the last offset written (appends still queued are not included). */
  get logEndOffset(): number {
    return this.state.logEndOffset;
  }

  get recoveryPoint(): number {
    return this.state.recoveryPoint;
  }

  /** Base offset of the active segment (it changes when the log rolls). */
  get activeSegmentBaseOffset(): number {
    return this.local.active.baseOffset;
  }

  get activeSegmentBytes(): number {
    return this.local.active.size;
  }

  get segmentCount(): number {
    return this.local.segments.length;
  }

  get sizeInBytes(): number {
    return this.local.sizeInBytes;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.local.segments.map((s) => s.baseOffset);
  }

  /**
   * Runtime topic config change (AlterConfigs / IncrementalAlterConfigs): validates the merged
   * config, then applies it in place; the previous config is kept when validation throws
   * (RangeError). Takes effect for the next decision of each kind: size and time rolls on the
   * next append (segment.bytes, segment.ms; segment.index.bytes for segments created later),
   * max.message.bytes on the next append, flush.messages / flush.ms on the next append or now
   * (a changed flush.ms re-arms the flush timer), retention.* and cleanup.policy on the next
   * applyRetention / compaction pass, message.timestamp.type on the next append. Bounds of the
   * tail cache and the append queue are resized immediately.
   */
  updateConfig(partial: Partial<LogConfig>): void {
    this.state.ensureOpen();
    const next = resolveConfig(partial, this.config);
    const previous = { ...this.config };
    Object.assign(this.config, next);
    if (next.tailCacheBytes !== previous.tailCacheBytes) this.cache.resize(next.tailCacheBytes);
    if (next.maxQueuedAppendBytes !== previous.maxQueuedAppendBytes) this.writer.resizeQueue(next.maxQueuedAppendBytes);
    if (next.flushMs !== previous.flushMs) this.flushPolicy.cancelTimer();
    if (next.flushMs !== previous.flushMs || next.flushMessages !== previous.flushMessages) {
      const now = this.clock();
      void this.serial(() => this.flushPolicy.maybeFlush(now)).catch(() => {});
    }
    this.logger.info({ dir: this.dir, changed: changedConfigKeys(previous, next) }, "log config updated");
  }

  /**
   * Sets (or clears) the beforeAppend hook of LogOptions on an open log: the broker attaches a
   * partition's producer state once it has loaded it from its snapshot and the log.
   */
  setBeforeAppend(hook: LogOptions["beforeAppend"]): void {
    this.appender.setBeforeAppend(hook);
  }

  /** Calls `listener(logEndOffset)` after each group of appends is written. Returns an unsubscribe. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Leader append: validates `records` (whole v2 batches), assigns offsets by rewriting each
   * baseOffset in place, stamps the leader epoch, and resolves once written (and fsynced if the
   * flush policy says so). `records` is rewritten in place: leave it unchanged until the promise
   * settles; the log keeps no reference to it afterwards (with the tail cache on it is copied, and
   * written from the copy, before append returns), unless `options.transfer` hands it over.
   */
  append(records: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    return this.appender.append(records, options);
  }

  /**
   * Follower append: keeps the offsets already in the batches (they must be >= the log end
   * offset and increasing) and records their partitionLeaderEpoch in the epoch cache.
   */
  appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.appender.appendAsFollower(records);
  }

  /**
   * A new leader's epoch starts at `startOffset` (Kafka's maybeAssignEpochStartOffset, KIP-101):
   * recorded in the epoch cache and its checkpoint, after every queued append.
   */
  assignEpochStartOffset(epoch: number, startOffset: number): Promise<void> {
    return this.serial(async () => {
      if (this.leaderEpochCache.assign(epoch, startOffset)) await this.writeEpochCheckpoint();
    });
  }

  /** Runs `fn` after every earlier operation, with all queued appends written first. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.writer.serial(fn);
  }

  private appendTarget(): AppendTarget {
    return {
      config: this.config,
      state: this.state,
      local: this.local,
      flushPolicy: this.flushPolicy,
      clock: this.clock,
      roll: (baseOffset, nowMs) => this.roll(baseOffset, nowMs),
      writeEpochCheckpoint: () => this.writeEpochCheckpoint(),
      fail: (e) => {
        this.goOffline(e, "log write failed");
        // Acknowledged data stays readable; the torn tail goes (issue 13).
        this.track(this.local.active.cutBackUncommitted());
        this.onWriteFailure?.(e);
      },
      appended: (logEndOffset) => {
        for (const listener of this.listeners) {
          try {
            listener(logEndOffset);
          } catch (e) {
            this.logger.error({ dir: this.dir, err: String(e) }, "append listener threw");
          }
        }
      },
    };
  }

  /** Starts a new active segment at `baseOffset`; the old one is fsynced in the background. */
  private async roll(baseOffset: number, now: number): Promise<void> {
    const old = await this.local.roll(baseOffset, now);
    if (old === undefined) return;
    const state = this.state;
    const truncations = state.truncations;
    this.track(
      old.flush().then(async () => {
        if (truncations === state.truncations && baseOffset > state.recoveryPoint && state.failure === undefined) {
          state.recoveryPoint = Math.min(baseOffset, state.logEndOffset);
          await this.writeCheckpoints();
        }
      }),
    );
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((e) => this.logger.error({ dir: this.dir, err: String(e) }, "background log task failed"));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  /** fsyncs everything written so far, advances the recovery point and checkpoints it. */
  flush(): Promise<void> {
    this.state.ensureOpen();
    return this.serial(async () => {
      await this.flushPolicy.flushSegments(this.clock());
      await this.writeCheckpoints();
    });
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (the first batch is returned
   * even if larger), never a batch reaching `maxOffset` (exclusive; e.g. the high watermark).
   * Throws OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  async read(offset: number, maxBytes: number, maxOffset = Infinity): Promise<ReadResult> {
    const cached = this.readCached(offset, maxBytes, maxOffset);
    if (cached !== undefined) return cached;
    return (await this.local.read(offset, maxBytes, Math.min(maxOffset, this.state.logEndOffset))) ?? EMPTY_READ;
  }

  /**
   * `read`, answered synchronously when the tail cache (or the log end) answers it; undefined
   * when the batches must be read from the file (call `read`). Throws as `read` does.
   */
  readCached(offset: number, maxBytes: number, maxOffset = Infinity): ReadResult | undefined {
    this.state.ensureReadable();
    const logEndOffset = this.state.logEndOffset;
    if (offset < this.state.logStartOffset || offset > logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.state.logStartOffset, logEndOffset);
    }
    const upper = Math.min(maxOffset, logEndOffset);
    if (offset >= upper) return EMPTY_READ;
    const cached = this.cache.read(offset, maxBytes, upper);
    return cached !== undefined && cached.buffers.length > 0 ? cached : undefined;
  }

  /**
   * ListOffsets: -2 earliest, -1 latest, -3 max timestamp, otherwise the first record with
   * timestamp >= target. Undefined when no record qualifies.
   */
  async fetchOffsetByTimestamp(targetTimestamp: number): Promise<OffsetAndTimestamp | undefined> {
    this.state.ensureReadable();
    return this.local.offsetByTimestamp(targetTimestamp, {
      logStartOffset: this.state.logStartOffset,
      logEndOffset: this.state.logEndOffset,
      epochCache: this.leaderEpochCache,
    });
  }

  /** Shorthand for fetchOffsetByTimestamp with a real timestamp. */
  offsetForTimestamp(timestampMs: number): Promise<OffsetAndTimestamp | undefined> {
    return this.fetchOffsetByTimestamp(timestampMs);
  }

  /**
   * Removes every batch whose last offset is >= `offset` (replication divergence). Batches are
   * removed whole, so the log end offset becomes the base offset of the first removed batch
   * (which is `offset` itself when it is a batch boundary): the log ends where its files end,
   * and a reopen (clean or not) finds the same log end offset. Below `logStartOffset`, or when
   * the first removed batch starts below it, the log is emptied and restarts at `offset`
   * (respectively at logStartOffset).
   */
  truncateTo(offset: number): Promise<void> {
    this.state.ensureOpen();
    return this.serial(() => truncateTo(this.truncatedLog(), offset));
  }

  /**
   * Empties the log and restarts it at `offset` (log start = log end = offset): a follower whose
   * log ends below the leader's log start offset starts over there (Kafka's truncateFullyAndStartAt).
   */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    this.state.ensureOpen();
    return this.serial(() => truncateFullyAndStartAt(this.truncatedLog(), offset));
  }

  /** DeleteRecords: moves logStartOffset up to `offset` and deletes segments wholly below it. */
  deleteRecordsBefore(offset: number): Promise<number> {
    this.state.ensureOpen();
    return this.serial(() => deleteRecordsBefore(this.truncatedLog(), offset));
  }

  /**
   * Deletes whole segments past retention.ms / retention.bytes (only when cleanup.policy includes
   * `delete`) or below the log start offset (always). Only segments entirely below `highWatermark`
   * (default: the log end offset) are eligible. Returns the number of segments deleted.
   */
  applyRetention(nowMs: number, highWatermark?: number): Promise<number> {
    this.state.ensureOpen();
    return this.serial(() => applyRetention(this.truncatedLog(), nowMs, highWatermark ?? this.state.logEndOffset));
  }

  private truncatedLog(): TruncatedLog {
    return {
      config: this.config,
      state: this.state,
      local: this.local,
      cache: this.cache,
      compaction: this.compaction,
      leaderEpochCache: this.leaderEpochCache,
      clock: this.clock,
      writeCheckpoints: () => this.writeCheckpoints(),
      writeEpochCheckpoint: () => this.writeEpochCheckpoint(),
    };
  }

  /** Flushes, writes indexes and checkpoints, marks a clean shutdown and closes the files. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.state.closing = true;
    const compaction = this.compaction.stop();
    this.closing = compaction.then(() =>
      this.serial(async () => {
        this.state.closed = true;
        this.flushPolicy.cancelTimer();
        await Promise.all(this.background);
        if (this.state.failure === undefined) {
          await this.flushPolicy.flushSegments(this.clock());
          await this.local.active.writeIndexes();
          await this.writeEpochCheckpoint();
          await this.writeCheckpoints();
          await this.checkpoints.markCleanShutdown(this.state.logEndOffset);
        }
        await this.local.close();
      }),
    );
    return this.closing;
  }

  /**
   * How much of the log a compaction pass would clean now: the dirty range (from the cleaner
   * checkpoint to the first uncleanable segment: the active one, one reaching the high watermark,
   * or one younger than min.compaction.lag.ms) and its dirty ratio.
   */
  cleanableRange(nowMs: number, highWatermark?: number): CleanableRange {
    return this.compaction.range(nowMs, highWatermark);
  }

  /**
   * One compaction pass (cleanup.policy compact or compact,delete; with `delete` only nothing is
   * done): keeps the latest record per key below the first uncleanable offset, drops tombstones
   * whose delete.retention.ms has passed since a pass first covered them, keeps offsets. Runs
   * beside appends and reads; only the swap of each cleaned segment group is serialized with
   * them. Passes on one log run one at a time.
   */
  compact(nowMs: number, options: CompactOptions = {}): Promise<CompactionStats> {
    this.state.ensureOpen();
    return this.compaction.run(nowMs, options);
  }

  private compactedLog(): CompactedLog {
    return {
      dir: this.dir,
      config: this.config,
      logger: this.logger,
      local: this.local,
      checkpoints: this.checkpoints,
      state: this.state,
      serial: (fn) => this.serial(fn),
      evictCachedBelow: (offset) => this.cache.evictBelow(offset),
      fail: (e) => this.goOffline(e, "segment swap failed"),
    };
  }

  /** A write or a segment swap failed: every later operation fails with LogClosedError. */
  private goOffline(error: unknown, what: string): void {
    this.state.failure = error;
    this.logger.error({ dir: this.dir, err: String(error) }, `${what}: log is offline`);
  }

  private writeCheckpoints(): Promise<void> {
    return this.checkpoints.writeLog({
      recoveryPoint: this.state.recoveryPoint,
      logStartOffset: this.state.logStartOffset,
    });
  }

  private async writeEpochCheckpoint(): Promise<void> {
    this.state.epochDirty = false;
    await this.checkpoints.writeLeaderEpochs(this.leaderEpochCache.serialize());
  }
}
