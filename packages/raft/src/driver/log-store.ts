import type { Entry, HardState, Snapshot } from "../core/types.js";

/**
 * Durable storage for one raft node, as the driver needs it. Writes may be buffered until
 * `sync()`, which makes everything written so far durable (fsync) — the driver calls it
 * before sending any message of the Ready that produced the writes.
 */
export interface RaftLogStore {
  /** Everything recovered at start-up. */
  load(): Promise<{ hardState: HardState; snapshot: Snapshot | null; entries: Entry[] }>;
  /** Append entries; an entry at index i replaces stored entries i.. (truncates the suffix). */
  append(entries: Entry[]): Promise<void>;
  /** Drop stored entries with index >= fromIndex. */
  truncateSuffix(fromIndex: number): Promise<void>;
  /** Stored entries in [lo, hi). */
  read(lo: number, hi: number): Promise<Entry[]>;
  /** Store a snapshot (durably) and drop entries <= its index. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  saveHardState(hardState: HardState): Promise<void>;
  /** fsync everything written so far. */
  sync(): Promise<void>;
  close(): Promise<void>;
}
