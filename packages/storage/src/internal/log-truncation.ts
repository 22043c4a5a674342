// Truncation and segment deletion of a partition log (Kafka's UnifiedLog truncateTo,
// truncateFullyAndStartAt, deleteOldSegments, maybeIncrementLogStartOffset). Each runs on the
// log's serial chain: no append is half-written meanwhile.
import type { LogCompaction } from "../cleaner/log-compaction.js";
import { deletionEnabled, type LogConfig } from "../config.js";
import { OffsetOutOfRangeError } from "../errors.js";
import type { LeaderEpochCache } from "../leader-epoch-cache.js";
import type { LocalLog } from "./local-log.js";
import type { LogState } from "./log-state.js";
import type { TailCache } from "./tail-cache.js";

/** What truncation and retention change of their log. */
export interface TruncatedLog {
  readonly config: Readonly<LogConfig>;
  readonly state: LogState;
  readonly local: LocalLog;
  readonly cache: TailCache;
  readonly compaction: LogCompaction;
  readonly leaderEpochCache: LeaderEpochCache;
  clock(): number;
  writeCheckpoints(): Promise<void>;
  writeEpochCheckpoint(): Promise<void>;
}

/** Log.truncateTo, on the serial chain. */
export async function truncateTo(log: TruncatedLog, offset: number): Promise<void> {
  const state = log.state;
  if (offset >= state.logEndOffset) {
    // Kafka's UnifiedLog.truncateTo: a no-op still drops epochs starting at the log end — a leader
    // that recorded its epoch's start and appended nothing, now a follower, would otherwise keep
    // sending that epoch as lastFetchedEpoch and never converge (KIP-101/595).
    if (log.leaderEpochCache.truncateFromEnd(state.logEndOffset)) await log.writeEpochCheckpoint();
    return;
  }
  state.truncations++;
  log.cache.clear();
  if (offset < state.logStartOffset) {
    await truncateFullyAndStartAt(log, offset);
    return;
  }
  await log.local.truncateTo(offset);
  // The on-disk end: the first removed batch may have started before `offset`.
  const newEnd = log.local.active.nextOffset;
  if (newEnd < state.logStartOffset) {
    // Every batch at or above logStartOffset is gone and the files end below it: restart
    // empty at logStartOffset so that the log start and end agree on disk too.
    await truncateFullyAndStartAt(log, state.logStartOffset);
    return;
  }
  state.logEndOffset = state.nextOffset = newEnd;
  state.recoveryPoint = Math.min(state.recoveryPoint, newEnd);
  await log.compaction.truncate(newEnd);
  if (log.leaderEpochCache.truncateFromEnd(newEnd)) await log.writeEpochCheckpoint();
  await log.writeCheckpoints();
}

/** Log.truncateFullyAndStartAt, on the serial chain: the log becomes empty at `offset`. */
export async function truncateFullyAndStartAt(log: TruncatedLog, offset: number): Promise<void> {
  const state = log.state;
  state.truncations++;
  log.cache.clear();
  await log.compaction.truncate(0);
  await log.local.replaceAllWith(offset, log.clock());
  state.logStartOffset = state.logEndOffset = state.nextOffset = state.recoveryPoint = offset;
  log.leaderEpochCache.clear();
  await log.writeEpochCheckpoint();
  await log.writeCheckpoints();
}

/** Log.deleteRecordsBefore, on the serial chain: returns the new log start offset. */
export async function deleteRecordsBefore(log: TruncatedLog, offset: number): Promise<number> {
  const state = log.state;
  if (offset > state.logEndOffset) throw new OffsetOutOfRangeError(offset, state.logStartOffset, state.logEndOffset);
  if (offset > state.logStartOffset) {
    state.logStartOffset = offset;
    if (log.leaderEpochCache.truncateFromStart(offset)) await log.writeEpochCheckpoint();
    log.cache.evictBelow(offset);
    await deleteOldSegments(log, log.clock(), Infinity, true);
    await log.writeCheckpoints();
  }
  return state.logStartOffset;
}

/** Log.applyRetention, on the serial chain: returns the number of segments deleted. */
export async function applyRetention(log: TruncatedLog, nowMs: number, highWatermark: number): Promise<number> {
  const deleted = await deleteOldSegments(log, nowMs, highWatermark, false);
  if (deleted > 0) await log.writeCheckpoints();
  return deleted;
}

async function deleteOldSegments(
  log: TruncatedLog,
  nowMs: number,
  highWatermark: number,
  logStartOnly: boolean,
): Promise<number> {
  const { config, state } = log;
  const { count } = await log.local.deleteOldSegments({
    nowMs,
    retentionMs: logStartOnly || !deletionEnabled(config) ? -1 : config.retentionMs,
    retentionBytes: logStartOnly || !deletionEnabled(config) ? -1 : config.retentionBytes,
    logStartOffset: state.logStartOffset,
    logEndOffset: state.logEndOffset,
    highWatermark: Math.min(highWatermark, state.logEndOffset),
  });
  const first = log.local.segments[0]!;
  if (count > 0 && first.baseOffset > state.logStartOffset) {
    state.logStartOffset = first.baseOffset;
    if (log.leaderEpochCache.truncateFromStart(state.logStartOffset)) await log.writeEpochCheckpoint();
  }
  return count;
}
