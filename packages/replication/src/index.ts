// @gregor/replication: Kafka's pull replication. The follower side: replica fetchers that copy a
// leader's log (KIP-101/279/320/595 truncation). The leader side (HW, ISR) lives beside it.
export * from "./follower/index.js";
export { type DelayedProduce, DelayedProduceQueue } from "./leader/delayed-produce.js";
export {
  type FollowerState,
  type LeaderStateOptions,
  PartitionLeaderState,
  type PendingIsrChange,
} from "./leader/leader-state.js";
