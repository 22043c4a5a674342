// Opening a partition log: find segments, trust indexes after a clean shutdown, otherwise
// recover from the recovery point (validate each batch, truncate a torn/corrupt tail, rebuild
// indexes), and reconcile the checkpoints.
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../config.js";
import { LeaderEpochCache } from "../leader-epoch-cache.js";
import {
  CLEAN_SHUTDOWN_MARKER,
  LEADER_EPOCH_CHECKPOINT,
  LOG_CHECKPOINT,
  parseLogCheckpoint,
  readText,
  removeIfExists,
} from "./checkpoint.js";
import { LogSegment, type SegmentConfig } from "./segment.js";
import { completeInterruptedSwaps } from "./swap-recovery.js";

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: number;
  recoveryPoint: number;
  leaderEpochCache: LeaderEpochCache;
  hadCleanShutdown: boolean;
  /** Whether the leader epoch cache differs from its checkpoint file. */
  epochCacheChanged: boolean;
}

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

export async function loadLog(dir: string, config: SegmentConfig, logger: Logger, nowMs: number): Promise<LoadedLog> {
  await mkdir(dir, { recursive: true });
  await completeInterruptedSwaps(dir, logger);
  const names = await readdir(dir);
  const logBases = new Set<number>();
  const indexBases = new Set<number>();
  for (const name of names) {
    const m = SEGMENT_FILE.exec(name);
    if (m === null) continue;
    const base = Number(m[1]);
    (m[2] === "log" ? logBases : indexBases).add(base);
  }
  for (const base of indexBases) {
    if (!logBases.has(base)) {
      await removeIfExists(dir, `${String(base).padStart(20, "0")}.index`);
      await removeIfExists(dir, `${String(base).padStart(20, "0")}.timeindex`);
    }
  }
  const hadCleanShutdown = (await readText(join(dir, CLEAN_SHUTDOWN_MARKER))) !== undefined;
  const checkpoint = parseLogCheckpoint(await readText(join(dir, LOG_CHECKPOINT)));
  const leaderEpochCache = await loadEpochCache(dir, logger);
  const bases = [...logBases].sort((a, b) => a - b);
  const segments = await Promise.all(bases.map((b) => LogSegment.open(dir, b, config)));
  const trustAll = hadCleanShutdown && checkpoint !== undefined;
  const recoveryPoint = checkpoint?.recoveryPoint ?? 0;
  if (!trustAll && segments.length > 0) {
    logger.warn({ dir, recoveryPoint }, "log was not cleanly shut down: recovering segments after the recovery point");
  }

  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    const belowRecoveryPoint = next !== undefined && next.baseOffset <= recoveryPoint;
    if (trustAll || belowRecoveryPoint) {
      if (await seg.loadIndexes(next?.baseOffset ?? Infinity)) continue;
      logger.warn({ dir, segment: seg.baseOffset }, "index missing or corrupt: rebuilding it from the log");
    }
    const { truncatedBytes, problem } = await seg.recover((h) => {
      if (h.partitionLeaderEpoch > (leaderEpochCache.latestEpoch ?? -1)) {
        leaderEpochCache.assign(h.partitionLeaderEpoch, h.baseOffset);
      }
    });
    if (next !== undefined && seg.size > 0) await seg.writeIndexes();
    if (truncatedBytes > 0 || problem !== undefined) {
      const dropped = segments.splice(i + 1);
      const droppedBytes = dropped.reduce((sum, s) => sum + s.size, 0);
      for (const s of dropped) await s.delete();
      logger.warn(
        {
          dir,
          segment: seg.baseOffset,
          truncatedBytes,
          problem,
          droppedSegments: dropped.length,
          droppedSegmentBytes: droppedBytes,
        },
        `recovery truncated ${truncatedBytes + droppedBytes} bytes of log at offset ${seg.nextOffset}: ${problem ?? "invalid data"}`,
      );
    }
  }

  let logStartOffset = checkpoint?.logStartOffset ?? 0;
  if (segments.length === 0) segments.push(await LogSegment.create(dir, logStartOffset, config, nowMs));
  const logEndOffset = segments[segments.length - 1]!.nextOffset;
  logStartOffset = Math.min(Math.max(logStartOffset, segments[0]!.baseOffset), logEndOffset);
  let epochCacheChanged = leaderEpochCache.truncateFromEnd(logEndOffset);
  epochCacheChanged = leaderEpochCache.truncateFromStart(logStartOffset) || epochCacheChanged;
  await removeIfExists(dir, CLEAN_SHUTDOWN_MARKER);
  return {
    segments,
    logStartOffset,
    recoveryPoint: trustAll ? logEndOffset : Math.min(recoveryPoint, logEndOffset),
    leaderEpochCache,
    hadCleanShutdown,
    epochCacheChanged: epochCacheChanged || !trustAll,
  };
}

async function loadEpochCache(dir: string, logger: Logger): Promise<LeaderEpochCache> {
  const text = await readText(join(dir, LEADER_EPOCH_CHECKPOINT));
  if (text === undefined) return new LeaderEpochCache();
  try {
    return LeaderEpochCache.parse(text);
  } catch (e) {
    logger.warn({ dir, err: String(e) }, "leader-epoch-checkpoint unreadable: rebuilding from the log");
    return new LeaderEpochCache();
  }
}
