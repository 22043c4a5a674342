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
//
// The types and constants it shares with the handler modules live in shard-state.ts (re-exported
// here), so the handler modules never import this file.
import { ClassicGroup, type Member } from "./group.js";
import {
  DEFAULT_GROUP_CONFIG,
  heartbeatKey,
  type ApiMap,
  type ApiName,
  type CoordinatorRequest,
  type DurableGroupView,
  type GroupConfig,
  type Out,
  type ShardResult,
  type ShardState,
  type TimerEvent,
  type TopicView,
} from "./shard-state.js";
import type { CoordinatorRecord } from "./records.js";
import { TimerQueue } from "./timer.js";
import { applyRecord, groupMetadataRecord } from "./replay.js";
import { joinGroup } from "./join.js";
import { heartbeat, leaveGroup, syncGroup } from "./membership.js";
import { expireOffsets, offsetCommit, offsetDelete, offsetFetch } from "./offsets.js";
import { deleteGroups, describeGroups, listGroups } from "./admin.js";
import { onJoinTimer, onSyncTimeout, removeMemberAndUpdateGroup, tryCompleteJoin } from "./rebalance.js";
import { ErrorCode, assert } from "./errors.js";

export * from "./shard-state.js";

export interface ShardOptions {
  config?: Partial<GroupConfig>;
  topics: TopicView;
  /** Seeded randomness for member ids (uniform in [0, 1)). */
  random: () => number;
}

export class GroupCoordinatorShard implements ShardState {
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
