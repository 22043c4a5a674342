// Periodic compaction over every log of a LogManager (Kafka's LogCleaner with one thread): each
// round picks the dirtiest compacted log (pure selection in plan.ts) and runs one pass on it.
import { NOOP_LOGGER, compactionEnabled, type Logger } from "../config.js";
import type { Log } from "../log.js";
import type { CompactOptions, CompactionStats } from "./cleaner.js";
import { selectDirtiest, type CleaningCandidate } from "./plan.js";

export interface LogCleanerOptions {
  /** The logs to consider (e.g. `() => manager.allLogs().map((e) => e.log)`). */
  logs: () => Iterable<Log>;
  logger?: Logger;
  clock?: () => number;
  /** Pause between rounds when nothing was dirty enough (Kafka's log.cleaner.backoff.ms: 15 s). */
  backoffMs?: number;
  compactOptions?: CompactOptions;
}

export interface CleaningResult {
  log: Log;
  stats: CompactionStats;
}

export class LogCleaner {
  private readonly options: LogCleanerOptions;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(options: LogCleanerOptions) {
    this.options = options;
    this.logger = options.logger ?? NOOP_LOGGER;
    this.clock = options.clock ?? Date.now;
  }

  /** Cleans the dirtiest eligible log once; undefined when no log is dirty enough. */
  async cleanOnce(nowMs = this.clock()): Promise<CleaningResult | undefined> {
    const candidates: CleaningCandidate<Log>[] = [];
    for (const log of this.options.logs()) {
      if (!compactionEnabled(log.config)) continue;
      try {
        candidates.push({
          log,
          range: log.cleanableRange(nowMs),
          minCleanableDirtyRatio: log.config.minCleanableDirtyRatio,
        });
      } catch {
        // closed or offline: skip it
      }
    }
    const chosen = selectDirtiest(candidates);
    if (chosen === undefined) return undefined;
    const stats = await chosen.log.compact(nowMs, this.options.compactOptions);
    return { log: chosen.log, stats };
  }

  /** Runs rounds back to back while logs are dirty, pausing `backoffMs` when none is. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.cleanOnce()
        .then((r) => this.schedule(r === undefined ? (this.options.backoffMs ?? 15_000) : 0))
        .catch((e: unknown) => {
          this.logger.error({ err: String(e) }, "log cleaner round failed");
          this.schedule(this.options.backoffMs ?? 15_000);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Stops scheduling and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running.catch(() => {});
  }
}
