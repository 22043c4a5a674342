// What the group-commit writer (group-writer.ts) appends to: the log's shared state instead of a
// callback per fact, its segments and flush policy, and the few actions that stay Log's.
import type { LogConfig } from "../config.js";
import type { FlushPolicy } from "./flush-policy.js";
import type { LocalLog } from "./local-log.js";
import type { LogState } from "./log-state.js";

/**
 * What the writer appends to (Log builds it over its own parts): the log's shared state (offsets,
 * health), its segments and flush policy, plus the few actions that stay Log's.
 */
export interface AppendTarget {
  /** The live config: maxGroupCommitBytes is read for every group. */
  readonly config: Readonly<LogConfig>;
  readonly state: LogState;
  /** The segments: the active one is written, LocalLog.shouldRoll decides rolls. */
  readonly local: LocalLog;
  readonly flushPolicy: FlushPolicy;
  clock(): number;
  /** Starts a new active segment at `baseOffset`; called with no write in flight. */
  roll(baseOffset: number, nowMs: number): Promise<void>;
  writeEpochCheckpoint(): Promise<void>;
  /** A write failed: takes the log offline with `error` (and says so in the log). */
  fail(error: unknown): void;
  /** After each run of acknowledgements: the append listeners, with the log end offset. */
  appended(logEndOffset: number): void;
}
