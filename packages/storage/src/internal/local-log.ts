// The segment list of a partition log (Kafka's LocalLog): roll, truncation and deletion of
// segments, flushing, and the file-side reads. Offsets bookkeeping stays in Log.
import type { LogConfig, Logger } from "../config.js";
import type { LeaderEpochCache } from "../leader-epoch-cache.js";
import type { OffsetAndTimestamp } from "../list-offsets.js";
import { MAX_RELATIVE_OFFSET } from "./batch.js";
import { fetchOffsetByTimestamp, readFromSegments, type FileRead } from "./lookups.js";
import { selectDeletableSegments, type RetentionDecision, type RetentionInput } from "./retention.js";
import { LogSegment } from "./segment.js";

export interface RollCheck {
  lastOffset: number;
  bytes: number;
  maxTimestamp: number;
}

export class LocalLog {
  readonly dir: string;
  private readonly config: LogConfig;
  private readonly logger: Logger;
  segments: LogSegment[];

  constructor(dir: string, config: LogConfig, logger: Logger, segments: LogSegment[]) {
    this.dir = dir;
    this.config = config;
    this.logger = logger;
    this.segments = segments;
  }

  get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  get sizeInBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  /** Kafka's LogSegment.shouldRoll for an append after `queuedBytes` not yet written. */
  shouldRoll(append: RollCheck, queuedBytes: number, nowMs: number): boolean {
    const seg = this.active;
    if (append.lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET) return true;
    const size = seg.writeEnd + queuedBytes;
    if (size === 0) return false;
    if (size + append.bytes > this.config.segmentBytes || seg.isIndexFull) return true;
    const waited = seg.firstBatchTimestamp >= 0 ? append.maxTimestamp - seg.firstBatchTimestamp : nowMs - seg.createdMs;
    return waited > this.config.segmentMs;
  }

  /** New active segment at `baseOffset`. Returns the previous one when it holds data (to fsync). */
  async roll(baseOffset: number, nowMs: number): Promise<LogSegment | undefined> {
    const old = this.active;
    if (old.size === 0) {
      this.segments.pop();
      await old.delete();
    } else {
      await old.onBecomeInactive();
    }
    this.segments.push(await LogSegment.create(this.dir, baseOffset, this.config, nowMs));
    this.logger.info({ dir: this.dir, baseOffset }, "rolled new log segment");
    return old.size > 0 ? old : undefined;
  }

  /** Drops every batch whose last offset is >= `offset`. */
  async truncateTo(offset: number): Promise<void> {
    const doomed = this.segments.filter((s) => s.baseOffset > offset);
    this.segments = this.segments.filter((s) => s.baseOffset <= offset);
    for (const s of doomed) await s.delete();
    const droppedBytes = await this.active.truncateTo(offset);
    this.logger.info({ dir: this.dir, offset, droppedBytes, droppedSegments: doomed.length }, "truncated log");
  }

  /** Deletes every segment and starts an empty one at `offset`. */
  async replaceAllWith(offset: number, nowMs: number): Promise<void> {
    const doomed = this.segments;
    this.segments = [await LogSegment.create(this.dir, offset, this.config, nowMs)];
    for (const s of doomed) await (s.baseOffset === offset ? s.retire() : s.delete());
  }

  /** Retention: deletes the oldest deletable segments (rolling first if that is all of them). */
  async deleteOldSegments(input: RetentionInput): Promise<RetentionDecision> {
    const decision = selectDeletableSegments(this.segments, input);
    if (decision.count === 0) return decision;
    if (decision.count === this.segments.length) await this.roll(input.logEndOffset, input.nowMs);
    const doomed = this.segments.splice(0, decision.count);
    for (const s of doomed) await s.delete();
    this.logger.info({ dir: this.dir, segments: decision.count, reason: decision.reason }, "deleted old log segments");
    return decision;
  }

  async flushDirty(): Promise<void> {
    for (const seg of this.segments) if (seg.dirty) await seg.flush();
  }

  read(offset: number, maxBytes: number, upperOffset: number): Promise<FileRead | undefined> {
    return readFromSegments(this.segments, offset, maxBytes, upperOffset);
  }

  offsetByTimestamp(
    target: number,
    ctx: { logStartOffset: number; logEndOffset: number; epochCache: LeaderEpochCache },
  ): Promise<OffsetAndTimestamp | undefined> {
    return fetchOffsetByTimestamp(this.segments, target, ctx);
  }

  async close(): Promise<void> {
    for (const s of this.segments) await s.close();
  }
}
