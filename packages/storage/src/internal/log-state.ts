// The offsets and health of one partition log, shared as plain fields by Log and the parts of its
// append path (appender, group-commit writer, flush policy) instead of a bag of getter/setter
// callbacks: each part reads what it needs and moves what it owns.
import { LogClosedError, LogOfflineError } from "../errors.js";

export class LogState {
  readonly dir: string;
  logStartOffset: number;
  /** One past the last offset written; the writer moves it over each committed write. */
  logEndOffset: number;
  /** Next offset to assign; > logEndOffset while appends are queued. */
  nextOffset: number;
  recoveryPoint: number;
  /** A leader epoch was assigned and its checkpoint is not written yet. */
  epochDirty: boolean;
  /** Bumped by each truncation: a background task begun before one must not move the recovery point. */
  truncations = 0;
  /** The error that took the log offline; undefined while it is online. */
  failure: unknown;
  closed = false;
  closing = false;

  /** `loaded`: what the loader recovered; `logEndOffset`: where the active segment ends. */
  constructor(
    dir: string,
    loaded: { logStartOffset: number; recoveryPoint: number; epochCacheChanged: boolean },
    logEndOffset: number,
  ) {
    this.dir = dir;
    this.logStartOffset = loaded.logStartOffset;
    this.logEndOffset = logEndOffset;
    this.nextOffset = logEndOffset;
    this.recoveryPoint = loaded.recoveryPoint;
    this.epochDirty = loaded.epochCacheChanged;
  }

  /** Whether a write may bypass the writer's queue: online, open, no epoch checkpoint pending. */
  get inlineWritable(): boolean {
    return this.failure === undefined && !this.closed && !this.closing && !this.epochDirty;
  }

  /** Throws LogClosedError once the log is closed; an offline log (a write failed) still serves reads. */
  ensureReadable(): void {
    if (this.closed) throw new LogClosedError(`log ${this.dir} is closed`);
  }

  /** Throws LogClosedError once the log is offline or closed. */
  ensureOpen(): void {
    if (this.failure !== undefined) throw new LogOfflineError(`log ${this.dir} is offline: ${String(this.failure)}`);
    if (this.closed) throw new LogClosedError(`log ${this.dir} is closed`);
  }
}
