// Applying __consumer_offsets records to the shard's state (Kafka's GroupMetadataManager replay).
// Used for the load-time rebuild and, at run time, for every offset record the shard emits.
import type { GroupMetadataValue } from "@gregor/protocol";
import { ClassicGroup, EMPTY_BYTES, offsetKey, type Member } from "./group.js";
import type { CoordinatorRecord, GroupMetadataRecord } from "./records.js";
import type { ShardState } from "./shard-state.js";

export function applyRecord(s: ShardState, rec: CoordinatorRecord): void {
  if (rec.type === "offset") {
    let g = s.groups.get(rec.groupId);
    if (rec.value === null) {
      if (g === undefined) return;
      g.offsets.delete(offsetKey(rec.topic, rec.partition));
      s.maybeDropGroup(g);
      return;
    }
    if (g === undefined) {
      g = new ClassicGroup(rec.groupId, Number(rec.value.commitTimestamp));
      s.groups.set(rec.groupId, g);
    }
    g.offsets.set(offsetKey(rec.topic, rec.partition), {
      offset: rec.value.offset,
      leaderEpoch: rec.value.leaderEpoch ?? -1,
      metadata: rec.value.metadata,
      commitTimestampMs: Number(rec.value.commitTimestamp),
      expireTimestampMs: Number(rec.value.expireTimestamp ?? -1n),
    });
    return;
  }
  if (rec.value === null) {
    // A deleted group: its offsets were tombstoned just before (DeleteGroups, expiry).
    s.groups.delete(rec.groupId);
    return;
  }
  loadGroup(s, rec.groupId, rec.value);
}

/** Rebuilds a group's membership from its last persisted generation (Stable or Empty). */
function loadGroup(s: ShardState, groupId: string, v: GroupMetadataValue): void {
  const stamp =
    v.currentStateTimestamp !== undefined && v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : 0;
  const old = s.groups.get(groupId);
  const g = new ClassicGroup(groupId, stamp);
  if (old !== undefined) for (const [k, o] of old.offsets) g.offsets.set(k, o);
  g.protocolType = v.protocolType;
  g.generationId = v.generation;
  g.protocolName = v.protocol;
  for (const mm of v.members) {
    const member: Member = {
      memberId: mm.memberId,
      groupInstanceId: mm.groupInstanceId ?? null,
      clientId: mm.clientId,
      clientHost: mm.clientHost,
      rebalanceTimeoutMs:
        mm.rebalanceTimeout !== undefined && mm.rebalanceTimeout >= 0 ? mm.rebalanceTimeout : mm.sessionTimeout,
      sessionTimeoutMs: mm.sessionTimeout,
      protocolType: v.protocolType,
      protocols: [{ name: v.protocol ?? "", metadata: mm.subscription }],
      assignment: mm.assignment,
      awaitingJoin: null,
      awaitingSync: null,
      isNew: false,
    };
    g.addMember(member);
  }
  g.leaderId = v.leader !== null && g.has(v.leader) ? v.leader : g.leaderId;
  g.state = g.size > 0 ? "Stable" : "Empty";
  g.currentStateTimestampMs = stamp;
  s.groups.set(groupId, g);
}

export function groupMetadataRecord(g: ClassicGroup, nowMs: number): GroupMetadataRecord {
  const members = [...g.members.values()].map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    rebalanceTimeout: m.rebalanceTimeoutMs,
    sessionTimeout: m.sessionTimeoutMs,
    subscription: g.metadataFor(m, g.protocolName),
    assignment: g.is("Empty") ? EMPTY_BYTES : m.assignment,
  }));
  return {
    type: "group",
    groupId: g.groupId,
    value: {
      protocolType: g.protocolType ?? "",
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestamp: BigInt(nowMs),
      members,
    },
  };
}
