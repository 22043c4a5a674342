// The follower side's public surface (re-exported by the package entry).
export { type AppendOutcome, appendFollowerRecords } from "./append.js";
export { ConnectionTransport, type ConnectionTransportOptions, type LeaderAddress } from "./connection-transport.js";
export { type FetchStateName, IDLE_DELAY_MS, type PartitionFetchState, ReplicaFetcher } from "./replica-fetcher.js";
export { FetcherRunLoop } from "./run-loop.js";
export { type OffsetTruncationState, offsetTruncationState } from "./truncation.js";
export * from "./types.js";
