import { describe, expect, it } from "vitest";
import type { JoinGroupResponse, SyncGroupResponse } from "@gregor/protocol";
import {
  ErrorCode,
  PENDING,
  decodeCoordinatorRecord,
  encodeCoordinatorRecord,
  javaStringHashCode,
  partitionForGroup,
} from "../src/group/index.js";
import { Sim, joinBody, newShard, protocols } from "./group-harness.js";

/** Joins one dynamic member (v5 MEMBER_ID_REQUIRED round trip) and returns its id and join request id. */
function joinNew(sim: Sim, groupId: string, extra = {}): { memberId: string; requestId: number } {
  const first = sim.send("JoinGroup", joinBody(groupId, "", extra));
  const r = first.response as JoinGroupResponse;
  expect(r.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(r.memberId).toMatch(/^c-[0-9a-f-]{36}$/);
  const second = sim.send("JoinGroup", joinBody(groupId, r.memberId, extra));
  return { memberId: r.memberId, requestId: second.requestId };
}

function joined(sim: Sim, requestId: number): JoinGroupResponse {
  const r = sim.result<JoinGroupResponse>(requestId);
  expect(r, `join ${requestId} not completed`).toBeDefined();
  return r!;
}

describe("hash: coordinator partition like Kafka", () => {
  it("matches Java's String.hashCode and Utils.abs", () => {
    expect(javaStringHashCode("")).toBe(0);
    expect(javaStringHashCode("a")).toBe(97);
    expect(javaStringHashCode("hello")).toBe(99162322);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE; Utils.abs maps it to 0.
    expect(javaStringHashCode("polygenelubricants")).toBe(-2147483648);
    expect(partitionForGroup("polygenelubricants", 50)).toBe(0);
    // A negative hash ("my-group".hashCode() = -1906497762, computed independently).
    expect(javaStringHashCode("my-group")).toBe(-1906497762);
    expect(partitionForGroup("my-group", 50)).toBe(36);
  });
});

describe("__consumer_offsets records", () => {
  it("round-trips offset commits, group metadata and tombstones with version-prefixed keys", () => {
    const off = {
      type: "offset" as const,
      groupId: "g",
      topic: "t",
      partition: 3,
      value: { offset: 42n, leaderEpoch: 7, metadata: "m", commitTimestamp: 5n, expireTimestamp: -1n },
    };
    const kv = encodeCoordinatorRecord(off);
    expect(kv.key.readInt16BE(0)).toBe(1);
    expect(kv.key.subarray(2).toString("hex")).toBe("00016700017400000003");
    expect(kv.value!.readInt16BE(0)).toBe(3);
    expect(decodeCoordinatorRecord(kv.key, kv.value)).toEqual(off);
    const tomb = encodeCoordinatorRecord({ ...off, value: null });
    expect(tomb.value).toBeNull();
    expect(decodeCoordinatorRecord(tomb.key, null)).toEqual({ ...off, value: null });
    const grp = {
      type: "group" as const,
      groupId: "g",
      value: {
        protocolType: "consumer",
        generation: 3,
        protocol: "range",
        leader: "m1",
        currentStateTimestamp: 9n,
        members: [],
      },
    };
    const gkv = encodeCoordinatorRecord(grp);
    expect(gkv.key.readInt16BE(0)).toBe(2);
    expect(decodeCoordinatorRecord(gkv.key, gkv.value)).toEqual(grp);
    expect(decodeCoordinatorRecord(Buffer.from([0, 9, 0, 0]), null)).toBeUndefined();
  });
});

describe("classic group protocol", () => {
  it("v4+ JoinGroup needs MEMBER_ID_REQUIRED, then forms generation 1 and syncs", () => {
    const sim = new Sim();
    const { memberId, requestId } = joinNew(sim, "g");
    const j = joined(sim, requestId);
    expect(j).toMatchObject({ errorCode: 0, generationId: 1, protocolName: "range", leader: memberId, memberId });
    expect(j.members.map((m) => m.memberId)).toEqual([memberId]);
    const s = sim.send("SyncGroup", {
      groupId: "g",
      generationId: 1,
      memberId,
      assignments: [{ memberId, assignment: Buffer.from("A") }],
    });
    expect((s.response as SyncGroupResponse).assignment.toString()).toBe("A");
    expect(sim.shard.groups.get("g")!.state).toBe("Stable");
    expect(sim.records.filter((r) => r.type === "group")).toHaveLength(1);
  });

  it("v0-3 JoinGroup gets a member id directly", () => {
    const sim = new Sim();
    const r = sim.send("JoinGroup", joinBody("g"), 2);
    expect(r.response).toBe(PENDING);
    expect(joined(sim, r.requestId).generationId).toBe(1);
  });

  it("waits group.initial.rebalance.delay.ms and extends it for late joiners", () => {
    const sim = new Sim(newShard({ initialRebalanceDelayMs: 3000 }));
    const a = sim.send("JoinGroup", joinBody("g"), 2);
    sim.advance(2000);
    const b = sim.send("JoinGroup", joinBody("g"), 2);
    sim.advance(1000);
    expect(sim.result(a.requestId)).toBeUndefined(); // b extended the delay
    sim.advance(3000);
    expect(joined(sim, a.requestId).generationId).toBe(1);
    expect(joined(sim, b.requestId).generationId).toBe(1);
    expect(sim.shard.groups.get("g")!.size).toBe(2);
  });

  it("a second member triggers a rebalance seen through Heartbeat", () => {
    const sim = new Sim();
    const a = joinNew(sim, "g");
    sim.send("SyncGroup", { groupId: "g", generationId: 1, memberId: a.memberId, assignments: [] });
    const b = joinNew(sim, "g");
    expect(sim.result(b.requestId)).toBeUndefined();
    const hb = sim.send("Heartbeat", { groupId: "g", generationId: 1, memberId: a.memberId });
    expect(hb.response.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const ra = sim.send("JoinGroup", joinBody("g", a.memberId));
    const ja = joined(sim, ra.requestId);
    const jb = joined(sim, b.requestId);
    expect(ja.generationId).toBe(2);
    expect(ja.leader).toBe(a.memberId);
    expect(ja.members).toHaveLength(2);
    expect(jb.members).toHaveLength(0);
    const sb = sim.send("SyncGroup", { groupId: "g", generationId: 2, memberId: b.memberId, assignments: [] });
    expect(sb.response).toBe(PENDING);
    sim.send("SyncGroup", {
      groupId: "g",
      generationId: 2,
      memberId: a.memberId,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from("x") },
        { memberId: b.memberId, assignment: Buffer.from("y") },
      ],
    });
    expect(sim.result<SyncGroupResponse>(sb.requestId)!.assignment.toString()).toBe("y");
  });

  it("a member that stops heartbeating is expired and the group empties", () => {
    const sim = new Sim();
    const a = joinNew(sim, "g");
    sim.send("SyncGroup", { groupId: "g", generationId: 1, memberId: a.memberId, assignments: [] });
    sim.advance(9_000);
    expect(sim.send("Heartbeat", { groupId: "g", generationId: 1, memberId: a.memberId }).response.errorCode).toBe(0);
    sim.advance(10_001);
    const g = sim.shard.groups.get("g")!;
    expect(g.state).toBe("Empty");
    expect(g.generationId).toBe(2);
    expect(sim.send("Heartbeat", { groupId: "g", generationId: 1, memberId: a.memberId }).response.errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it("static member restart within the session timeout causes no rebalance and fences the old id", () => {
    const sim = new Sim();
    const a = sim.send("JoinGroup", joinBody("g", "", { groupInstanceId: "i1" }));
    const ja = joined(sim, a.requestId);
    sim.send("SyncGroup", {
      groupId: "g",
      generationId: 1,
      memberId: ja.memberId,
      assignments: [{ memberId: ja.memberId, assignment: Buffer.from("P") }],
    });
    sim.advance(5000);
    const again = sim.send("JoinGroup", joinBody("g", "", { groupInstanceId: "i1" }));
    const r = again.response as JoinGroupResponse;
    expect(r.errorCode).toBe(0);
    expect(r.generationId).toBe(1);
    expect(r.memberId).not.toBe(ja.memberId);
    expect(r.leader).toBe(ja.memberId); // the old leader id: no assignment run by the restarted member
    const g = sim.shard.groups.get("g")!;
    expect(g.state).toBe("Stable");
    const sync = sim.send("SyncGroup", {
      groupId: "g",
      generationId: 1,
      memberId: r.memberId,
      groupInstanceId: "i1",
      assignments: [],
    });
    expect((sync.response as SyncGroupResponse).assignment.toString()).toBe("P");
    const old = sim.send("Heartbeat", { groupId: "g", generationId: 1, memberId: ja.memberId, groupInstanceId: "i1" });
    expect(old.response.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it("selects the protocol every member supports, by votes", () => {
    const sim = new Sim();
    const a = sim.send("JoinGroup", joinBody("g", "", { protocols: protocols(["cooperative-sticky", "range"]) }), 2);
    const ja = joined(sim, a.requestId);
    sim.send("SyncGroup", { groupId: "g", generationId: 1, memberId: ja.memberId, assignments: [] });
    const b = sim.send("JoinGroup", joinBody("g", "", { protocols: protocols(["range"]) }), 2);
    sim.send("JoinGroup", joinBody("g", ja.memberId, { protocols: protocols(["cooperative-sticky", "range"]) }), 2);
    expect(joined(sim, b.requestId).protocolName).toBe("range");
    const c = sim.send("JoinGroup", joinBody("g", "", { protocols: protocols(["roundrobin"]) }), 2);
    expect((c.response as JoinGroupResponse).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it("batch LeaveGroup removes members by id and by instance id", () => {
    const sim = new Sim(newShard({ initialRebalanceDelayMs: 100 }));
    const a = sim.send("JoinGroup", joinBody("g", "", { groupInstanceId: "i1" }));
    const b = sim.send("JoinGroup", joinBody("g"), 3);
    sim.advance(100); // b joined during the delay: one more delay (KIP-134)
    expect(sim.result(b.requestId)).toBeUndefined();
    sim.advance(100);
    const bId = joined(sim, b.requestId).memberId;
    const leave = sim.send(
      "LeaveGroup",
      {
        groupId: "g",
        members: [
          { memberId: "", groupInstanceId: "i1" },
          { memberId: bId, groupInstanceId: null },
          { memberId: "nope", groupInstanceId: null },
        ],
      },
      3,
    );
    expect(leave.response.members!.map((m) => m.errorCode)).toEqual([0, 0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(sim.shard.groups.get("g")!.state).toBe("Empty");
    expect(joined(sim, a.requestId).errorCode).toBe(0);
  });
});

describe("error codes for bad input", () => {
  it("answers Kafka's codes", () => {
    const sim = new Sim(newShard({ maxGroupSize: 1 }));
    const join = (body: ReturnType<typeof joinBody>, v = 5) =>
      (sim.send("JoinGroup", body, v).response as JoinGroupResponse).errorCode;
    expect(join(joinBody(""))).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(join(joinBody("x".repeat(256)))).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(join(joinBody("g", "", { sessionTimeoutMs: 10 }))).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(join(joinBody("g", "ghost"))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(join(joinBody("g", "", { protocols: [] }))).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const a = sim.send("JoinGroup", joinBody("g"), 2);
    const ja = joined(sim, a.requestId);
    expect(join(joinBody("g"), 2)).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    expect(join(joinBody("g", ja.memberId, { protocolType: "connect" }))).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const hb = (generationId: number, memberId: string) =>
      sim.send("Heartbeat", { groupId: "g", generationId, memberId }).response.errorCode;
    expect(hb(7, ja.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(hb(1, "ghost")).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const commit = (
      generationId: number,
      memberId: string,
      topic = "t1",
      partition = 0,
      metadata: string | null = null,
    ) =>
      sim.send("OffsetCommit", {
        groupId: "g",
        generationIdOrMemberEpoch: generationId,
        memberId,
        topics: [
          {
            name: topic,
            partitions: [{ partitionIndex: partition, committedOffset: 5n, committedMetadata: metadata }],
          },
        ],
      }).response.topics[0]!.partitions[0]!.errorCode;
    expect(commit(1, ja.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    sim.send("SyncGroup", { groupId: "g", generationId: 1, memberId: ja.memberId, assignments: [] });
    expect(commit(1, ja.memberId)).toBe(0);
    expect(commit(0, ja.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(commit(1, "ghost")).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(commit(-1, "")).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(commit(1, ja.memberId, "nope")).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(commit(1, ja.memberId, "t1", 99)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(commit(1, ja.memberId, "t1", 0, "m".repeat(5000))).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
    expect(sim.send("DeleteGroups", { groupsNames: ["g", "none"] }).response.map((r) => r.errorCode)).toEqual([
      ErrorCode.NON_EMPTY_GROUP,
      ErrorCode.GROUP_ID_NOT_FOUND,
    ]);
    const od = sim.send("OffsetDelete", {
      groupId: "g",
      topics: [{ name: "t1", partitions: [{ partitionIndex: 0 }] }],
    }).response;
    expect(od.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    expect(sim.send("OffsetDelete", { groupId: "none", topics: [] }).response.errorCode).toBe(
      ErrorCode.GROUP_ID_NOT_FOUND,
    );
    expect(sim.duplicateCompletions).toBe(0);
  });
});

describe("offsets", () => {
  it("simple (generation -1) commits, fetch, delete and replay after restart", () => {
    const sim = new Sim();
    const r = sim.send(
      "OffsetCommit",
      {
        groupId: "solo",
        generationIdOrMemberEpoch: -1,
        memberId: "",
        topics: [
          {
            name: "t1",
            partitions: [
              { partitionIndex: 1, committedOffset: 10n, committedLeaderEpoch: 2, committedMetadata: "meta" },
            ],
          },
        ],
      },
      7,
    );
    expect(r.response.topics[0]!.partitions[0]!.errorCode).toBe(0);
    const f = sim.send("OffsetFetch", { groupId: "solo", topics: [{ name: "t1", partitionIndexes: [1, 2] }] }).response;
    expect(f.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([10n, -1n]);
    const all = sim.send("OffsetFetch", { groupId: "solo", topics: null }).response;
    expect(all.topics).toEqual([
      {
        name: "t1",
        partitions: [
          { partitionIndex: 1, committedOffset: 10n, committedLeaderEpoch: 2, metadata: "meta", errorCode: 0 },
        ],
      },
    ]);
    // Restart: a fresh shard replaying the emitted records sees the same offsets.
    const fresh = newShard();
    for (const rec of sim.records)
      fresh.replay(decodeCoordinatorRecord(encodeCoordinatorRecord(rec).key, encodeCoordinatorRecord(rec).value)!);
    expect(fresh.durableView()).toEqual(sim.shard.durableView());
    const del = sim.send("OffsetDelete", {
      groupId: "solo",
      topics: [{ name: "t1", partitions: [{ partitionIndex: 1 }] }],
    }).response;
    expect(del.topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect(sim.shard.groups.has("solo")).toBe(false);
  });

  it("expires offsets of empty groups after offsets.retention", () => {
    const sim = new Sim(newShard({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 }));
    sim.send("OffsetCommit", {
      groupId: "solo",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "t1", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
    });
    sim.advance(50_000);
    expect(sim.shard.groups.has("solo")).toBe(true);
    sim.advance(20_000);
    expect(sim.shard.groups.has("solo")).toBe(false);
    expect(sim.records.at(-1)).toMatchObject({ type: "offset", value: null });
  });

  it("DeleteGroups tombstones offsets then the group", () => {
    const sim = new Sim();
    const a = sim.send("JoinGroup", joinBody("g"), 2);
    const ja = joined(sim, a.requestId);
    sim.send("SyncGroup", { groupId: "g", generationId: 1, memberId: ja.memberId, assignments: [] });
    sim.send("OffsetCommit", {
      groupId: "g",
      generationIdOrMemberEpoch: 1,
      memberId: ja.memberId,
      topics: [{ name: "t2", partitions: [{ partitionIndex: 1, committedOffset: 3n, committedMetadata: null }] }],
    });
    sim.send("LeaveGroup", { groupId: "g", memberId: ja.memberId }, 1);
    const d = sim.send("DeleteGroups", { groupsNames: ["g"] });
    expect(d.response[0]!.errorCode).toBe(0);
    expect(sim.records.slice(-2).map((r) => [r.type, r.value])).toEqual([
      ["offset", null],
      ["group", null],
    ]);
    const fresh = newShard();
    for (const rec of sim.records) fresh.replay(rec);
    expect(fresh.groups.has("g")).toBe(false);
  });

  it("ListGroups filters by state; DescribeGroups shows Stable members", () => {
    const sim = new Sim();
    const a = sim.send("JoinGroup", joinBody("g1"), 2);
    const ja = joined(sim, a.requestId);
    sim.send("SyncGroup", {
      groupId: "g1",
      generationId: 1,
      memberId: ja.memberId,
      assignments: [{ memberId: ja.memberId, assignment: Buffer.from("Z") }],
    });
    sim.send("OffsetCommit", {
      groupId: "g2",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "t1", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
    });
    expect(sim.send("ListGroups", { statesFilter: ["stable"] }).response.groups.map((g) => g.groupId)).toEqual(["g1"]);
    expect(sim.send("ListGroups", {}).response.groups.map((g) => [g.groupId, g.groupState])).toEqual([
      ["g1", "Stable"],
      ["g2", "Empty"],
    ]);
    const d = sim.send("DescribeGroups", { groups: ["g1", "zz"] }).response;
    expect(d[0]).toMatchObject({ groupState: "Stable", protocolType: "consumer", protocolData: "range" });
    expect(d[0]!.members[0]!.memberAssignment.toString()).toBe("Z");
    expect(d[1]!.groupState).toBe("Dead");
  });
});
