// ListOffsets special timestamps (Kafka's ListOffsetsRequest constants) and the lookup answer.
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

export interface OffsetAndTimestamp {
  offset: number;
  /** -1 for EARLIEST/LATEST, as Kafka answers. */
  timestamp: number;
  leaderEpoch: number;
}
