// A partition log: an ordered list of segments, the active one last. Appends are validated and
// offset-stamped synchronously (so offsets follow call order), then handed to the group-commit
// writer (internal/group-writer.ts), which also runs every other operation in order after them.
// A lone large append (the writer idle) is the exception: its write starts before its CRCs are
// checked, so the check overlaps the write; it takes its offsets only once the check passed.
import type { CompactOptions, CompactionStats } from "./cleaner/cleaner.js";
import { LogCompaction, type CompactedLog } from "./cleaner/log-compaction.js";
import { parseCleanerCheckpoint, type CleanableRange } from "./cleaner/plan.js";
import {
  NOOP_LOGGER,
  changedConfigKeys,
  deletionEnabled,
  resolveConfig,
  type LogConfig,
  type LogOptions,
  type Logger,
} from "./config.js";
import { InvalidRecordError, LogClosedError, OffsetOutOfRangeError } from "./errors.js";
import type { LeaderEpochCache } from "./leader-epoch-cache.js";
import type { OffsetAndTimestamp } from "./list-offsets.js";
import type { AppendListener, AppendOptions, AppendResult, ReadResult } from "./log-types.js";
import { checkCrcs, stampBatches, validateBatches, type BatchMeta } from "./internal/batch.js";
import { CLEANER_CHECKPOINT, CheckpointFiles, readText } from "./internal/checkpoint.js";
import { loadLog } from "./internal/loader.js";
import { LocalLog } from "./internal/local-log.js";
import { GroupWriter, type GroupWriterHost } from "./internal/group-writer.js";
import { SYNC_WRITE_MAX_BYTES } from "./internal/segment.js";
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
  private readonly beforeAppend: ((records: Buffer, firstOffset: number) => void) | undefined;
  private readonly local: LocalLog;
  private startOffset: number;
  private endOffset: number;
  /** Next offset to assign; > endOffset while appends are queued. */
  private nextOffset: number;
  private recoveryOffset: number;
  private readonly cache: TailCache;
  private readonly writer: GroupWriter;
  private readonly listeners = new Set<AppendListener>();
  private background = new Set<Promise<void>>();
  private epochDirty = false;
  private truncations = 0;
  private lastFlushMs: number;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly checkpoints: CheckpointFiles;
  private failure: unknown;
  private readonly compaction: LogCompaction;

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
    this.beforeAppend = options.beforeAppend;
    this.local = new LocalLog(dir, config, this.logger, loaded.segments);
    this.startOffset = loaded.logStartOffset;
    this.endOffset = this.active.nextOffset;
    this.nextOffset = this.endOffset;
    this.recoveryOffset = loaded.recoveryPoint;
    this.leaderEpochCache = loaded.leaderEpochCache;
    this.epochDirty = loaded.epochCacheChanged;
    this.cache = new TailCache(config.tailCacheBytes, () => this.endOffset);
    this.writer = new GroupWriter(this.writerHost(), config.maxQueuedAppendBytes);
    this.lastFlushMs = this.clock();
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
    if (cleaner !== undefined) log.compaction.restore(cleaner, log.endOffset);
    await log.writeCheckpoints();
    return log;
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  /** One past the last offset written (appends still queued are not included). */
  get logEndOffset(): number {
    return this.endOffset;
  }

  get recoveryPoint(): number {
    return this.recoveryOffset;
  }

  get activeSegmentBytes(): number {
    return this.active.size;
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
    this.ensureOpen();
    const next = resolveConfig(partial, this.config);
    const previous = { ...this.config };
    Object.assign(this.config, next);
    if (next.tailCacheBytes !== previous.tailCacheBytes) this.cache.resize(next.tailCacheBytes);
    if (next.maxQueuedAppendBytes !== previous.maxQueuedAppendBytes) this.writer.resizeQueue(next.maxQueuedAppendBytes);
    if (next.flushMs !== previous.flushMs && this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (next.flushMs !== previous.flushMs || next.flushMessages !== previous.flushMessages) {
      const now = this.clock();
      void this.serial(() => this.maybeFlush(now)).catch(() => {});
    }
    this.logger.info({ dir: this.dir, changed: changedConfigKeys(previous, next) }, "log config updated");
  }

  /** Calls `listener(logEndOffset)` after each group of appends is written. Returns an unsubscribe. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private get active() {
    return this.local.active;
  }

  private ensureOpen(): void {
    if (this.failure !== undefined) throw new LogClosedError(`log ${this.dir} is offline: ${String(this.failure)}`);
    if (this.closed) throw new LogClosedError(`log ${this.dir} is closed`);
  }

  /**
   * Leader append: validates `records` (whole v2 batches), assigns offsets by rewriting each
   * baseOffset in place, stamps the leader epoch, and resolves once written (and fsynced if the
   * flush policy says so). `records` is rewritten in place: leave it unchanged until the promise
   * settles; the log keeps no reference to it afterwards (with the tail cache on it is copied, and
   * written from the copy, before append returns), unless `options.transfer` hands it over.
   */
  append(records: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    try {
      this.ensureOpen();
      // A large append's CRCs may be checked while it is written (appendCheckingWhileWriting).
      const large = records.length > SYNC_WRITE_MAX_BYTES;
      const metas = validateBatches(records, this.config, true, !large);
      if (large) {
        const started = this.appendCheckingWhileWriting(records, metas, options);
        if (started !== undefined) return started;
        checkCrcs(records, metas);
      }
      const wait = this.writer.waitForRoom();
      if (wait === undefined) return this.assignAndEnqueue(records, metas, options);
      return wait.then(() => {
        this.ensureOpen();
        return this.assignAndEnqueue(records, metas, options);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A lone large append (the writer idle): its write starts before its CRCs are checked, which
   * then happens on the event loop while the thread pool writes, instead of before it. Offsets
   * are stamped first but taken (nextOffset) only once the CRCs pass; a bad CRC abandons the
   * write (cut off the file before anything else is written) and takes no offsets. `metas` are
   * validated but for their CRCs. Undefined when this path does not apply: the caller then
   * checks the CRCs and takes the usual path (re-stamping the offsets stamped here).
   */
  private appendCheckingWhileWriting(
    records: Buffer,
    metas: BatchMeta[],
    options: AppendOptions,
  ): Promise<AppendResult> | undefined {
    const epoch = options.leaderEpoch;
    if (this.beforeAppend !== undefined || this.config.messageTimestampType !== "CreateTime") return undefined;
    if (epoch !== undefined && epoch > (this.leaderEpochCache.latestEpoch ?? -1)) return undefined; // epoch checkpoint first
    const baseOffset = this.nextOffset;
    const { endOffset: offset, maxTimestamp } = stampBatches(records, metas, baseOffset, epoch, -1);
    const write = this.writer.startUnchecked(records, offset - 1, maxTimestamp);
    if (write === undefined) return undefined;
    try {
      checkCrcs(records, metas);
    } catch (e) {
      write.abandon();
      return Promise.reject(e);
    }
    this.nextOffset = offset;
    this.cache.add(records, metas, options.transfer === true);
    return write.commit(metas, { baseOffset, lastOffset: offset - 1, maxTimestamp, logAppendTimeMs: -1 });
  }

  private assignAndEnqueue(records: Buffer, metas: BatchMeta[], options: AppendOptions): Promise<AppendResult> {
    const epoch = options.leaderEpoch;
    const logAppendTimeMs = this.config.messageTimestampType === "LogAppendTime" ? this.clock() : -1;
    const baseOffset = this.nextOffset;
    const { endOffset: offset, maxTimestamp } = stampBatches(records, metas, baseOffset, epoch, logAppendTimeMs);
    this.beforeAppend?.(records, baseOffset);
    if (epoch !== undefined && epoch > (this.leaderEpochCache.latestEpoch ?? -1)) {
      this.epochDirty = this.leaderEpochCache.assign(epoch, baseOffset) || this.epochDirty;
    }
    this.nextOffset = offset;
    return this.enqueue(
      records,
      metas,
      { baseOffset, lastOffset: offset - 1, maxTimestamp, logAppendTimeMs },
      options.transfer === true,
    );
  }

  /**
   * Follower append: keeps the offsets already in the batches (they must be >= the log end
   * offset and increasing) and records their partitionLeaderEpoch in the epoch cache.
   */
  async appendAsFollower(records: Buffer): Promise<AppendResult> {
    this.ensureOpen();
    const metas = validateBatches(records, this.config, false);
    await this.writer.waitForRoom();
    this.ensureOpen();
    const first = metas[0]!;
    if (first.baseOffset < this.nextOffset) {
      throw new InvalidRecordError(
        `follower append at offset ${first.baseOffset} below log end offset ${this.nextOffset}`,
      );
    }
    let maxTimestamp = -1;
    for (const m of metas) {
      if (m.maxTimestamp > maxTimestamp) maxTimestamp = m.maxTimestamp;
      if (m.partitionLeaderEpoch > (this.leaderEpochCache.latestEpoch ?? -1)) {
        this.epochDirty = this.leaderEpochCache.assign(m.partitionLeaderEpoch, m.baseOffset) || this.epochDirty;
      }
    }
    const last = metas[metas.length - 1]!;
    const lastOffset = last.baseOffset + last.lastOffsetDelta;
    this.beforeAppend?.(records, first.baseOffset);
    this.nextOffset = lastOffset + 1;
    return this.enqueue(records, metas, {
      baseOffset: first.baseOffset,
      lastOffset,
      maxTimestamp,
      logAppendTimeMs: -1,
    });
  }

  private enqueue(buf: Buffer, metas: BatchMeta[], result: AppendResult, transfer = false): Promise<AppendResult> {
    // Copied into the tail cache now (in offset order) and written from that copy: the caller's
    // buffer dies young instead of living in the queue until the write (and the cache holds no
    // reference to it). A large transferred buffer is cached as it is (see TailCache.add). Reads
    // never see the cached batches before they are written (they stop at logEndOffset).
    const cached = this.cache.add(buf, metas, transfer);
    return this.writer.push(cached ?? buf, metas, result);
  }

  /** Runs `fn` after every earlier operation, with all queued appends written first. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.writer.serial(fn);
  }

  private writerHost(): GroupWriterHost {
    return {
      config: this.config,
      clock: () => this.clock(),
      activeSegment: () => this.active,
      shouldRoll: (append, queuedBytes, nowMs) => this.local.shouldRoll(append, queuedBytes, nowMs),
      roll: (baseOffset, nowMs) => this.roll(baseOffset, nowMs),
      logEndOffset: () => this.endOffset,
      setLogEndOffset: (offset) => {
        this.endOffset = offset;
      },
      inlineWritable: () =>
        this.failure === undefined && !this.closed && this.closing === undefined && !this.epochDirty,
      flushDue: (logEndOffset, nowMs) => this.flushDue(logEndOffset, nowMs),
      scheduleFlush: () => this.scheduleFlushTimer(),
      maybeFlush: (nowMs) => this.maybeFlush(nowMs),
      epochCheckpointPending: () => this.epochDirty,
      writeEpochCheckpoint: () => this.writeEpochCheckpoint(),
      failure: () => this.failure,
      fail: (e) => this.goOffline(e, "log write failed"),
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
    const truncations = this.truncations;
    this.track(
      old.flush().then(async () => {
        if (truncations === this.truncations && baseOffset > this.recoveryOffset && this.failure === undefined) {
          this.recoveryOffset = Math.min(baseOffset, this.endOffset);
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

  /** The flush policy: flush.messages unflushed by `logEndOffset`, or flush.ms since the last flush. */
  private flushDue(logEndOffset: number, now: number): boolean {
    return (
      logEndOffset - this.recoveryOffset >= this.config.flushMessages || now - this.lastFlushMs >= this.config.flushMs
    );
  }

  private async maybeFlush(now: number): Promise<void> {
    if (this.endOffset - this.recoveryOffset <= 0) return;
    if (this.flushDue(this.endOffset, now)) {
      await this.flushSegments(now);
    } else {
      this.scheduleFlushTimer();
    }
  }

  /** With a finite flush.ms, makes sure a flush runs within it. */
  private scheduleFlushTimer(): void {
    if (!Number.isFinite(this.config.flushMs) || this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      if (!this.closed && this.failure === undefined) this.flush().catch(() => {});
    }, this.config.flushMs);
    this.flushTimer.unref();
  }

  private async flushSegments(now: number): Promise<void> {
    const target = this.endOffset;
    await this.local.flushDirty();
    this.recoveryOffset = Math.max(this.recoveryOffset, target);
    this.lastFlushMs = now;
  }

  /** fsyncs everything written so far, advances the recovery point and checkpoints it. */
  flush(): Promise<void> {
    this.ensureOpen();
    return this.serial(async () => {
      await this.flushSegments(this.clock());
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
    return (await this.local.read(offset, maxBytes, Math.min(maxOffset, this.endOffset))) ?? EMPTY_READ;
  }

  /**
   * `read`, answered synchronously when the tail cache (or the log end) answers it; undefined
   * when the batches must be read from the file (call `read`). Throws as `read` does.
   */
  readCached(offset: number, maxBytes: number, maxOffset = Infinity): ReadResult | undefined {
    this.ensureOpen();
    const logEndOffset = this.endOffset;
    if (offset < this.startOffset || offset > logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, logEndOffset);
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
    this.ensureOpen();
    return this.local.offsetByTimestamp(targetTimestamp, {
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
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
    this.ensureOpen();
    return this.serial(async () => {
      if (offset >= this.endOffset) return;
      this.truncations++;
      this.cache.clear();
      if (offset < this.startOffset) {
        await this.truncateFullyAndStartAt(offset);
        return;
      }
      await this.local.truncateTo(offset);
      // The on-disk end: the first removed batch may have started before `offset`.
      const newEnd = this.active.nextOffset;
      if (newEnd < this.startOffset) {
        // Every batch at or above logStartOffset is gone and the files end below it: restart
        // empty at logStartOffset so that the log start and end agree on disk too.
        await this.truncateFullyAndStartAt(this.startOffset);
        return;
      }
      this.endOffset = this.nextOffset = newEnd;
      this.recoveryOffset = Math.min(this.recoveryOffset, newEnd);
      await this.compaction.truncate(newEnd);
      if (this.leaderEpochCache.truncateFromEnd(newEnd)) await this.writeEpochCheckpoint();
      await this.writeCheckpoints();
    });
  }

  private async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.compaction.truncate(0);
    await this.local.replaceAllWith(offset, this.clock());
    this.startOffset = this.endOffset = this.nextOffset = this.recoveryOffset = offset;
    this.leaderEpochCache.clear();
    await this.writeEpochCheckpoint();
    await this.writeCheckpoints();
  }

  /** DeleteRecords: moves logStartOffset up to `offset` and deletes segments wholly below it. */
  deleteRecordsBefore(offset: number): Promise<number> {
    this.ensureOpen();
    return this.serial(async () => {
      if (offset > this.endOffset) throw new OffsetOutOfRangeError(offset, this.startOffset, this.endOffset);
      if (offset > this.startOffset) {
        this.startOffset = offset;
        if (this.leaderEpochCache.truncateFromStart(offset)) await this.writeEpochCheckpoint();
        this.cache.evictBelow(offset);
        await this.deleteOldSegments(this.clock(), Infinity, true);
        await this.writeCheckpoints();
      }
      return this.startOffset;
    });
  }

  /**
   * Deletes whole segments past retention.ms / retention.bytes (only when cleanup.policy includes
   * `delete`) or below the log start offset (always). Only segments entirely below `highWatermark` (default: the log end offset) are eligible.
   * Returns the number of segments deleted.
   */
  applyRetention(nowMs: number, highWatermark?: number): Promise<number> {
    this.ensureOpen();
    return this.serial(async () => {
      const deleted = await this.deleteOldSegments(nowMs, highWatermark ?? this.endOffset, false);
      if (deleted > 0) await this.writeCheckpoints();
      return deleted;
    });
  }

  private async deleteOldSegments(nowMs: number, highWatermark: number, logStartOnly: boolean): Promise<number> {
    const { count } = await this.local.deleteOldSegments({
      nowMs,
      retentionMs: logStartOnly || !deletionEnabled(this.config) ? -1 : this.config.retentionMs,
      retentionBytes: logStartOnly || !deletionEnabled(this.config) ? -1 : this.config.retentionBytes,
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      highWatermark: Math.min(highWatermark, this.endOffset),
    });
    const first = this.local.segments[0]!;
    if (count > 0 && first.baseOffset > this.startOffset) {
      this.startOffset = first.baseOffset;
      if (this.leaderEpochCache.truncateFromStart(this.startOffset)) await this.writeEpochCheckpoint();
    }
    return count;
  }

  /** Flushes, writes indexes and checkpoints, marks a clean shutdown and closes the files. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const compaction = this.compaction.stop();
    this.closing = compaction.then(() =>
      this.serial(async () => {
        this.closed = true;
        if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
        await Promise.all(this.background);
        if (this.failure === undefined) {
          await this.flushSegments(this.clock());
          await this.active.writeIndexes();
          await this.writeEpochCheckpoint();
          await this.writeCheckpoints();
          await this.checkpoints.markCleanShutdown(this.endOffset);
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
    this.ensureOpen();
    return this.compaction.run(nowMs, options);
  }

  private compactedLog(): CompactedLog {
    return {
      dir: this.dir,
      config: this.config,
      logger: this.logger,
      local: this.local,
      checkpoints: this.checkpoints,
      logStartOffset: () => this.startOffset,
      logEndOffset: () => this.endOffset,
      generation: () => this.truncations,
      closed: () => this.closed,
      failed: () => this.failure !== undefined,
      serial: (fn) => this.serial(fn),
      evictCachedBelow: (offset) => this.cache.evictBelow(offset),
      fail: (e) => this.goOffline(e, "segment swap failed"),
    };
  }

  /** A write or a segment swap failed: every later operation fails with LogClosedError. */
  private goOffline(error: unknown, what: string): void {
    this.failure = error;
    this.logger.error({ dir: this.dir, err: String(error) }, `${what}: log is offline`);
  }

  private writeCheckpoints(): Promise<void> {
    return this.checkpoints.writeLog({ recoveryPoint: this.recoveryOffset, logStartOffset: this.startOffset });
  }

  private async writeEpochCheckpoint(): Promise<void> {
    this.epochDirty = false;
    await this.checkpoints.writeLeaderEpochs(this.leaderEpochCache.serialize());
  }
}
