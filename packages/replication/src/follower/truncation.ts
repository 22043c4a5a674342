// Where a follower truncates once the leader has told it how far their logs agree: Kafka's
// getOffsetTruncationState (KIP-101, KIP-279; the same rule serves Fetch v12's divergingEpoch,
// KIP-320/595, and the older OffsetForLeaderEpoch round trip). Pure.
import { type EpochEndOffset, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from "./types.js";

export interface OffsetTruncationState {
  /** Truncate the local log to this offset (a no-op when it is at or past the log end). */
  offset: number;
  /**
   * False when the follower did not know the leader's epoch: it truncated to the end of its own
   * largest epoch below it and must ask again with that epoch (KIP-279's extra round).
   */
  truncationCompleted: boolean;
}

export interface EpochLookup {
  readonly logEndOffset: number;
  readonly highWatermark: number;
  endOffsetForEpoch(epoch: number): EpochEndOffset;
}

/** `leader` is the leader's (largest epoch <= the follower's, its end offset). */
export function offsetTruncationState(log: EpochLookup, leader: EpochEndOffset): OffsetTruncationState {
  const replicaEndOffset = log.logEndOffset;
  if (leader.endOffset === UNDEFINED_EPOCH_OFFSET) {
    // The leader knows no epoch at or below ours (it lost its epoch history): Kafka's fallback is
    // the high watermark, everything below it is committed.
    return { offset: Math.min(log.highWatermark, replicaEndOffset), truncationCompleted: true };
  }
  if (leader.leaderEpoch === UNDEFINED_EPOCH) {
    return { offset: Math.min(leader.endOffset, replicaEndOffset), truncationCompleted: true };
  }
  const local = log.endOffsetForEpoch(leader.leaderEpoch);
  if (local.endOffset === UNDEFINED_EPOCH_OFFSET || local.leaderEpoch === UNDEFINED_EPOCH) {
    // No local epoch at or below the leader's: nothing of ours past its end offset can be trusted.
    return { offset: Math.min(leader.endOffset, replicaEndOffset), truncationCompleted: true };
  }
  if (local.leaderEpoch !== leader.leaderEpoch) {
    // We never had the leader's epoch: cut back to where our largest earlier epoch ends, then ask
    // the leader about that epoch.
    return { offset: Math.min(local.endOffset, replicaEndOffset), truncationCompleted: false };
  }
  return { offset: Math.min(leader.endOffset, local.endOffset, replicaEndOffset), truncationCompleted: true };
}
