// One log's side of compaction (what Kafka's LogCleanerManager keeps per log, plus the log's
// replaceSegments): the cleaner checkpoint (first dirty offset, pass history), the passes run on
// the log one at a time, and the swap of each cleaned segment group into the segment list,
// serialized with appends and every other operation through the log's serial chain.
import { compactionEnabled, type LogConfig, type Logger } from "../config.js";
import type { CheckpointFiles } from "../internal/checkpoint.js";
import type { LocalLog } from "../internal/local-log.js";
import type { LogState } from "../internal/log-state.js";
import type { LogSegment } from "../internal/segment.js";
import {
  compactLog,
  noCompaction,
  rangeOf,
  type CompactOptions,
  type CompactionHost,
  type CompactionStats,
} from "./cleaner.js";
import { serializeCleanerCheckpoint, truncatePasses, type CleanableRange, type CleanerCheckpoint } from "./plan.js";

/** What compaction needs from its log (Log builds it over its own parts). */
export interface CompactedLog {
  readonly dir: string;
  /** The live config (cleanup.policy and the compaction settings are read per pass). */
  readonly config: Readonly<LogConfig>;
  readonly logger: Logger;
  readonly local: LocalLog;
  readonly checkpoints: CheckpointFiles;
  /** Offsets and health; `truncations` is the generation: a pass that saw another one does not swap. */
  readonly state: LogState;
  /** Runs `fn` after every earlier operation of the log, with all queued appends written first. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Drops the tail-cache entries below `offset` (they belong to replaced segments). */
  evictCachedBelow(offset: number): void;
  /** A swap failed half-way: takes the log offline with `error`. */
  fail(error: unknown): void;
}

export class LogCompaction {
  private readonly log: CompactedLog;
  private state: CleanerCheckpoint = { firstDirtyOffset: 0, passes: [] };
  private running: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(log: CompactedLog) {
    this.log = log;
  }

  /** Adopts the checkpoint found at open, cut at the log end offset. */
  restore(saved: CleanerCheckpoint, logEndOffset: number): void {
    this.state = {
      firstDirtyOffset: Math.min(saved.firstDirtyOffset, logEndOffset),
      passes: truncatePasses(saved.passes, logEndOffset),
    };
  }

  /** Log.cleanableRange. */
  range(nowMs: number, highWatermark?: number): CleanableRange {
    return rangeOf(this.host(), nowMs, highWatermark);
  }

  /** Log.compact: one pass, after the previous one ended (however it ended). */
  run(nowMs: number, options: CompactOptions): Promise<CompactionStats> {
    const run = this.running
      .catch(() => {})
      .then(async (): Promise<CompactionStats> => {
        if (!compactionEnabled(this.log.config)) {
          return { ...noCompaction(this.state.firstDirtyOffset), skipped: "cleanup.policy=delete" };
        }
        return compactLog(this.host(), nowMs, options);
      });
    this.running = run;
    return run;
  }

  /** After a truncation to `logEndOffset`: forgets what was dirty or cleaned at or above it. */
  async truncate(logEndOffset: number): Promise<void> {
    if (this.state.firstDirtyOffset <= logEndOffset && this.state.passes.every((p) => p.cleanedUpTo <= logEndOffset))
      return;
    this.state = {
      firstDirtyOffset: Math.min(this.state.firstDirtyOffset, logEndOffset),
      passes: truncatePasses(this.state.passes, logEndOffset),
    };
    await this.log.checkpoints.writeCleaner(serializeCleanerCheckpoint(this.state));
  }

  /** No pass continues and no swap happens from now on; settles once the running pass ended. */
  stop(): Promise<unknown> {
    this.stopping = true;
    return this.running.catch(() => {});
  }

  private host(): CompactionHost {
    const log = this.log;
    return {
      dir: log.dir,
      config: log.config,
      logger: log.logger,
      segments: () => log.local.segments,
      logStartOffset: log.state.logStartOffset,
      logEndOffset: log.state.logEndOffset,
      cleanerCheckpoint: () => this.state,
      generation: () => log.state.truncations,
      stopping: () => this.stopping || log.state.closed || log.state.failure !== undefined,
      commit: (old, cleaned, generation) => this.swap(old, cleaned, generation),
      saveCleanerCheckpoint: (c) =>
        log.serial(async () => {
          if (log.state.closed) return;
          this.state = c;
          await log.checkpoints.writeCleaner(serializeCleanerCheckpoint(c));
        }),
    };
  }

  /** Kafka's replaceSegments: `.cleaned` -> `.swap`, old segments -> `.deleted`, `.swap` -> live, delete. */
  private swap(old: readonly LogSegment[], cleaned: LogSegment, generation: number): Promise<boolean> {
    const log = this.log;
    return log.serial(async () => {
      if (log.state.closed || this.stopping || generation !== log.state.truncations) return false;
      const segments = log.local.segments;
      const at = segments.indexOf(old[0]!);
      if (at < 0 || at + old.length >= segments.length || old.some((s, k) => segments[at + k] !== s)) return false;
      try {
        await cleaned.changeSuffix(".swap");
        for (const s of old) await s.changeSuffix(".deleted");
        await cleaned.changeSuffix("");
      } catch (e) {
        log.fail(e);
        throw e;
      }
      segments.splice(at, old.length, cleaned);
      log.evictCachedBelow(segments[at + 1]!.baseOffset);
      for (const s of old) await s.delete();
      return true;
    });
  }
}
