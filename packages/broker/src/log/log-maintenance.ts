// Background log maintenance, as Kafka's LogManager schedules it: a retention pass over every
// partition each `log.retention.check.interval.ms` (segments past retention.ms / retention.bytes,
// for cleanup.policy delete or compact,delete), and the log cleaner for compacted topics
// (`__consumer_offsets` included): rounds back to back while some log is dirty enough
// (min.cleanable.dirty.ratio / max.compaction.lag.ms), `log.cleaner.backoff.ms` apart otherwise.
// In-memory logs (":memory:") have retention only.
import { LogCleaner, type CompactionStats, type Log } from "@gregor/storage";
import type { BrokerModule, BrokerServices } from "../services.js";

export const LOG_MAINTENANCE_MODULE = "log-maintenance";

export interface CleanedPartition {
  topic: string;
  partition: number;
  stats: CompactionStats;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class LogMaintenance {
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private retentionRun: Promise<number> | null = null;
  private cleanerRun: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly cleaner: LogCleaner;
  /** Storage log -> its topic-partition (for logs and metrics). */
  private readonly names = new WeakMap<Log, { topic: string; partition: number }>();

  constructor(private readonly services: BrokerServices) {
    this.cleaner = new LogCleaner({ logs: () => this.storageLogs(), clock: services.clock });
  }

  start(): void {
    const c = this.services.config;
    this.retentionTimer = setInterval(
      () => void this.runRetention(),
      Math.min(c["log.retention.check.interval.ms"], MAX_TIMER_MS),
    );
    this.retentionTimer.unref();
    if (c["log.cleaner.enable"]) this.scheduleCleaner(Math.min(c["log.cleaner.backoff.ms"], MAX_TIMER_MS));
  }

  private *storageLogs(): Generator<Log> {
    for (const t of this.services.topics.all()) {
      for (const p of t.partitions) {
        const log = p.log?.storage;
        if (log === undefined) continue;
        this.names.set(log, { topic: t.name, partition: p.index });
        yield log;
      }
    }
  }

  /** One retention pass over every partition (one at a time); resolves to the segments deleted. */
  runRetention(nowMs = this.services.clock()): Promise<number> {
    this.retentionRun ??= (async () => {
      let deleted = 0;
      try {
        for (const t of this.services.topics.all()) {
          for (const p of t.partitions) {
            if (this.closed) return deleted;
            try {
              deleted += (await p.log?.applyRetention?.(nowMs)) ?? 0;
            } catch (err) {
              this.services.logger.error({ err, topic: t.name, partition: p.index }, "retention failed");
            }
          }
        }
        this.services.metrics.retentionSegmentsDeleted += deleted;
        if (deleted > 0) this.services.logger.info({ segments: deleted }, "retention deleted segments");
        return deleted;
      } finally {
        this.retentionRun = null;
      }
    })();
    return this.retentionRun;
  }

  private scheduleCleaner(delayMs: number): void {
    if (this.closed) return;
    this.cleanerTimer = setTimeout(
      () => {
        this.cleanerTimer = null;
        const run = this.cleaner.cleanOnce(this.services.clock()).then(
          (r) => {
            if (r !== undefined) this.account(r.log, r.stats);
            this.scheduleCleaner(
              r === undefined || r.stats.skipped !== undefined ? this.services.config["log.cleaner.backoff.ms"] : 0,
            );
          },
          (err: unknown) => {
            this.services.logger.error({ err }, "log cleaner round failed");
            this.scheduleCleaner(this.services.config["log.cleaner.backoff.ms"]);
          },
        );
        this.cleanerRun = run;
      },
      Math.min(delayMs, MAX_TIMER_MS),
    );
    this.cleanerTimer.unref();
  }

  private account(log: Log, stats: CompactionStats): void {
    if (stats.skipped !== undefined) return;
    this.services.metrics.cleanerRuns++;
    this.services.metrics.cleanerBytesRemoved += Math.max(0, stats.bytesBefore - stats.bytesAfter);
    this.services.logger.info(
      {
        ...this.names.get(log),
        recordsRemoved: stats.recordsRemoved,
        bytesBefore: stats.bytesBefore,
        bytesAfter: stats.bytesAfter,
        segmentsCleaned: stats.segmentsCleaned,
      },
      "log cleaner pass",
    );
  }

  /**
   * Compacts every partition of every compacted topic once now, whatever its dirty ratio (tests and
   * operators). The active segment is never cleaned, as in Kafka.
   */
  async runCleaner(nowMs = this.services.clock()): Promise<CleanedPartition[]> {
    const out: CleanedPartition[] = [];
    const previous = this.cleanerRun;
    const run = (async () => {
      await previous.catch(() => {});
      for (const log of [...this.storageLogs()]) {
        if (log.config.cleanupPolicy === "delete") continue;
        const stats = await log.compact(nowMs);
        this.account(log, stats);
        out.push({ ...this.names.get(log)!, stats });
      }
    })();
    this.cleanerRun = run;
    await run;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    if (this.cleanerTimer !== null) clearTimeout(this.cleanerTimer);
    this.retentionTimer = null;
    this.cleanerTimer = null;
    await Promise.all([this.retentionRun?.catch(() => 0), this.cleanerRun.catch(() => {})]);
  }
}

export const logMaintenanceModule: BrokerModule<LogMaintenance> = {
  name: LOG_MAINTENANCE_MODULE,
  start(services) {
    const m = new LogMaintenance(services);
    m.start();
    return m;
  },
  close: (m) => m.close(),
};
