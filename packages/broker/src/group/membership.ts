// SyncGroup, Heartbeat and LeaveGroup (Kafka's handleSyncGroup / handleHeartbeat /
// handleLeaveGroup with KIP-345 batch leave).
import type {
  HeartbeatRequest,
  HeartbeatResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  LeaveGroupResponseMemberResponse,
  SyncGroupRequest,
  SyncGroupResponse,
} from "@gregor/protocol";
import { ErrorCode } from "./errors.js";
import { EMPTY_BYTES, type ClassicGroup, type Member } from "./group.js";
import { completePendingSync, removeMemberAndUpdateGroup, syncError, tryCompleteJoin } from "./rebalance.js";
import {
  PENDING,
  pendingMemberKey,
  syncKey,
  type CallInfo,
  type ShardState,
  type Out,
  type Pending,
} from "./shard-state.js";

export function syncGroup(
  s: ShardState,
  req: SyncGroupRequest,
  call: CallInfo,
  nowMs: number,
  out: Out,
): SyncGroupResponse | Pending {
  if (!s.validGroupId(req.groupId, false)) return syncError(ErrorCode.INVALID_GROUP_ID);
  const g = s.groups.get(req.groupId);
  if (g === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
  if (g.is("Dead")) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (g.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return syncError(ErrorCode.FENCED_INSTANCE_ID);
  const member = g.members.get(req.memberId);
  if (member === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
  if (req.generationId !== g.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
  if (
    (req.protocolType != null && req.protocolType !== g.protocolType) ||
    (req.protocolName != null && req.protocolName !== g.protocolName)
  ) {
    return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  }
  switch (g.state) {
    case "Empty":
    case "Dead":
      return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    case "PreparingRebalance":
      return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    case "Stable":
      s.scheduleHeartbeat(g, member, nowMs);
      return syncOk(g, member.assignment);
    case "CompletingRebalance":
      completePendingSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS), out);
      s.scheduleHeartbeat(g, member, nowMs);
      if (!g.isLeader(member.memberId)) {
        member.awaitingSync = { requestId: call.requestId, version: call.version };
        return PENDING;
      }
      return completeSync(s, g, req, nowMs, out);
  }
}

function syncOk(g: ClassicGroup, assignment: Buffer): SyncGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    assignment,
  };
}

/** The leader's assignment arrived: persist the generation, answer every waiting member. */
function completeSync(
  s: ShardState,
  g: ClassicGroup,
  req: SyncGroupRequest,
  nowMs: number,
  out: Out,
): SyncGroupResponse {
  const byMember = new Map<string, Buffer>();
  for (const a of req.assignments) if (g.has(a.memberId)) byMember.set(a.memberId, a.assignment);
  for (const m of g.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY_BYTES;
  g.transitionTo("Stable", nowMs);
  s.timers.cancel(syncKey(g.groupId));
  s.storeGroup(g, nowMs, out);
  for (const m of g.members.values()) completePendingSync(m, syncOk(g, m.assignment), out);
  const leader = g.members.get(req.memberId)!;
  return syncOk(g, leader.assignment);
}

export function heartbeat(s: ShardState, req: HeartbeatRequest, nowMs: number): HeartbeatResponse {
  const code = heartbeatError(s, req, nowMs);
  return { throttleTimeMs: 0, errorCode: code };
}

function heartbeatError(s: ShardState, req: HeartbeatRequest, nowMs: number): number {
  if (!s.validGroupId(req.groupId, false)) return ErrorCode.INVALID_GROUP_ID;
  const g = s.groups.get(req.groupId);
  if (g === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (g.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (g.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
  const member = g.members.get(req.memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
  switch (g.state) {
    case "Empty":
    case "Dead":
      return ErrorCode.UNKNOWN_MEMBER_ID;
    case "PreparingRebalance":
      s.scheduleHeartbeat(g, member, nowMs);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case "CompletingRebalance":
    case "Stable":
      s.scheduleHeartbeat(g, member, nowMs);
      return ErrorCode.NONE;
  }
}

export function leaveGroup(
  s: ShardState,
  req: LeaveGroupRequest,
  call: CallInfo,
  nowMs: number,
  out: Out,
): LeaveGroupResponse {
  // v0-2 name one member; v3+ carry a batch (KIP-345).
  const identities =
    call.version >= 3 ? (req.members ?? []) : [{ memberId: req.memberId ?? "", groupInstanceId: null }];
  const each = (code: number): LeaveGroupResponseMemberResponse[] =>
    identities.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: code }));
  if (!s.validGroupId(req.groupId, false))
    return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
  const g = s.groups.get(req.groupId);
  if (g === undefined)
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members: each(ErrorCode.UNKNOWN_MEMBER_ID) };
  if (g.is("Dead")) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
  const members: LeaveGroupResponseMemberResponse[] = [];
  for (const id of identities) {
    members.push({
      memberId: id.memberId,
      groupInstanceId: id.groupInstanceId,
      errorCode: leaveOne(s, g, id.memberId, id.groupInstanceId, nowMs, out),
    });
  }
  s.maybeDropGroup(g);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members };
}

function leaveOne(
  s: ShardState,
  g: ClassicGroup,
  memberId: string,
  instanceId: string | null,
  nowMs: number,
  out: Out,
): number {
  let member: Member | undefined;
  if (instanceId !== null) {
    const current = g.staticMembers.get(instanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberId !== "" && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID;
    member = g.members.get(current);
  } else if (g.pendingMembers.delete(memberId)) {
    s.timers.cancel(pendingMemberKey(g.groupId, memberId));
    tryCompleteJoin(s, g, nowMs, out);
    return ErrorCode.NONE;
  } else {
    member = g.members.get(memberId);
  }
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  removeMemberAndUpdateGroup(s, g, member, nowMs, out);
  return ErrorCode.NONE;
}
