// JoinGroup (Kafka's handleJoinGroup / doUnknownJoinGroup / doCurrentMemberJoinGroup), including
// the KIP-394 MEMBER_ID_REQUIRED round trip (v4+) and KIP-345 static membership.
import type { JoinGroupRequest, JoinGroupResponse } from "@gregor/protocol";
import { ErrorCode } from "./errors.js";
import type { ClassicGroup, Member, Protocol } from "./group.js";
import {
  completePendingJoin,
  completePendingSync,
  joinError,
  joinResponse,
  maybePrepareRebalance,
  prepareRebalance,
  syncError,
  tryCompleteJoin,
} from "./rebalance.js";
import { PENDING, pendingMemberKey, type CallInfo, type ShardState, type Out, type Pending } from "./shard-state.js";

type JoinResult = JoinGroupResponse | Pending;
/** A JoinGroup of a member the group does not know yet, or of one it knows. */
type JoinMember = (
  s: ShardState,
  g: ClassicGroup,
  req: JoinGroupRequest,
  call: CallInfo,
  nowMs: number,
  out: Out,
) => JoinResult;

export function joinGroup(s: ShardState, req: JoinGroupRequest, call: CallInfo, nowMs: number, out: Out): JoinResult {
  const memberId = req.memberId;
  if (!s.validGroupId(req.groupId, false)) return joinError(memberId, ErrorCode.INVALID_GROUP_ID);
  if (req.sessionTimeoutMs < s.config.minSessionTimeoutMs || req.sessionTimeoutMs > s.config.maxSessionTimeoutMs) {
    return joinError(memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
  }
  if (
    req.protocols.length > s.config.maxProtocols ||
    metadataBytes(req.protocols) > s.config.maxProtocolMetadataBytes
  ) {
    return joinError(memberId, ErrorCode.INVALID_REQUEST);
  }
  let group = s.groups.get(req.groupId);
  if (group === undefined) {
    if (memberId !== "") return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    group = s.createGroup(req.groupId, nowMs);
    if (group === undefined) return joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  let result: JoinResult;
  if (group.is("Dead")) result = joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  else if (!group.supportsProtocols(req.protocolType, req.protocols))
    result = joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  else if (memberId === "") result = joinUnknownMember(s, group, req, call, nowMs, out);
  else result = joinKnownMember(s, group, req, call, nowMs, out);
  tryCompleteJoin(s, group, nowMs, out);
  s.maybeDropGroup(group);
  return result;
}

function metadataBytes(protocols: Protocol[]): number {
  let n = 0;
  for (const p of protocols) n += p.metadata.length + p.name.length;
  return n;
}

function isFull(s: ShardState, g: ClassicGroup): boolean {
  return g.size + g.pendingMembers.size >= s.config.maxGroupSize;
}

const joinUnknownMember: JoinMember = (s, g, req, call, nowMs, out) => {
  const instanceId = req.groupInstanceId ?? null;
  const newMemberId = s.newMemberId(call.clientId);
  if (instanceId !== null) {
    const existing = g.staticMembers.get(instanceId);
    if (existing !== undefined) return replaceStaticMember(s, g, existing, newMemberId, req, call, nowMs, out);
  }
  if (isFull(s, g)) return joinError("", ErrorCode.GROUP_MAX_SIZE_REACHED);
  if (instanceId === null && call.version >= 4) {
    // KIP-394: hand out the id first so a client that times out can rejoin with it.
    g.pendingMembers.add(newMemberId);
    s.timers.schedule(pendingMemberKey(g.groupId, newMemberId), nowMs + req.sessionTimeoutMs, {
      kind: "pendingMember",
      groupId: g.groupId,
      memberId: newMemberId,
    });
    return joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED);
  }
  addMemberAndRebalance(s, g, newMemberId, req, call, nowMs, out);
  return PENDING;
};

const joinKnownMember: JoinMember = (s, g, req, call, nowMs, out) => {
  const memberId = req.memberId;
  if (g.pendingMembers.has(memberId)) {
    g.pendingMembers.delete(memberId);
    s.timers.cancel(pendingMemberKey(g.groupId, memberId));
    addMemberAndRebalance(s, g, memberId, req, call, nowMs, out);
    return PENDING;
  }
  if (g.isStaticMemberFenced(memberId, req.groupInstanceId)) return joinError(memberId, ErrorCode.FENCED_INSTANCE_ID);
  const member = g.members.get(memberId);
  if (member === undefined) return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
  switch (g.state) {
    case "PreparingRebalance":
      updateMemberAndRebalance(s, g, member, req, call, nowMs, out);
      return PENDING;
    case "CompletingRebalance":
      // The same metadata again: the member missed our JoinGroup answer; repeat it.
      if (sameProtocols(member.protocols, req.protocols)) return joinResponse(g, member);
      updateMemberAndRebalance(s, g, member, req, call, nowMs, out);
      return PENDING;
    case "Stable":
      if (g.isLeader(memberId) || !sameProtocols(member.protocols, req.protocols)) {
        updateMemberAndRebalance(s, g, member, req, call, nowMs, out);
        return PENDING;
      }
      s.scheduleHeartbeat(g, member, nowMs);
      return joinResponse(g, member);
    case "Empty":
    case "Dead":
      return joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID);
  }
};

function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.name !== b[i]!.name || !a[i]!.metadata.equals(b[i]!.metadata)) return false;
  }
  return true;
}

function rebalanceTimeoutOf(req: JoinGroupRequest): number {
  // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout.
  return req.rebalanceTimeoutMs !== undefined && req.rebalanceTimeoutMs >= 0
    ? req.rebalanceTimeoutMs
    : req.sessionTimeoutMs;
}

function addMemberAndRebalance(
  s: ShardState,
  g: ClassicGroup,
  memberId: string,
  req: JoinGroupRequest,
  call: CallInfo,
  nowMs: number,
  out: Out,
): void {
  const member: Member = {
    memberId,
    groupInstanceId: req.groupInstanceId ?? null,
    clientId: call.clientId,
    clientHost: call.clientHost,
    rebalanceTimeoutMs: rebalanceTimeoutOf(req),
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    assignment: Buffer.alloc(0),
    awaitingJoin: { requestId: call.requestId, version: call.version },
    awaitingSync: null,
    isNew: true,
  };
  g.addMember(member);
  if (g.is("PreparingRebalance") && g.inInitialDelay) g.newMemberAdded = true;
  s.scheduleHeartbeat(g, member, nowMs);
  maybePrepareRebalance(s, g, nowMs, out);
}

function updateMemberAndRebalance(
  s: ShardState,
  g: ClassicGroup,
  member: Member,
  req: JoinGroupRequest,
  call: CallInfo,
  nowMs: number,
  out: Out,
): void {
  // A second JoinGroup while one is parked: the older request is answered so nothing dangles.
  completePendingJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS), out);
  g.updateProtocols(
    member,
    req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
  );
  member.rebalanceTimeoutMs = rebalanceTimeoutOf(req);
  member.sessionTimeoutMs = req.sessionTimeoutMs;
  member.clientId = call.clientId;
  member.clientHost = call.clientHost;
  member.awaitingJoin = { requestId: call.requestId, version: call.version };
  maybePrepareRebalance(s, g, nowMs, out);
}

/** KIP-345: a static member restarted with a new member id; fence the old id, keep the assignment. */
function replaceStaticMember(
  s: ShardState,
  g: ClassicGroup,
  oldMemberId: string,
  newMemberId: string,
  req: JoinGroupRequest,
  call: CallInfo,
  nowMs: number,
  out: Out,
): JoinResult {
  const old = g.members.get(oldMemberId)!;
  completePendingJoin(old, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID), out);
  completePendingSync(old, syncError(ErrorCode.FENCED_INSTANCE_ID), out);
  const previousLeader = g.leaderId ?? "";
  const wasLeader = g.isLeader(oldMemberId);
  g.removeMember(oldMemberId);
  s.cancelHeartbeat(g, oldMemberId);
  const member: Member = {
    ...old,
    memberId: newMemberId,
    clientId: call.clientId,
    clientHost: call.clientHost,
    rebalanceTimeoutMs: rebalanceTimeoutOf(req),
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    awaitingJoin: null,
    awaitingSync: null,
  };
  g.addMember(member);
  if (wasLeader) g.leaderId = newMemberId;
  s.scheduleHeartbeat(g, member, nowMs);
  switch (g.state) {
    case "Stable":
      if (g.selectProtocol() === g.protocolName) {
        // Same protocol: no rebalance. Persist the new member id and answer with the current
        // generation, naming the previous leader id so the member does not run an assignment.
        s.storeGroup(g, nowMs, out);
        return joinResponse(g, member, previousLeader);
      }
      member.awaitingJoin = { requestId: call.requestId, version: call.version };
      prepareRebalance(s, g, nowMs, out);
      return PENDING;
    case "CompletingRebalance":
      member.awaitingJoin = { requestId: call.requestId, version: call.version };
      prepareRebalance(s, g, nowMs, out);
      return PENDING;
    default:
      member.awaitingJoin = { requestId: call.requestId, version: call.version };
      return PENDING;
  }
}
