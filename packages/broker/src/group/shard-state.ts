// The vocabulary shared by the group coordinator's shard and the handler modules it dispatches to
// (join, membership, rebalance, offsets, admin, replay): config, request/response maps, the
// PENDING marker, timer keys, and `ShardState`, the part of the shard those modules use. It lives
// below all of them so that none imports shard.ts (which imports them all).
import type {
  DeleteGroupsResponseDeletableGroupResult,
  DescribeGroupsResponseDescribedGroup,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchResponseOffsetFetchResponseGroup,
  SyncGroupRequest,
  SyncGroupResponse,
} from "@gregor/protocol";
import type { ClassicGroup, Member } from "./group.js";
import type { CoordinatorRecord } from "./records.js";
import type { TimerQueue } from "./timer.js";

export interface GroupConfig {
  /** group.initial.rebalance.delay.ms (Kafka default 3000). */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms (6000 / 1800000). */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.max.size (Kafka default Integer.MAX_VALUE). */
  maxGroupSize: number;
  /** offsets.retention.minutes as ms (7 days) and offsets.retention.check.interval.ms (10 min). */
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes (4096). */
  offsetMetadataMaxBytes: number;
  /** Longest accepted group id, in UTF-16 code units (a Gregor bound; Kafka's is the int16 string). */
  maxGroupIdLength: number;
  /** How long a member that joined but never got a generation is kept (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /** Bound on groups per shard; creating more answers COORDINATOR_NOT_AVAILABLE. */
  maxGroups: number;
  /** Bound on protocols per JoinGroup and on the bytes of their metadata (INVALID_REQUEST beyond). */
  maxProtocols: number;
  maxProtocolMetadataBytes: number;
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxGroupSize: 2_147_483_647,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  maxGroupIdLength: 255,
  newMemberJoinTimeoutMs: 300_000,
  maxGroups: 1_000_000,
  maxProtocols: 64,
  maxProtocolMetadataBytes: 1 << 20,
};

/** What the coordinator needs to know about topics (injected; answers from the metadata image). */
export interface TopicView {
  /** Partition count of a topic, or undefined when the topic does not exist. */
  partitionCount(topic: string): number | undefined;
}

/** Per-request facts the handler knows and the core needs. */
export interface CallInfo {
  /** Unique id the driver uses to route a deferred response back to its connection. */
  requestId: number;
  version: number;
  clientId: string;
  clientHost: string;
}

export const PENDING: unique symbol = Symbol("PENDING");
export type Pending = typeof PENDING;

export type Completion =
  | { requestId: number; api: "JoinGroup"; response: JoinGroupResponse }
  | { requestId: number; api: "SyncGroup"; response: SyncGroupResponse };

/** Records to append and deferred responses to deliver, accumulated while handling one input. */
export interface Out {
  records: CoordinatorRecord[];
  completions: Completion[];
}

export interface ShardResult<R> extends Out {
  response: R;
}

export type TimerEvent =
  | { kind: "heartbeat"; groupId: string; memberId: string }
  | { kind: "join"; groupId: string }
  | { kind: "sync"; groupId: string; generationId: number }
  | { kind: "pendingMember"; groupId: string; memberId: string }
  | { kind: "retention" };

export interface ApiMap {
  JoinGroup: [JoinGroupRequest, JoinGroupResponse | Pending];
  SyncGroup: [SyncGroupRequest, SyncGroupResponse | Pending];
  Heartbeat: [HeartbeatRequest, HeartbeatResponse];
  LeaveGroup: [LeaveGroupRequest, LeaveGroupResponse];
  OffsetCommit: [OffsetCommitRequest, OffsetCommitResponse];
  OffsetFetch: [OffsetFetchGroupRequest, OffsetFetchResponseOffsetFetchResponseGroup];
  DescribeGroups: [{ groups: string[] }, DescribeGroupsResponseDescribedGroup[]];
  ListGroups: [ListGroupsRequest, ListGroupsResponse];
  DeleteGroups: [{ groupsNames: string[] }, DeleteGroupsResponseDeletableGroupResult[]];
  OffsetDelete: [OffsetDeleteRequest, OffsetDeleteResponse];
}
export type ApiName = keyof ApiMap;
export type CoordinatorRequest<K extends ApiName = ApiName> = {
  [P in K]: { api: P; call: CallInfo; body: ApiMap[P][0] };
}[K];

export interface OffsetFetchGroupRequest {
  groupId: string;
  /** null = every partition the group has an offset for. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
  requireStable?: boolean;
}

/** What the handler modules use of the shard (GroupCoordinatorShard implements it). */
export interface ShardState {
  readonly config: GroupConfig;
  readonly topics: TopicView;
  readonly groups: Map<string, ClassicGroup>;
  readonly timers: TimerQueue<TimerEvent>;
  /** Applies one record to the durable state (load-time replay and run-time changes alike). */
  replay(record: CoordinatorRecord): void;
  scheduleHeartbeat(group: ClassicGroup, member: Member, nowMs: number): void;
  cancelHeartbeat(group: ClassicGroup, memberId: string): void;
  newMemberId(clientId: string): string;
  validGroupId(groupId: string, allowEmpty: boolean): boolean;
  createGroup(groupId: string, nowMs: number): ClassicGroup | undefined;
  maybeDropGroup(group: ClassicGroup): void;
  storeGroup(group: ClassicGroup, nowMs: number, out: Out): void;
}

export interface DurableGroupView {
  offsets: Record<string, string>;
}

export function heartbeatKey(groupId: string, memberId: string): string {
  return `hb\u0000${groupId}\u0000${memberId}`;
}
export function joinKey(groupId: string): string {
  return `join\u0000${groupId}`;
}
export function syncKey(groupId: string): string {
  return `sync\u0000${groupId}`;
}
export function pendingMemberKey(groupId: string, memberId: string): string {
  return `pm\u0000${groupId}\u0000${memberId}`;
}
