// PartitionLog over @gregor/storage: one LogManager for the data dir, one Log per partition.
import { type Log, LogManager, type LogOptions, MAX_TIMESTAMP } from "@gregor/storage";
import type { Logger } from "pino";
import type { TopicLogConfig } from "../config/topic-config.js";
import { ProducerStateLog } from "../producer-state/producer-state-log.js";
import type { PartitionProducerState } from "../producer-state/producer-state.js";
import type { AppendResult, LogFactory, PartitionLog, TimestampOffset } from "./partition-log.js";

function logOptions(c: TopicLogConfig): Partial<LogOptions> {
  return { ...c }; // TopicLogConfig is a subset of storage's LogConfig, field for field
}

export class StorageLog implements PartitionLog {
  // transfer: a produce request's records are a slice of a frame nobody reuses, so storage may
  // cache a large batch as it is rather than copy it.
  private appendOptions = { leaderEpoch: -1, transfer: true };
  /** -1 until replication first sets it: until then the log end offset (every append committed). */
  private hw = -1;
  constructor(
    /** The storage engine's log (the log cleaner works on it directly). */
    readonly storage: Log,
    private readonly manager: LogManager,
    private readonly topic: string,
    private readonly partition: number,
    /** Idempotent producers' state, persisted beside the segments (producer-state/). */
    private readonly producers: ProducerStateLog,
  ) {}

  get producerState(): PartitionProducerState {
    return this.producers.state;
  }

  get logStartOffset(): number {
    return this.storage.logStartOffset;
  }
  get logEndOffset(): number {
    return this.storage.logEndOffset;
  }
  get highWatermark(): number {
    // Truncation and DeleteRecords move the log's bounds under it.
    const s = this.storage;
    if (this.hw < 0) return s.logEndOffset;
    return Math.max(s.logStartOffset, Math.min(this.hw, s.logEndOffset));
  }
  setHighWatermark(offset: number): void {
    this.hw = Math.max(this.storage.logStartOffset, Math.min(offset, this.storage.logEndOffset));
  }
  followLogEnd(): void {
    this.hw = -1;
  }
  assignEpochStartOffset(epoch: number, startOffset: number): Promise<void> {
    return this.storage.assignEpochStartOffset(epoch, startOffset);
  }
  get latestEpoch(): number {
    return this.storage.leaderEpochCache.latestEpoch ?? -1;
  }

  /** Storage's own promise and result (no wrapper per append on the produce path). */
  append(records: Buffer, leaderEpoch: number): Promise<AppendResult> {
    if (this.appendOptions.leaderEpoch !== leaderEpoch) this.appendOptions = { leaderEpoch, transfer: true };
    return this.storage.append(records, this.appendOptions);
  }

  appendAsFollower(records: Buffer): Promise<AppendResult> {
    return this.storage.appendAsFollower(records);
  }
  async truncateTo(offset: number): Promise<void> {
    await this.storage.truncateTo(offset);
    await this.producers.afterTruncation();
  }
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.storage.truncateFullyAndStartAt(offset);
    await this.producers.afterTruncation(true);
  }

  /** Synchronous when the tail cache answers (a tailing consumer), else a file read. */
  read(offset: number, maxBytes: number, _minOneBatch: boolean, maxOffset = Infinity): Buffer[] | Promise<Buffer[]> {
    const cached = this.storage.readCached(offset, maxBytes, maxOffset);
    if (cached !== undefined) return cached.buffers;
    return this.storage.read(offset, maxBytes, maxOffset).then((r) => r.buffers);
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    return (await this.storage.fetchOffsetByTimestamp(timestamp)) ?? null;
  }

  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    return (await this.storage.fetchOffsetByTimestamp(MAX_TIMESTAMP)) ?? null;
  }

  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return this.storage.leaderEpochCache.endOffsetFor(epoch, this.storage.logEndOffset);
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    const low = await this.storage.deleteRecordsBefore(offset);
    await this.producers.cleanupSnapshots();
    return low;
  }

  updateConfig(config: TopicLogConfig): void {
    // Validated by the broker already; storage applies it to its next decision of each kind.
    this.storage.updateConfig(logOptions(config));
  }

  flush(): Promise<void> {
    return this.storage.flush();
  }
  async close(): Promise<void> {
    await this.storage.close();
    await this.producers.close();
  }
  async delete(): Promise<void> {
    await this.producers.detach();
    await this.manager.deleteLog(this.topic, this.partition);
  }
  async applyRetention(nowMs: number): Promise<number> {
    const deleted = await this.storage.applyRetention(nowMs);
    if (deleted > 0) await this.producers.cleanupSnapshots();
    return deleted;
  }
}

export async function openStorageLogFactory(
  dataDir: string,
  logger: Logger,
  tailCacheBytes?: number,
  minFreeBytes?: number,
): Promise<LogFactory & { manager: LogManager }> {
  const manager = await LogManager.open(dataDir, {
    logger,
    ...(minFreeBytes === undefined ? {} : { minFreeBytes }),
    logOptions: tailCacheBytes === undefined ? {} : { tailCacheBytes },
  });
  return {
    manager,
    async open(topic, partition, config) {
      const existing = manager.getLog(topic, partition);
      if (existing !== undefined) {
        existing.updateConfig(logOptions(config));
        return new StorageLog(existing, manager, topic, partition, await ProducerStateLog.attach(existing, logger));
      }
      const log = await manager.getOrCreateLog(topic, partition, logOptions(config) as LogOptions);
      return new StorageLog(log, manager, topic, partition, await ProducerStateLog.attach(log, logger));
    },
    close: () => manager.close(),
  };
}
