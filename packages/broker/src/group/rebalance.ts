// The rebalance engine of a classic group (Kafka's GroupCoordinator prepareRebalance /
// DelayedJoin / InitialDelayedJoin / onCompleteJoin, and the pending-sync timeout of KAFKA-13766):
// state transitions and the deferred JoinGroup/SyncGroup completions they release.
import type { JoinGroupResponse, SyncGroupResponse } from "@gregor/protocol";
import { ErrorCode } from "./errors.js";
import { EMPTY_BYTES, type ClassicGroup, type Member } from "./group.js";
import { joinKey, syncKey, type ShardState, type Out } from "./shard-state.js";

export function joinError(memberId: string, errorCode: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

/** The JoinGroup answer for the current generation; only the leader gets the member list. */
export function joinResponse(g: ClassicGroup, member: Member, leaderId = g.leaderId ?? ""): JoinGroupResponse {
  const isLeader = leaderId === member.memberId;
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    generationId: g.generationId,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    leader: leaderId,
    skipAssignment: false,
    memberId: member.memberId,
    members: isLeader
      ? [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: g.metadataFor(m, g.protocolName),
        }))
      : [],
  };
}

export function completePendingJoin(member: Member, response: JoinGroupResponse, out: Out): void {
  if (member.awaitingJoin === null) return;
  out.completions.push({ requestId: member.awaitingJoin.requestId, api: "JoinGroup", response });
  member.awaitingJoin = null;
}

export function completePendingSync(member: Member, response: SyncGroupResponse, out: Out): void {
  if (member.awaitingSync === null) return;
  out.completions.push({ requestId: member.awaitingSync.requestId, api: "SyncGroup", response });
  member.awaitingSync = null;
}

export function maybePrepareRebalance(s: ShardState, g: ClassicGroup, nowMs: number, out: Out): void {
  if (g.is("Stable") || g.is("CompletingRebalance") || g.is("Empty")) prepareRebalance(s, g, nowMs, out);
}

export function prepareRebalance(s: ShardState, g: ClassicGroup, nowMs: number, out: Out): void {
  if (g.is("CompletingRebalance")) {
    // Members waiting for the leader's assignment learn that they must rejoin.
    for (const m of g.members.values()) completePendingSync(m, syncError(ErrorCode.REBALANCE_IN_PROGRESS), out);
  }
  s.timers.cancel(syncKey(g.groupId));
  const fromEmpty = g.is("Empty");
  g.transitionTo("PreparingRebalance", nowMs);
  const rebalanceTimeoutMs = g.rebalanceTimeoutMs();
  const initialDelayMs = Math.min(s.config.initialRebalanceDelayMs, rebalanceTimeoutMs);
  if (fromEmpty && initialDelayMs > 0) {
    // KIP-134: wait for more members before the first generation; each newcomer extends the wait
    // by another delay, up to the rebalance timeout.
    g.inInitialDelay = true;
    g.newMemberAdded = false;
    g.initialDelayRemainingMs = rebalanceTimeoutMs - initialDelayMs;
    s.timers.schedule(joinKey(g.groupId), nowMs + initialDelayMs, { kind: "join", groupId: g.groupId });
  } else {
    g.inInitialDelay = false;
    s.timers.schedule(joinKey(g.groupId), nowMs + rebalanceTimeoutMs, { kind: "join", groupId: g.groupId });
  }
}

/** DelayedJoin.tryComplete: finish the join phase once every known member has rejoined. */
export function tryCompleteJoin(s: ShardState, g: ClassicGroup, nowMs: number, out: Out): void {
  if (g.is("PreparingRebalance") && !g.inInitialDelay && g.allMembersJoined()) completeJoin(s, g, nowMs, out);
}

export function onJoinTimer(s: ShardState, g: ClassicGroup, nowMs: number, out: Out): void {
  if (!g.is("PreparingRebalance")) return;
  if (g.inInitialDelay && g.newMemberAdded && g.initialDelayRemainingMs > 0) {
    const delayMs = Math.min(s.config.initialRebalanceDelayMs, g.initialDelayRemainingMs);
    g.initialDelayRemainingMs -= delayMs;
    g.newMemberAdded = false;
    s.timers.schedule(joinKey(g.groupId), nowMs + delayMs, { kind: "join", groupId: g.groupId });
    return;
  }
  completeJoin(s, g, nowMs, out);
}

/** Kafka's onCompleteJoin: drop members that did not rejoin, start the next generation. */
export function completeJoin(s: ShardState, g: ClassicGroup, nowMs: number, out: Out): void {
  s.timers.cancel(joinKey(g.groupId));
  g.inInitialDelay = false;
  for (const m of [...g.members.values()]) {
    // Static members keep their place while absent (KIP-345); dynamic ones are gone.
    if (m.awaitingJoin === null && m.groupInstanceId === null) {
      g.removeMember(m.memberId);
      s.cancelHeartbeat(g, m.memberId);
      completePendingSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID), out);
    }
  }
  if (g.leaderId !== null && g.members.get(g.leaderId)?.awaitingJoin === null) {
    const joined = [...g.members.values()].find((m) => m.awaitingJoin !== null);
    if (joined !== undefined) g.leaderId = joined.memberId;
  }
  g.generationId++;
  if (g.size === 0) {
    g.protocolName = null;
    g.transitionTo("Empty", nowMs);
    s.storeGroup(g, nowMs, out);
    return;
  }
  g.protocolName = g.selectProtocol();
  g.transitionTo("CompletingRebalance", nowMs);
  for (const m of g.members.values()) {
    if (m.awaitingJoin === null) continue;
    completePendingJoin(m, joinResponse(g, m), out);
    m.isNew = false;
    s.scheduleHeartbeat(g, m, nowMs);
  }
  s.timers.schedule(syncKey(g.groupId), nowMs + g.rebalanceTimeoutMs(), {
    kind: "sync",
    groupId: g.groupId,
    generationId: g.generationId,
  });
}

/** No SyncGroup from some members within the rebalance timeout: drop them and rebalance. */
export function onSyncTimeout(s: ShardState, g: ClassicGroup, generationId: number, nowMs: number, out: Out): void {
  if (!g.is("CompletingRebalance") || g.generationId !== generationId) return;
  for (const m of [...g.members.values()]) {
    if (m.awaitingSync === null) {
      g.removeMember(m.memberId);
      s.cancelHeartbeat(g, m.memberId);
      completePendingJoin(m, joinError(m.memberId, ErrorCode.UNKNOWN_MEMBER_ID), out);
    }
  }
  prepareRebalance(s, g, nowMs, out);
  tryCompleteJoin(s, g, nowMs, out);
}

/** A member left or expired: release its pending requests and move the group on. */
export function removeMemberAndUpdateGroup(s: ShardState, g: ClassicGroup, m: Member, nowMs: number, out: Out): void {
  completePendingJoin(m, joinError(m.memberId, ErrorCode.UNKNOWN_MEMBER_ID), out);
  completePendingSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID), out);
  g.removeMember(m.memberId);
  s.cancelHeartbeat(g, m.memberId);
  if (g.is("Stable") || g.is("CompletingRebalance")) {
    prepareRebalance(s, g, nowMs, out);
    tryCompleteJoin(s, g, nowMs, out);
  } else if (g.is("PreparingRebalance")) {
    tryCompleteJoin(s, g, nowMs, out);
  }
}
