// The follower side's view of its world: the local replica's log (what the broker's PartitionLog
// offers a follower), the leader it fetches from (a transport: real sockets in the broker, an
// in-memory leader in the simulation) and the fetcher's settings (Kafka's replica.fetch.* keys).

/** Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET (KIP-101). */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

/** The local replica's log, as a follower uses it (the broker's PartitionLog has these members). */
export interface FollowerLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly latestEpoch: number;
  setHighWatermark(offset: number): void;
  /** Appends the leader's batches verbatim (offsets and epochs kept, CRC checked). */
  appendAsFollower(records: Buffer): Promise<unknown>;
  truncateTo(offset: number): Promise<void>;
  truncateFullyAndStartAt(offset: number): Promise<void>;
  /** Largest epoch <= `epoch` and where it ends (KIP-101 semantics); UNDEFINED for unknown. */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  /** Moves the log start offset forward (the leader's DeleteRecords reaching the follower). */
  deleteRecordsBefore(offset: number): Promise<number>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface FetchPartitionRequest extends TopicPartition {
  fetchOffset: number;
  /** The epoch of the last batch this replica holds (Fetch v12+, KIP-595/320); -1 if none. */
  lastFetchedEpoch: number;
  /** The leader epoch this replica believes current (KIP-320 fencing). */
  currentLeaderEpoch: number;
  logStartOffset: number;
  partitionMaxBytes: number;
}

export interface ReplicaFetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: FetchPartitionRequest[];
}

export interface FetchPartitionResult extends TopicPartition {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** Set when lastFetchedEpoch / fetchOffset diverge from the leader's log (Fetch v12+). */
  divergingEpoch: { epoch: number; endOffset: number } | null;
  records: Buffer | null;
}

export interface EpochRequest extends TopicPartition {
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface EpochResult extends TopicPartition {
  errorCode: number;
  leaderEpoch: number;
  endOffset: number;
}

/** ListOffsets' special timestamps (a replica asking for LATEST gets the leader's log end offset). */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** The leader broker as one fetcher reaches it. Any method may reject (connection lost): the
 * fetcher backs off and calls again, and the transport reconnects. */
export interface LeaderTransport {
  /** True when the leader speaks Fetch v12+ (lastFetchedEpoch / divergingEpoch). */
  supportsDivergingEpoch(): Promise<boolean>;
  fetch(request: ReplicaFetchRequest): Promise<FetchPartitionResult[]>;
  /** OffsetForLeaderEpoch (API 23) with this broker's replica id (the path before Fetch v12). */
  offsetsForLeaderEpoch(replicaId: number, partitions: EpochRequest[]): Promise<EpochResult[]>;
  /** ListOffsets with this broker's replica id: {errorCode, offset}. */
  listOffset(
    replicaId: number,
    tp: TopicPartition,
    currentLeaderEpoch: number,
    timestamp: number,
  ): Promise<{ errorCode: number; offset: number }>;
  close(): void;
}

export interface ReplicaFetcherConfig {
  /** This broker's id (Fetch's replicaId). */
  brokerId: number;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.response.max.bytes */
  maxBytes: number;
  /** replica.fetch.max.bytes */
  partitionMaxBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
}

/** What a fetcher reports (the broker logs it with pino). */
export interface FetcherEvents {
  onTruncate?(tp: TopicPartition, fromOffset: number, toOffset: number, reason: string): void;
  onError?(tp: TopicPartition | null, message: string, err?: unknown): void;
  /** A partition's leader said its epoch or leadership is stale; the fetcher paused it. */
  onPaused?(tp: TopicPartition, errorCode: number): void;
}
