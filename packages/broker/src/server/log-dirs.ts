// The health of the broker's log dirs, for DescribeLogDirs, /metrics and the logs: offline after a
// failed write (Kafka's offline log dir, KIP-112: appends refused, reads served), below the
// free-space floor (gregor.storage.min.free.bytes: appends refused until space returns), sizes.
// Registered as the "log-dirs" module of the broker's services (none with log.dirs=:memory:).
import { statfs } from "node:fs/promises";
import type { LogManager } from "@gregor/storage";

export const LOG_DIRS_MODULE = "log-dirs";

export interface LogDirPartition {
  topic: string;
  partition: number;
  sizeBytes: number;
}

export interface LogDirState {
  dir: string;
  /** Why the dir went offline (a write failed); null while online. */
  offlineError: string | null;
  /** Available bytes as last read (the free-space floor re-reads it while appends arrive). */
  freeBytes: number;
  minFreeBytes: number;
  /** Appends are being refused for lack of space. */
  belowMinFree: boolean;
}

export class LogDirs {
  private readonly managers: readonly LogManager[];

  constructor(managers: readonly LogManager[]) {
    this.managers = managers;
  }

  states(): LogDirState[] {
    return this.managers.map((m) => {
      const offline = m.offlineError;
      return {
        dir: m.dataDir,
        offlineError: offline === undefined ? null : String(offline),
        freeBytes: m.diskSpace.freeBytes,
        minFreeBytes: m.diskSpace.minFreeBytes,
        belowMinFree: m.diskSpace.belowMinimum,
      };
    });
  }

  /** The partitions in `dir` with their sizes on disk. */
  partitions(dir: string): LogDirPartition[] {
    const manager = this.managers.find((m) => m.dataDir === dir);
    if (manager === undefined) return [];
    return manager.allLogs().map(({ topicPartition, log }) => ({
      topic: topicPartition.topic,
      partition: topicPartition.partition,
      sizeBytes: log.sizeInBytes,
    }));
  }

  /** The filesystem's size and what is available (DescribeLogDirs v4 totalBytes / usableBytes); -1 unknown. */
  async capacity(dir: string): Promise<{ totalBytes: number; usableBytes: number }> {
    try {
      const s = await statfs(dir);
      return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
    } catch {
      return { totalBytes: -1, usableBytes: -1 };
    }
  }
}
