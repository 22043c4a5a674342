// The types of the Log API (appends, reads, append listeners).

export interface AppendOptions {
  /** Leader epoch stamped into every batch's partitionLeaderEpoch (and recorded in the cache). */
  leaderEpoch?: number;
  /**
   * The caller hands `records` over: it will never modify it again (a request buffer that is
   * not reused, say), so the log may keep a large append in its tail cache as it is instead of
   * copying it, and free its memory (detach it: `records` then reads as empty) once it left the
   * cache, if it spans an ArrayBuffer of its own. Default false: the log keeps no reference once
   * the append settles.
   */
  transfer?: boolean;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** Largest batch maxTimestamp of the append. */
  maxTimestamp: number;
  /** The broker time stamped into the batches with LogAppendTime; -1 with CreateTime. */
  logAppendTimeMs: number;
}

export interface ReadResult {
  /** Whole batches, in order; zero-copy views when served from the tail cache. */
  buffers: Buffer[];
  bytes: number;
  /** Base offset of the first batch returned (-1 when empty). */
  firstOffset: number;
}

export type AppendListener = (logEndOffset: number) => void;
