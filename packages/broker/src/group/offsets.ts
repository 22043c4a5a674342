// OffsetCommit, OffsetFetch, OffsetDelete and offset retention (Kafka's handleCommitOffsets,
// handleFetchOffsets, handleDeleteOffsets and KIP-211 expiry). Every change to committed offsets
// is a record, applied through replay().
import {
  Reader,
  decodeConsumerProtocolSubscription,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
  type OffsetFetchResponseOffsetFetchResponseGroup,
  type OffsetFetchResponseOffsetFetchResponsePartitions,
} from "@gregor/protocol";
import { ErrorCode } from "./errors.js";
import { offsetKey, splitOffsetKey, type ClassicGroup } from "./group.js";
import type { OffsetCommitRecord } from "./records.js";
import type { CallInfo, OffsetFetchGroupRequest, Out, ShardState } from "./shard-state.js";

export function offsetCommit(
  s: ShardState,
  req: OffsetCommitRequest,
  call: CallInfo,
  nowMs: number,
  out: Out,
): OffsetCommitResponse {
  const all = (code: number): OffsetCommitResponse => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })),
    })),
  });
  if (!s.validGroupId(req.groupId, true)) return all(ErrorCode.INVALID_GROUP_ID);
  const generationId = req.generationIdOrMemberEpoch ?? -1;
  const memberId = req.memberId ?? "";
  let g = s.groups.get(req.groupId);
  if (g === undefined) {
    // A consumer outside group management (assign() + commit) creates an Empty group.
    if (generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
    g = s.createGroup(req.groupId, nowMs);
    if (g === undefined) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  const code = commitGate(g, memberId, generationId, req.groupInstanceId);
  if (code !== ErrorCode.NONE) {
    s.maybeDropGroup(g);
    return all(code);
  }
  const member = g.members.get(memberId);
  if (member !== undefined) s.scheduleHeartbeat(g, member, nowMs);
  const retentionMs =
    call.version >= 2 && call.version <= 4 && req.retentionTimeMs !== undefined ? Number(req.retentionTimeMs) : -1;
  const response: OffsetCommitResponse = { throttleTimeMs: 0, topics: [] };
  for (const t of req.topics) {
    const count = s.topics.partitionCount(t.name);
    const partitions = t.partitions.map((p) => {
      let errorCode: number = ErrorCode.NONE;
      if (count === undefined || p.partitionIndex < 0 || p.partitionIndex >= count)
        errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (p.committedMetadata !== null && byteLength(p.committedMetadata) > s.config.offsetMetadataMaxBytes)
        errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      else {
        const rec: OffsetCommitRecord = {
          type: "offset",
          groupId: req.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata: p.committedMetadata ?? "",
            commitTimestamp: BigInt(nowMs),
            expireTimestamp: retentionMs >= 0 ? BigInt(nowMs + retentionMs) : -1n,
          },
        };
        out.records.push(rec);
        s.replay(rec);
      }
      return { partitionIndex: p.partitionIndex, errorCode };
    });
    response.topics.push({ name: t.name, partitions });
  }
  s.maybeDropGroup(g);
  return response;
}

function byteLength(str: string): number {
  return Buffer.byteLength(str, "utf8");
}

function commitGate(
  g: ClassicGroup,
  memberId: string,
  generationId: number,
  instanceId: string | null | undefined,
): number {
  if (g.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (g.isStaticMemberFenced(memberId, instanceId)) return ErrorCode.FENCED_INSTANCE_ID;
  if (generationId < 0 && g.is("Empty")) return ErrorCode.NONE;
  if (!g.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
  if (g.is("CompletingRebalance")) return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

export function offsetFetch(s: ShardState, req: OffsetFetchGroupRequest): OffsetFetchResponseOffsetFetchResponseGroup {
  if (!s.validGroupId(req.groupId, true))
    return { groupId: req.groupId, topics: [], errorCode: ErrorCode.INVALID_GROUP_ID };
  const g = s.groups.get(req.groupId);
  const entry = (topic: string, partition: number): OffsetFetchResponseOffsetFetchResponsePartitions => {
    const o = g?.offsets.get(offsetKey(topic, partition));
    return o === undefined
      ? {
          partitionIndex: partition,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: ErrorCode.NONE,
        }
      : {
          partitionIndex: partition,
          committedOffset: o.offset,
          committedLeaderEpoch: o.leaderEpoch,
          metadata: o.metadata,
          errorCode: ErrorCode.NONE,
        };
  };
  if (req.topics !== null) {
    return {
      groupId: req.groupId,
      errorCode: ErrorCode.NONE,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => entry(t.name, p)) })),
    };
  }
  const byTopic = new Map<string, number[]>();
  for (const k of g?.offsets.keys() ?? []) {
    const [topic, partition] = splitOffsetKey(k);
    const list = byTopic.get(topic) ?? [];
    list.push(partition);
    byTopic.set(topic, list);
  }
  const topics = [...byTopic].map(([name, ps]) => ({
    name,
    partitions: ps.sort((a, b) => a - b).map((p) => entry(name, p)),
  }));
  return { groupId: req.groupId, errorCode: ErrorCode.NONE, topics };
}

/** Topics the members of a consumer-protocol group subscribe to; undefined when unknowable. */
function subscribedTopics(g: ClassicGroup): Set<string> | undefined {
  const topics = new Set<string>();
  if (g.is("Empty")) return topics;
  if (g.protocolType !== "consumer") return undefined;
  for (const m of g.members.values()) {
    try {
      const r = new Reader(g.metadataFor(m, g.protocolName));
      const version = r.int16("version");
      const sub = decodeConsumerProtocolSubscription(r, Math.min(Math.max(version, 0), 3));
      for (const t of sub.topics) topics.add(t);
    } catch {
      return undefined;
    }
  }
  return topics;
}

export function offsetDelete(s: ShardState, req: OffsetDeleteRequest, out: Out): OffsetDeleteResponse {
  const top = (code: number): OffsetDeleteResponse => ({ errorCode: code, throttleTimeMs: 0, topics: [] });
  if (!s.validGroupId(req.groupId, true)) return top(ErrorCode.INVALID_GROUP_ID);
  const g = s.groups.get(req.groupId);
  if (g === undefined || g.is("Dead")) return top(ErrorCode.GROUP_ID_NOT_FOUND);
  const subscribed = subscribedTopics(g);
  if (subscribed === undefined) return top(ErrorCode.NON_EMPTY_GROUP);
  const response: OffsetDeleteResponse = { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics: [] };
  for (const t of req.topics) {
    const count = s.topics.partitionCount(t.name);
    const partitions = t.partitions.map((p) => {
      if (count === undefined || p.partitionIndex < 0 || p.partitionIndex >= count) {
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION as number };
      }
      if (subscribed.has(t.name))
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC as number };
      if (g.offsets.has(offsetKey(t.name, p.partitionIndex))) {
        const rec: OffsetCommitRecord = {
          type: "offset",
          groupId: g.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: null,
        };
        out.records.push(rec);
        s.replay(rec);
      }
      return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number };
    });
    response.topics.push({ name: t.name, partitions });
  }
  return response;
}

/**
 * KIP-211 retention: offsets of an Empty group expire `offsets.retention.minutes` after the group
 * became Empty (after their own commit for groups that never used membership); an explicit
 * expire timestamp (OffsetCommit v2-4 retention_time) wins. An Empty group left with no offsets
 * is deleted (tombstone).
 */
export function expireOffsets(s: ShardState, nowMs: number, out: Out): void {
  for (const g of [...s.groups.values()]) {
    if (!g.is("Empty") || g.size > 0) continue;
    const standalone = g.protocolType === null || g.protocolType === "";
    for (const [k, o] of [...g.offsets]) {
      const base = standalone ? o.commitTimestampMs : g.currentStateTimestampMs;
      const expired =
        o.expireTimestampMs >= 0 ? nowMs >= o.expireTimestampMs : base + s.config.offsetsRetentionMs <= nowMs;
      if (!expired) continue;
      const [topic, partition] = splitOffsetKey(k);
      const rec: OffsetCommitRecord = { type: "offset", groupId: g.groupId, topic, partition, value: null };
      out.records.push(rec);
      s.replay(rec);
    }
    if (g.offsets.size === 0 && g.pendingMembers.size === 0 && s.groups.has(g.groupId)) {
      const rec = { type: "group" as const, groupId: g.groupId, value: null };
      out.records.push(rec);
      g.transitionTo("Dead", nowMs);
      s.replay(rec);
    }
  }
}
