export { GroupCoordinatorShard, DEFAULT_GROUP_CONFIG, PENDING } from "./shard.js";
export type {
  ApiMap,
  ApiName,
  CallInfo,
  Completion,
  CoordinatorRequest,
  GroupConfig,
  Out,
  Pending,
  ShardOptions,
  ShardResult,
  TopicView,
} from "./shard.js";
export type { GroupState } from "./group.js";
export { ErrorCode } from "./errors.js";
export { javaStringHashCode, kafkaAbs, partitionForGroup } from "./hash.js";
export { encodeCoordinatorRecord, decodeCoordinatorRecord, type CoordinatorRecord } from "./records.js";
export type { OffsetFetchGroupRequest } from "./shard-state.js";
