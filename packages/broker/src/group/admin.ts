// DescribeGroups, ListGroups and DeleteGroups (Kafka's handleDescribeGroup / handleListGroups /
// handleDeleteGroups).
import type {
  DeleteGroupsResponseDeletableGroupResult,
  DescribeGroupsResponseDescribedGroup,
  ListGroupsRequest,
  ListGroupsResponse,
} from "@gregor/protocol";
import { ErrorCode } from "./errors.js";
import { EMPTY_BYTES, splitOffsetKey } from "./group.js";
import type { CoordinatorRecord } from "./records.js";
import type { ShardState, Out } from "./shard-state.js";

export function describeGroups(s: ShardState, groupIds: string[]): DescribeGroupsResponseDescribedGroup[] {
  return groupIds.map((groupId) => {
    const dead: DescribeGroupsResponseDescribedGroup = {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: "Dead",
      protocolType: "",
      protocolData: "",
      members: [],
      authorizedOperations: -2147483648,
    };
    if (!s.validGroupId(groupId, true)) return { ...dead, errorCode: ErrorCode.INVALID_GROUP_ID };
    const g = s.groups.get(groupId);
    if (g === undefined || g.is("Dead")) return dead;
    // Like Kafka: metadata and assignments are shown only for a Stable group.
    const stable = g.is("Stable");
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? "",
      protocolData: stable ? (g.protocolName ?? "") : "",
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? g.metadataFor(m, g.protocolName) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
      authorizedOperations: -2147483648,
    };
  });
}

export function listGroups(s: ShardState, req: ListGroupsRequest): ListGroupsResponse {
  const states = (req.statesFilter ?? []).map((x) => x.toLowerCase());
  const types = (req.typesFilter ?? []).map((x) => x.toLowerCase());
  const groups: ListGroupsResponse["groups"] = [];
  for (const g of s.groups.values()) {
    if (g.is("Dead")) continue;
    if (states.length > 0 && !states.includes(g.state.toLowerCase())) continue;
    if (types.length > 0 && !types.includes("classic")) continue;
    groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? "", groupState: g.state, groupType: "classic" });
  }
  groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
}

export function deleteGroups(
  s: ShardState,
  groupIds: string[],
  nowMs: number,
  out: Out,
): DeleteGroupsResponseDeletableGroupResult[] {
  return groupIds.map((groupId) => {
    if (!s.validGroupId(groupId, true)) return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID };
    const g = s.groups.get(groupId);
    if (g === undefined || g.is("Dead")) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    if (!g.is("Empty") || g.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
    // Offsets first, then the group: replaying a prefix never resurrects offsets of a deleted group.
    const records: CoordinatorRecord[] = [];
    for (const k of g.offsets.keys()) {
      const [topic, partition] = splitOffsetKey(k);
      records.push({ type: "offset", groupId, topic, partition, value: null });
    }
    records.push({ type: "group", groupId, value: null });
    for (const p of g.pendingMembers) s.timers.cancel(`pm\u0000${groupId}\u0000${p}`);
    g.transitionTo("Dead", nowMs);
    for (const r of records) {
      out.records.push(r);
      s.replay(r);
    }
    return { groupId, errorCode: ErrorCode.NONE };
  });
}
