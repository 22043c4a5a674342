// The append paths of a partition log. Appends are validated and offset-stamped synchronously (so
// offsets follow call order), copied into the tail cache, then handed to the group-commit writer.
// A lone large append (the writer idle) is the exception: its write starts before its CRCs are
// checked, so the check overlaps the write; it takes its offsets only once the check passed.
import type { LogConfig } from "../config.js";
import { InvalidRecordError } from "../errors.js";
import type { LeaderEpochCache } from "../leader-epoch-cache.js";
import type { AppendOptions, AppendResult } from "../log-types.js";
import { checkCrcs, stampBatches, validateBatches, type BatchMeta } from "./batch.js";
import type { GroupWriter } from "./group-writer.js";
import type { LogState } from "./log-state.js";
import { SYNC_WRITE_MAX_BYTES } from "./segment.js";
import type { TailCache } from "./tail-cache.js";

/** What the append paths use of their log. */
export interface AppenderParts {
  readonly config: Readonly<LogConfig>;
  readonly state: LogState;
  readonly leaderEpochCache: LeaderEpochCache;
  readonly cache: TailCache;
  readonly writer: GroupWriter;
  clock(): number;
  /** LogOptions.beforeAppend: sees each append's stamped records before they are queued. */
  beforeAppend: ((records: Buffer, firstOffset: number) => void) | undefined;
  /** LogOptions.admitAppend: may refuse an append by its size (free-space floor). */
  readonly admitAppend: ((bytes: number) => void) | undefined;
}

export class LogAppender {
  private readonly parts: AppenderParts;

  constructor(parts: AppenderParts) {
    this.parts = parts;
  }

  /** Sets (or clears) the beforeAppend hook (a producer state attached after the log opened). */
  setBeforeAppend(hook: ((records: Buffer, firstOffset: number) => void) | undefined): void {
    this.parts.beforeAppend = hook;
  }

  /** Leader append (Log.append). */
  append(records: Buffer, options: AppendOptions): Promise<AppendResult> {
    try {
      const { state, config, writer } = this.parts;
      state.ensureOpen();
      this.parts.admitAppend?.(records.length);
      // A large append's CRCs may be checked while it is written (appendCheckingWhileWriting).
      const large = records.length > SYNC_WRITE_MAX_BYTES;
      const metas = validateBatches(records, config, true, !large);
      if (large) {
        const started = this.appendCheckingWhileWriting(records, metas, options);
        if (started !== undefined) return started;
        checkCrcs(records, metas);
      }
      const wait = writer.waitForRoom();
      if (wait === undefined) return this.assignAndEnqueue(records, metas, options);
      return wait.then(() => {
        state.ensureOpen();
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
    const { state, config, writer, leaderEpochCache } = this.parts;
    const epoch = options.leaderEpoch;
    if (config.messageTimestampType !== "CreateTime") return undefined;
    if (epoch !== undefined && epoch > (leaderEpochCache.latestEpoch ?? -1)) return undefined; // epoch checkpoint first
    const baseOffset = state.nextOffset;
    const { endOffset: offset, maxTimestamp } = stampBatches(records, metas, baseOffset, epoch, -1);
    const write = writer.startUnchecked(records, offset - 1, maxTimestamp);
    if (write === undefined) return undefined;
    try {
      checkCrcs(records, metas);
      this.parts.beforeAppend?.(records, baseOffset);
    } catch (e) {
      write.abandon();
      return Promise.reject(e);
    }
    state.nextOffset = offset;
    this.parts.cache.add(records, metas, options.transfer === true);
    return write.commit(metas, { baseOffset, lastOffset: offset - 1, maxTimestamp, logAppendTimeMs: -1 });
  }

  private assignAndEnqueue(records: Buffer, metas: BatchMeta[], options: AppendOptions): Promise<AppendResult> {
    const { state, leaderEpochCache } = this.parts;
    const epoch = options.leaderEpoch;
    const logAppendTimeMs = this.parts.config.messageTimestampType === "LogAppendTime" ? this.parts.clock() : -1;
    const baseOffset = state.nextOffset;
    const { endOffset: offset, maxTimestamp } = stampBatches(records, metas, baseOffset, epoch, logAppendTimeMs);
    this.parts.beforeAppend?.(records, baseOffset);
    if (epoch !== undefined && epoch > (leaderEpochCache.latestEpoch ?? -1)) {
      state.epochDirty = leaderEpochCache.assign(epoch, baseOffset) || state.epochDirty;
    }
    state.nextOffset = offset;
    return this.enqueue(
      records,
      metas,
      { baseOffset, lastOffset: offset - 1, maxTimestamp, logAppendTimeMs },
      options.transfer === true,
    );
  }

  /** Follower append (Log.appendAsFollower). */
  async appendAsFollower(records: Buffer): Promise<AppendResult> {
    const { state, leaderEpochCache } = this.parts;
    state.ensureOpen();
    this.parts.admitAppend?.(records.length);
    const metas = validateBatches(records, this.parts.config, false);
    await this.parts.writer.waitForRoom();
    state.ensureOpen();
    const first = metas[0]!;
    if (first.baseOffset < state.nextOffset) {
      throw new InvalidRecordError(
        `follower append at offset ${first.baseOffset} below log end offset ${state.nextOffset}`,
      );
    }
    let maxTimestamp = -1;
    for (const m of metas) {
      if (m.maxTimestamp > maxTimestamp) maxTimestamp = m.maxTimestamp;
      if (m.partitionLeaderEpoch > (leaderEpochCache.latestEpoch ?? -1)) {
        state.epochDirty = leaderEpochCache.assign(m.partitionLeaderEpoch, m.baseOffset) || state.epochDirty;
      }
    }
    const last = metas[metas.length - 1]!;
    const lastOffset = last.baseOffset + last.lastOffsetDelta;
    this.parts.beforeAppend?.(records, first.baseOffset);
    state.nextOffset = lastOffset + 1;
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
    const cached = this.parts.cache.add(buf, metas, transfer);
    return this.parts.writer.push(cached ?? buf, metas, result);
  }
}
