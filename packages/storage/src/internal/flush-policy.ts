// Kafka's flush policy (flush.messages, flush.ms): when a partition log fsyncs what it wrote and
// moves its recovery point up. The writer asks it after every write; a timer honours flush.ms
// when no further append comes.
import type { LogConfig } from "../config.js";
import type { LocalLog } from "./local-log.js";
import type { LogState } from "./log-state.js";

export class FlushPolicy {
  private readonly config: Readonly<LogConfig>;
  private readonly state: LogState;
  private readonly local: LocalLog;
  private readonly onTimer: () => void;
  private lastFlushMs: number;
  private timer: NodeJS.Timeout | undefined;

  /** `onTimer` runs a flush (Log.flush) when flush.ms passes without one. */
  constructor(config: Readonly<LogConfig>, state: LogState, local: LocalLog, onTimer: () => void, nowMs: number) {
    this.config = config;
    this.state = state;
    this.local = local;
    this.onTimer = onTimer;
    this.lastFlushMs = nowMs;
  }

  /** flush.messages unflushed by `logEndOffset`, or flush.ms since the last flush. */
  due(logEndOffset: number, nowMs: number): boolean {
    return (
      logEndOffset - this.state.recoveryPoint >= this.config.flushMessages ||
      nowMs - this.lastFlushMs >= this.config.flushMs
    );
  }

  /** After a group is committed: flushes when due, otherwise makes sure flush.ms is honoured later. */
  async maybeFlush(nowMs: number): Promise<void> {
    if (this.state.logEndOffset - this.state.recoveryPoint <= 0) return;
    if (this.due(this.state.logEndOffset, nowMs)) {
      await this.flushSegments(nowMs);
    } else {
      this.scheduleTimer();
    }
  }

  /** With a finite flush.ms, makes sure a flush runs within it. */
  scheduleTimer(): void {
    if (!Number.isFinite(this.config.flushMs) || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.state.closed && this.state.failure === undefined) this.onTimer();
    }, this.config.flushMs);
    this.timer.unref();
  }

  /** Drops a scheduled flush (on close, or when flush.ms changed: the next write re-arms it). */
  cancelTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** fsyncs every dirty segment and moves the recovery point over what was written before. */
  async flushSegments(nowMs: number): Promise<void> {
    const target = this.state.logEndOffset;
    await this.local.flushDirty();
    this.state.recoveryPoint = Math.max(this.state.recoveryPoint, target);
    this.lastFlushMs = nowMs;
  }
}
