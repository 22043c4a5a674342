// A partition log: an ordered list of segments, the active one last. Appends are validated and
// offset-stamped synchronously (so offsets follow call order), then written by one serial writer
// that group-commits everything queued meanwhile with a single writev.
import { join } from "node:path";
import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  TIMESTAMP_TYPE_MASK,
  computeBatchCrc,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from "@gregor/protocol";
import { NOOP_LOGGER, resolveConfig, type LogConfig, type LogOptions, type Logger } from "./config.js";
import { InvalidRecordError, LogClosedError, OffsetOutOfRangeError } from "./errors.js";
import type { LeaderEpochCache } from "./leader-epoch-cache.js";
import { MAX_RELATIVE_OFFSET, validateBatches, writeInt64, type BatchMeta } from "./internal/batch.js";
import {
  CLEAN_SHUTDOWN_MARKER,
  LEADER_EPOCH_CHECKPOINT,
  LOG_CHECKPOINT,
  serializeLogCheckpoint,
  writeAtomic,
} from "./internal/checkpoint.js";
import { loadLog } from "./internal/loader.js";
import { fetchOffsetByTimestamp, readFromSegments } from "./internal/lookups.js";
import type { OffsetAndTimestamp } from "./list-offsets.js";
import { selectDeletableSegments } from "./internal/retention.js";
import { LogSegment, type WrittenBatch } from "./internal/segment.js";
import { TailCache } from "./internal/tail-cache.js";

export interface AppendOptions {
  /** Leader epoch stamped into every batch's partitionLeaderEpoch (and recorded in the cache). */
  leaderEpoch?: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** Largest batch maxTimestamp of the append. */
  maxTimestamp: number;
  /** The broker time stamped into the batches with LogAppendTime; -1 with CreateTime. */
  logAppendTimeMs: number;
}

export interface ReadResult {
  /** Whole batches, in order; zero-copy views when served from the tail cache. */
  buffers: Buffer[];
  bytes: number;
  /** Base offset of the first batch returned (-1 when empty). */
  firstOffset: number;
}

export type AppendListener = (logEndOffset: number) => void;

interface PendingAppend {
  buf: Buffer;
  metas: BatchMeta[];
  result: AppendResult;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

const EMPTY_READ: ReadResult = Object.freeze({ buffers: [], bytes: 0, firstOffset: -1 }) as ReadResult;

export class Log {
  readonly dir: string;
  readonly config: LogConfig;
  readonly leaderEpochCache: LeaderEpochCache;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly beforeAppend: ((records: Buffer, firstOffset: number) => void) | undefined;
  private segments: LogSegment[];
  private startOffset: number;
  private endOffset: number;
  /** Next offset to assign; > endOffset while appends are queued. */
  private nextOffset: number;
  private recoveryOffset: number;
  private readonly cache: TailCache;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private roomWaiters: (() => void)[] = [];
  private drainScheduled = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<AppendListener>();
  private background = new Set<Promise<void>>();
  private epochDirty = false;
  private truncations = 0;
  private lastFlushMs: number;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private checkpointChain: Promise<unknown> = Promise.resolve();
  private failure: unknown;

  private constructor(dir: string, config: LogConfig, options: LogOptions, loaded: Awaited<ReturnType<typeof loadLog>>) {
    this.dir = dir;
    this.config = config;
    this.logger = options.logger ?? NOOP_LOGGER;
    this.clock = options.clock ?? Date.now;
    this.beforeAppend = options.beforeAppend;
    this.segments = loaded.segments;
    this.startOffset = loaded.logStartOffset;
    this.endOffset = this.active.nextOffset;
    this.nextOffset = this.endOffset;
    this.recoveryOffset = loaded.recoveryPoint;
    this.leaderEpochCache = loaded.leaderEpochCache;
    this.epochDirty = loaded.epochCacheChanged;
    this.cache = new TailCache(config.tailCacheBytes);
    this.lastFlushMs = this.clock();
  }

  /** Opens (creating if needed) the partition log in `dir`, recovering it if it was not closed cleanly. */
  static async open(dir: string, options: LogOptions = {}): Promise<Log> {
    const config = resolveConfig(options);
    const logger = options.logger ?? NOOP_LOGGER;
    const loaded = await loadLog(dir, config, logger, (options.clock ?? Date.now)());
    const log = new Log(dir, config, options, loaded);
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
    return this.segments.length;
  }

  get sizeInBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Calls `listener(logEndOffset)` after each group of appends is written. Returns an unsubscribe. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private ensureOpen(): void {
    if (this.failure !== undefined) throw new LogClosedError(`log ${this.dir} is offline: ${String(this.failure)}`);
    if (this.closed) throw new LogClosedError(`log ${this.dir} is closed`);
  }

  /**
   * Leader append: validates `records` (whole v2 batches), assigns offsets by rewriting each
   * baseOffset in place, stamps the leader epoch, and resolves once written (and fsynced if the
   * flush policy says so). The log takes ownership of `records`: do not reuse it.
   */
  async append(records: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    this.ensureOpen();
    const metas = validateBatches(records, this.config, true);
    await this.waitForRoom();
    this.ensureOpen();
    const logAppendTimeMs = this.config.messageTimestampType === "LogAppendTime" ? this.clock() : -1;
    const epoch = options.leaderEpoch;
    const baseOffset = this.nextOffset;
    let offset = baseOffset;
    let maxTimestamp = -1;
    for (const m of metas) {
      setBaseOffset(records, BigInt(offset), m.pos);
      m.baseOffset = offset;
      if (epoch !== undefined) setPartitionLeaderEpoch(records, epoch, m.pos);
      if (logAppendTimeMs >= 0) stampLogAppendTime(records, m, logAppendTimeMs);
      if (m.maxTimestamp > maxTimestamp) maxTimestamp = m.maxTimestamp;
      offset += m.lastOffsetDelta + 1;
    }
    this.beforeAppend?.(records, baseOffset);
    if (epoch !== undefined && epoch > (this.leaderEpochCache.latestEpoch ?? -1)) {
      this.epochDirty = this.leaderEpochCache.assign(epoch, baseOffset) || this.epochDirty;
    }
    this.nextOffset = offset;
    return this.enqueue(records, metas, { baseOffset, lastOffset: offset - 1, maxTimestamp, logAppendTimeMs });
  }

  /**
   * Follower append: keeps the offsets already in the batches (they must be >= the log end
   * offset and increasing) and records their partitionLeaderEpoch in the epoch cache.
   */
  async appendAsFollower(records: Buffer): Promise<AppendResult> {
    this.ensureOpen();
    const metas = validateBatches(records, this.config, false);
    await this.waitForRoom();
    this.ensureOpen();
    const first = metas[0]!;
    if (first.baseOffset < this.nextOffset) {
      throw new InvalidRecordError(`follower append at offset ${first.baseOffset} below log end offset ${this.nextOffset}`);
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
    return this.enqueue(records, metas, { baseOffset: first.baseOffset, lastOffset, maxTimestamp, logAppendTimeMs: -1 });
  }

  private waitForRoom(): Promise<void> | undefined {
    if (this.pendingBytes < 2 * this.config.maxGroupCommitBytes && this.roomWaiters.length === 0) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private enqueue(buf: Buffer, metas: BatchMeta[], result: AppendResult): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ buf, metas, result, resolve, reject });
      this.pendingBytes += buf.length;
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        void this.serial(async () => {}).catch(() => {});
      }
    });
  }

  /** Runs `fn` after every earlier operation, with all queued appends written first. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      await this.drainPending();
      return fn();
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private async drainPending(): Promise<void> {
    while (this.pending.length > 0) {
      let n = 0;
      let bytes = 0;
      while (n < this.pending.length && (n === 0 || bytes + this.pending[n]!.buf.length <= this.config.maxGroupCommitBytes)) {
        bytes += this.pending[n]!.buf.length;
        n++;
      }
      const group = this.pending.splice(0, n);
      this.pendingBytes -= bytes;
      try {
        await this.writeGroup(group);
      } catch (e) {
        this.goOffline(e, group);
        throw e;
      }
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const w of waiters) w();
    }
    this.drainScheduled = false;
  }

  private goOffline(e: unknown, group: PendingAppend[]): void {
    this.failure = e;
    this.logger.error({ dir: this.dir, err: String(e) }, "log write failed: log is offline");
    for (const p of [...group, ...this.pending]) p.reject(new LogClosedError(`log write failed: ${String(e)}`));
    this.pending = [];
    this.pendingBytes = 0;
    for (const w of this.roomWaiters) w();
    this.roomWaiters = [];
    this.drainScheduled = false;
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const now = this.clock();
    let buffers: Buffer[] = [];
    let batches: WrittenBatch[] = [];
    let bytes = 0;
    let endOffset = this.endOffset;
    const commit = async (): Promise<void> => {
      if (buffers.length === 0) return;
      await this.active.append(buffers, bytes, batches, now);
      buffers = [];
      batches = [];
      bytes = 0;
      this.endOffset = endOffset;
    };
    for (const p of group) {
      if (this.shouldRoll(p, bytes, now)) {
        await commit();
        await this.roll(p.result.baseOffset, now);
      }
      buffers.push(p.buf);
      bytes += p.buf.length;
      for (const m of p.metas) {
        batches.push({ size: m.size, lastOffset: m.baseOffset + m.lastOffsetDelta, maxTimestamp: m.maxTimestamp });
      }
      endOffset = p.result.lastOffset + 1;
      this.cache.add(p.buf, p.result.baseOffset, p.result.lastOffset);
    }
    await commit();
    await this.maybeFlush(now);
    if (this.epochDirty) await this.writeEpochCheckpoint();
    for (const p of group) p.resolve(p.result);
    for (const listener of this.listeners) {
      try {
        listener(this.endOffset);
      } catch (e) {
        this.logger.error({ dir: this.dir, err: String(e) }, "append listener threw");
      }
    }
  }

  /** Kafka's LogSegment.shouldRoll, for an append of `p` after `queuedBytes` not yet written. */
  private shouldRoll(p: PendingAppend, queuedBytes: number, now: number): boolean {
    const seg = this.active;
    if (p.result.lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET) return true;
    const size = seg.size + queuedBytes;
    if (size === 0) return false;
    if (size + p.buf.length > this.config.segmentBytes || seg.isIndexFull) return true;
    const waited = seg.firstBatchTimestamp >= 0 ? p.result.maxTimestamp - seg.firstBatchTimestamp : now - seg.createdMs;
    return waited > this.config.segmentMs;
  }

  /** Starts a new active segment at `baseOffset`; the old one is fsynced in the background. */
  private async roll(baseOffset: number, now: number): Promise<void> {
    const old = this.active;
    if (old.size === 0) {
      this.segments.pop();
      await old.delete();
    } else {
      await old.onBecomeInactive();
    }
    this.segments.push(await LogSegment.create(this.dir, baseOffset, this.config, now));
    this.logger.info({ dir: this.dir, baseOffset }, "rolled new log segment");
    if (old.size > 0) {
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
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((e) => this.logger.error({ dir: this.dir, err: String(e) }, "background log task failed"));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  private async maybeFlush(now: number): Promise<void> {
    const unflushed = this.endOffset - this.recoveryOffset;
    if (unflushed <= 0) return;
    if (unflushed >= this.config.flushMessages || now - this.lastFlushMs >= this.config.flushMs) {
      await this.flushSegments(now);
    } else if (Number.isFinite(this.config.flushMs) && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        if (!this.closed && this.failure === undefined) this.flush().catch(() => {});
      }, this.config.flushMs);
      this.flushTimer.unref();
    }
  }

  private async flushSegments(now: number): Promise<void> {
    const target = this.endOffset;
    for (const seg of this.segments) if (seg.dirty) await seg.flush();
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
    this.ensureOpen();
    const logEndOffset = this.endOffset;
    if (offset < this.startOffset || offset > logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, logEndOffset);
    }
    const upper = Math.min(maxOffset, logEndOffset);
    if (offset >= upper) return EMPTY_READ;
    const cached = this.cache.read(offset, maxBytes, upper);
    if (cached !== undefined && cached.buffers.length > 0) return cached;
    return (await readFromSegments(this.segments, offset, maxBytes, upper)) ?? EMPTY_READ;
  }

  /**
   * ListOffsets: -2 earliest, -1 latest, -3 max timestamp, otherwise the first record with
   * timestamp >= target. Undefined when no record qualifies.
   */
  async fetchOffsetByTimestamp(targetTimestamp: number): Promise<OffsetAndTimestamp | undefined> {
    this.ensureOpen();
    return fetchOffsetByTimestamp(this.segments, targetTimestamp, {
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      epochCache: this.leaderEpochCache,
    });
  }

  /** Shorthand for fetchOffsetByTimestamp with a real timestamp. */
  offsetForTimestamp(timestampMs: number): Promise<OffsetAndTimestamp | undefined> {
    return this.fetchOffsetByTimestamp(timestampMs);
  }

  /** Removes every batch whose last offset is >= `offset` (replication divergence). */
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
      const doomed = this.segments.filter((s) => s.baseOffset > offset);
      this.segments = this.segments.filter((s) => s.baseOffset <= offset);
      for (const s of doomed) await s.delete();
      const dropped = await this.active.truncateTo(offset);
      this.logger.info({ dir: this.dir, offset, droppedBytes: dropped, droppedSegments: doomed.length }, "truncated log");
      this.endOffset = this.nextOffset = offset;
      this.recoveryOffset = Math.min(this.recoveryOffset, offset);
      if (this.leaderEpochCache.truncateFromEnd(offset)) await this.writeEpochCheckpoint();
      await this.writeCheckpoints();
    });
  }

  private async truncateFullyAndStartAt(offset: number): Promise<void> {
    const doomed = this.segments;
    this.segments = [await LogSegment.create(this.dir, offset, this.config, this.clock())];
    for (const s of doomed) if (s.baseOffset !== offset) await s.delete();
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
        await this.deleteOldSegments(this.clock(), Infinity, true);
        await this.writeCheckpoints();
      }
      return this.startOffset;
    });
  }

  /**
   * Deletes whole segments past retention.ms / retention.bytes or below the log start offset.
   * Only segments entirely below `highWatermark` (default: the log end offset) are eligible.
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
    const { count, reason } = selectDeletableSegments(this.segments, {
      nowMs,
      retentionMs: logStartOnly ? -1 : this.config.retentionMs,
      retentionBytes: logStartOnly ? -1 : this.config.retentionBytes,
      logStartOffset: this.startOffset,
      logEndOffset: this.endOffset,
      highWatermark: Math.min(highWatermark, this.endOffset),
    });
    if (count === 0) return 0;
    if (count === this.segments.length) await this.roll(this.endOffset, nowMs);
    const doomed = this.segments.splice(0, count);
    for (const s of doomed) await s.delete();
    const first = this.segments[0]!;
    if (first.baseOffset > this.startOffset) {
      this.startOffset = first.baseOffset;
      if (this.leaderEpochCache.truncateFromStart(this.startOffset)) await this.writeEpochCheckpoint();
    }
    this.logger.info({ dir: this.dir, segments: count, reason, logStartOffset: this.startOffset }, "deleted old log segments");
    return count;
  }

  /** Flushes, writes indexes and checkpoints, marks a clean shutdown and closes the files. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = this.serial(async () => {
      this.closed = true;
      if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
      await Promise.all(this.background);
      if (this.failure === undefined) {
        await this.flushSegments(this.clock());
        await this.active.writeIndexes();
        await this.writeEpochCheckpoint();
        await this.writeCheckpoints();
        await writeAtomic(join(this.dir, CLEAN_SHUTDOWN_MARKER), `${this.endOffset}\n`);
      }
      for (const s of this.segments) await s.close();
    });
    return this.closing;
  }

  /** Writes recoveryPoint and logStartOffset; serialized on its own chain (background rolls use it too). */
  private writeCheckpoints(): Promise<void> {
    const run = this.checkpointChain.then(() =>
      writeAtomic(
        join(this.dir, LOG_CHECKPOINT),
        serializeLogCheckpoint({ recoveryPoint: this.recoveryOffset, logStartOffset: this.startOffset }),
      ),
    );
    this.checkpointChain = run.catch(() => {});
    return run;
  }

  private async writeEpochCheckpoint(): Promise<void> {
    this.epochDirty = false;
    await writeAtomic(join(this.dir, LEADER_EPOCH_CHECKPOINT), this.leaderEpochCache.serialize());
  }
}

/** message.timestamp.type=LogAppendTime: the broker's clock becomes the batch's timestamp. */
function stampLogAppendTime(buf: Buffer, m: BatchMeta, nowMs: number): void {
  buf.writeInt16BE(buf.readInt16BE(m.pos + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, m.pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, nowMs, m.pos + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, m.pos), m.pos + CRC_OFFSET);
  m.maxTimestamp = nowMs;
}

