// GroupCoordinatorShard: the pure, synchronous classic-group coordinator for the groups of one
// __consumer_offsets partition (Kafka's CoordinatorShard pattern, KIP-848's runtime applied to the
// classic protocol). `handle(request, nowMs)` returns the records to append and the response (or
// PENDING for a JoinGroup/SyncGroup that waits for the rebalance); deferred responses come back as
// `completions` of later handle()/tick() calls. The driver appends the records and only then sends
// the response and the completions.
//
// Durable state (committed offsets, deleted groups) changes only in `replay(record)`, and the same
// replay rebuilds everything at load time. As in Kafka's ClassicGroup, the membership of a group in
// the middle of a rebalance is ephemeral in-memory state: it is mutated by the handlers and
// persisted as a GroupMetadata record once the group reaches a generation worth keeping
// (Stable after SyncGroup, or Empty).
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
import { ClassicGroup, type Member } from "./group.js";
import type { CoordinatorRecord } from "./records.js";
import { TimerQueue } from "./timer.js";
import { applyRecord, groupMetadataRecord } from "./replay.js";
import { joinGroup } from "./join.js";
import { heartbeat, leaveGroup, syncGroup } from "./membership.js";
import { expireOffsets, offsetCommit, offsetDelete, offsetFetch, type OffsetFetchGroupRequest } from "./offsets.js";
import { deleteGroups, describeGroups, listGroups } from "./admin.js";
import { onJoinTimer, onSyncTimeout, removeMemberAndUpdateGroup, tryCompleteJoin } from "./rebalance.js";
import { ErrorCode, assert } from "./errors.js";

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

export interface ShardOptions {
  config?: Partial<GroupConfig>;
  topics: TopicView;
  /** Seeded randomness for member ids (uniform in [0, 1)). */
  random: () => number;
}

export class GroupCoordinatorShard {
  readonly config: GroupConfig;
  readonly topics: TopicView;
  readonly random: () => number;
  /** @internal */ readonly groups = new Map<string, ClassicGroup>();
  /** @internal */ readonly timers = new TimerQueue<TimerEvent>();
  /** @internal */ memberSeq = 0;
  private loaded = false;

  constructor(opts: ShardOptions) {
    this.config = { ...DEFAULT_GROUP_CONFIG, ...opts.config };
    this.topics = opts.topics;
    this.random = opts.random;
  }

  /** Applies one record of the partition (load-time replay, and durable changes at run time). */
  replay(record: CoordinatorRecord): void {
    applyRecord(this, record);
  }

  /** Called once after the load-time replay: starts session timers for the loaded members. */
  onLoaded(nowMs: number): void {
    assert(!this.loaded, "onLoaded called twice");
    this.loaded = true;
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) this.scheduleHeartbeat(g, m, nowMs);
    }
    this.timers.schedule("retention", nowMs + this.config.offsetsRetentionCheckIntervalMs, { kind: "retention" });
  }

  handle<K extends ApiName>(request: CoordinatorRequest<K>, nowMs: number): ShardResult<ApiMap[K][1]> {
    const out: Out = { records: [], completions: [] };
    const response = this.dispatch(request as CoordinatorRequest, nowMs, out);
    return { ...out, response: response as ApiMap[K][1] };
  }

  private dispatch(r: CoordinatorRequest, nowMs: number, out: Out): unknown {
    switch (r.api) {
      case "JoinGroup":
        return joinGroup(this, r.body, r.call, nowMs, out);
      case "SyncGroup":
        return syncGroup(this, r.body, r.call, nowMs, out);
      case "Heartbeat":
        return heartbeat(this, r.body, nowMs);
      case "LeaveGroup":
        return leaveGroup(this, r.body, r.call, nowMs, out);
      case "OffsetCommit":
        return offsetCommit(this, r.body, r.call, nowMs, out);
      case "OffsetFetch":
        return offsetFetch(this, r.body);
      case "DescribeGroups":
        return describeGroups(this, r.body.groups);
      case "ListGroups":
        return listGroups(this, r.body);
      case "DeleteGroups":
        return deleteGroups(this, r.body.groupsNames, nowMs, out);
      case "OffsetDelete":
        return offsetDelete(this, r.body, out);
    }
  }

  /** Earliest timer deadline (the driver arms one real timer for it). */
  nextDeadlineMs(): number | undefined {
    return this.timers.nextDeadlineMs();
  }

  /** Fires every timer due at `nowMs` (session expiries, delayed joins, retention). */
  tick(nowMs: number): Out {
    const out: Out = { records: [], completions: [] };
    for (const ev of this.timers.poll(nowMs)) this.onTimer(ev, nowMs, out);
    return out;
  }

  private onTimer(ev: TimerEvent, nowMs: number, out: Out): void {
    if (ev.kind === "retention") {
      expireOffsets(this, nowMs, out);
      this.timers.schedule("retention", nowMs + this.config.offsetsRetentionCheckIntervalMs, ev);
      return;
    }
    const group = this.groups.get(ev.groupId);
    if (group === undefined) return;
    switch (ev.kind) {
      case "heartbeat": {
        const m = group.members.get(ev.memberId);
        if (m === undefined) return;
        // Kafka's shouldKeepAlive: members waiting in a rebalance are not expired by their session
        // timeout (the rebalance and sync timeouts bound those waits); new members get the longer
        // new-member join timeout.
        if (m.awaitingSync !== null || (m.awaitingJoin !== null && !m.isNew)) {
          this.scheduleHeartbeat(group, m, nowMs);
          return;
        }
        removeMemberAndUpdateGroup(this, group, m, nowMs, out);
        this.maybeDropGroup(group);
        return;
      }
      case "join":
        onJoinTimer(this, group, nowMs, out);
        return;
      case "sync":
        onSyncTimeout(this, group, ev.generationId, nowMs, out);
        return;
      case "pendingMember":
        if (group.pendingMembers.delete(ev.memberId)) {
          tryCompleteJoin(this, group, nowMs, out);
          this.maybeDropGroup(group);
        }
        return;
    }
  }

  // ---- helpers shared by the handler modules ----

  /** @internal */
  scheduleHeartbeat(group: ClassicGroup, member: Member, nowMs: number): void {
    const timeoutMs = member.isNew ? this.config.newMemberJoinTimeoutMs : member.sessionTimeoutMs;
    this.timers.schedule(heartbeatKey(group.groupId, member.memberId), nowMs + timeoutMs, {
      kind: "heartbeat",
      groupId: group.groupId,
      memberId: member.memberId,
    });
  }

  /** @internal */
  cancelHeartbeat(group: ClassicGroup, memberId: string): void {
    this.timers.cancel(heartbeatKey(group.groupId, memberId));
  }

  /** @internal A member id like the Java broker's: `${clientId}-${uuid}`. */
  newMemberId(clientId: string): string {
    let hex = "";
    for (let i = 0; i < 4; i++)
      hex += Math.floor(this.random() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, "0");
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    this.memberSeq++;
    return `${clientId}-${uuid}`;
  }

  /** @internal Kafka's group id validity: non-empty (for membership APIs) and bounded. */
  validGroupId(groupId: string, allowEmpty: boolean): boolean {
    if (!allowEmpty && groupId.length === 0) return false;
    return groupId.length <= this.config.maxGroupIdLength;
  }

  /** @internal Creates a group if the bound allows it. */
  createGroup(groupId: string, nowMs: number): ClassicGroup | undefined {
    if (this.groups.size >= this.config.maxGroups) return undefined;
    const g = new ClassicGroup(groupId, nowMs);
    this.groups.set(groupId, g);
    return g;
  }

  /** @internal Forgets a group that holds nothing (no members, pending members or offsets). */
  maybeDropGroup(group: ClassicGroup): void {
    if (
      group.is("Empty") &&
      group.size === 0 &&
      group.pendingMembers.size === 0 &&
      group.offsets.size === 0 &&
      group.generationId === 0
    ) {
      this.groups.delete(group.groupId);
    }
  }

  /** @internal Persists the group's current generation (GroupMetadata record). */
  storeGroup(group: ClassicGroup, nowMs: number, out: Out): void {
    out.records.push(groupMetadataRecord(group, nowMs));
  }

  /** Snapshot of the durable view, for tests: what a replay of the emitted records must rebuild. */
  durableView(): Map<string, DurableGroupView> {
    const view = new Map<string, DurableGroupView>();
    for (const g of this.groups.values()) {
      if (g.is("Dead") || g.offsets.size === 0) continue;
      const offsets: Record<string, string> = {};
      for (const [k, o] of [...g.offsets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        offsets[k] = `${o.offset}/${o.leaderEpoch}/${o.metadata}`;
      }
      view.set(g.groupId, { offsets });
    }
    return view;
  }

  get errorCodes(): typeof ErrorCode {
    return ErrorCode;
  }
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
