// The group APIs over the wire at their edge versions, and Kafka's error code for each kind of
// bad input (raw requests through @gregor/client's Connection, one connection per member because
// a parked JoinGroup holds back later responses on its connection, as in Kafka).
import { Connection } from "@gregor/client";
import type {
  ApiVersionsResponse,
  DeleteGroupsResponse,
  DescribeGroupsResponse,
  FindCoordinatorResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  ListGroupsResponse,
  OffsetCommitResponse,
  OffsetDeleteResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from "@gregor/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "../src/index.js";
import { partitionForGroup } from "../src/group/index.js";

let broker: Broker;
const conns: Connection[] = [];
beforeAll(async () => {
  broker = await startBroker({
    dataDir: ":memory:",
    port: 0,
    config: {
      "group.initial.rebalance.delay.ms": 0,
      "group.min.session.timeout.ms": 1000,
      "group.max.size": 2,
      "gregor.admin.port": -1,
    },
  });
  await broker.services.internalTopic("wire-t", 4, {});
});
afterAll(async () => {
  for (const c of conns) c.close();
  await broker?.close();
});

async function connect(clientId = "wire"): Promise<Connection> {
  const c = await Connection.connect({ host: "127.0.0.1", port: broker.port, clientId });
  conns.push(c);
  return c;
}

const subscription = Buffer.from([0, 0, 0, 0, 0, 1, 0, 6, ...Buffer.from("wire-t"), 0xff, 0xff, 0xff, 0xff]);
const join = (c: Connection, v: number, groupId: string, memberId = "", extra: Record<string, unknown> = {}) =>
  c.request<JoinGroupResponse>(
    11,
    {
      groupId,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: subscription }],
      reason: null,
      ...extra,
    },
    { apiVersion: v },
  );

describe("group APIs on the wire", () => {
  it("advertises Kafka's version ranges (librdkafka probe windows included)", async () => {
    const c = await connect();
    const r = await c.request<ApiVersionsResponse>(
      18,
      { clientSoftwareName: "t", clientSoftwareVersion: "1" },
      { apiVersion: 3 },
    );
    const range = (k: number) => {
      const e = r.apiKeys.find((x) => x.apiKey === k)!;
      return [e.minVersion, e.maxVersion];
    };
    expect(range(10)).toEqual([0, 5]);
    expect(range(11)).toEqual([0, 9]);
    expect(range(14)).toEqual([0, 5]);
    expect(range(12)).toEqual([0, 4]);
    expect(range(13)).toEqual([0, 5]);
    expect(range(8)).toEqual([2, 9]);
    expect(range(9)).toEqual([1, 9]);
    expect(range(15)).toEqual([0, 5]);
    expect(range(16)).toEqual([0, 5]);
    expect(range(42)).toEqual([0, 2]);
    expect(range(47)).toEqual([0, 0]);
  });

  it("FindCoordinator v0 and batched v4 name this broker; bad key types get INVALID_REQUEST", async () => {
    const c = await connect();
    const v0 = await c.request<FindCoordinatorResponse>(10, { key: "g" }, { apiVersion: 0 });
    expect(v0).toMatchObject({ errorCode: 0, nodeId: broker.nodeId, port: broker.port });
    const v4 = await c.request<FindCoordinatorResponse>(
      10,
      { keyType: 0, coordinatorKeys: ["a", "b", ""] },
      { apiVersion: 4 },
    );
    expect(v4.coordinators!.map((x) => [x.key, x.errorCode, x.port])).toEqual([
      ["a", 0, broker.port],
      ["b", 0, broker.port],
      ["", 42, -1],
    ]);
    const bad = await c.request<FindCoordinatorResponse>(10, { key: "g", keyType: 7 }, { apiVersion: 2 });
    expect(bad.errorCode).toBe(42);
    // The coordinator partition is Kafka's: abs(hashCode) % 50.
    expect(broker.services.topics.get("__consumer_offsets")!.partitions).toHaveLength(50);
    expect(partitionForGroup("g", 50)).toBe(Math.abs(103) % 50);
  });

  it("runs a whole group life cycle at the flexible versions and reports errors at every step", async () => {
    const a = await connect("a");
    const b = await connect("b");
    const other = await connect("admin");
    // JoinGroup v9: MEMBER_ID_REQUIRED first, then a generation.
    const first = await join(a, 9, "wg");
    expect(first.errorCode).toBe(79);
    const ja = await join(a, 9, "wg", first.memberId);
    expect(ja).toMatchObject({ errorCode: 0, generationId: 1, protocolName: "range", leader: first.memberId });
    const sa = await a.request<SyncGroupResponse>(
      14,
      {
        groupId: "wg",
        generationId: 1,
        memberId: ja.memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocolName: "range",
        assignments: [{ memberId: ja.memberId, assignment: Buffer.from([1, 2]) }],
      },
      { apiVersion: 5 },
    );
    expect(sa).toMatchObject({ errorCode: 0, protocolName: "range" });
    expect([...sa.assignment]).toEqual([1, 2]);
    // Errors on the way.
    const hb = (memberId: string, generationId: number, v = 4) =>
      other
        .request<HeartbeatResponse>(
          12,
          { groupId: "wg", generationId, memberId, groupInstanceId: null },
          { apiVersion: v },
        )
        .then((r) => r.errorCode);
    expect(await hb(ja.memberId, 1)).toBe(0);
    expect(await hb(ja.memberId, 9, 0)).toBe(22);
    expect(await hb("nobody", 1)).toBe(25);
    expect((await join(other, 5, "")).errorCode).toBe(24);
    expect((await join(other, 5, "x".repeat(300))).errorCode).toBe(24);
    expect((await join(other, 5, "wg", "", { sessionTimeoutMs: 10 })).errorCode).toBe(26);
    expect((await join(other, 5, "wg", "", { protocolType: "connect" })).errorCode).toBe(23);
    expect((await join(other, 1, "wg", "ghost")).errorCode).toBe(25);
    const sync = await other.request<SyncGroupResponse>(
      14,
      { groupId: "wg", generationId: 1, memberId: "ghost", assignments: [] },
      { apiVersion: 0 },
    );
    expect(sync.errorCode).toBe(25);
    // A second member (v5, no MEMBER_ID_REQUIRED for static members) triggers a rebalance...
    const pendingB = join(b, 5, "wg", "", { groupInstanceId: "b-1" });
    await new Promise((r) => setTimeout(r, 50));
    expect(await hb(ja.memberId, 1)).toBe(27);
    // ...and a third does not fit (group.max.size=2).
    const c3 = await connect("c");
    expect((await join(c3, 3, "wg")).errorCode).toBe(81);
    const ja2 = await join(a, 9, "wg", ja.memberId);
    const jb = await pendingB;
    expect(ja2.generationId).toBe(2);
    expect(jb.generationId).toBe(2);
    expect(ja2.members.map((m) => m.groupInstanceId).sort()).toEqual(["b-1", null]);
    // OffsetCommit v9 with a stale generation, unknown topics, a good commit.
    const commit = (generationIdOrMemberEpoch: number, memberId: string, name: string, partitionIndex: number, v = 9) =>
      other
        .request<OffsetCommitResponse>(
          8,
          {
            groupId: "wg",
            generationIdOrMemberEpoch,
            memberId,
            groupInstanceId: null,
            retentionTimeMs: -1n,
            topics: [
              {
                name,
                partitions: [{ partitionIndex, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: "m" }],
              },
            ],
          },
          { apiVersion: v },
        )
        .then((r) => r.topics[0]!.partitions[0]!.errorCode);
    expect(await commit(2, ja.memberId, "wire-t", 0)).toBe(27); // CompletingRebalance
    await Promise.all([
      b.request<SyncGroupResponse>(
        14,
        { groupId: "wg", generationId: 2, memberId: jb.memberId, groupInstanceId: "b-1", assignments: [] },
        { apiVersion: 3 },
      ),
      a.request<SyncGroupResponse>(
        14,
        {
          groupId: "wg",
          generationId: 2,
          memberId: ja.memberId,
          assignments: [{ memberId: jb.memberId, assignment: Buffer.from([9]) }],
        },
        { apiVersion: 2 },
      ),
    ]).then(([rb]) => expect([...rb.assignment]).toEqual([9]));
    expect(await commit(1, ja.memberId, "wire-t", 0)).toBe(22);
    expect(await commit(2, ja.memberId, "nope", 0)).toBe(3);
    expect(await commit(2, ja.memberId, "wire-t", 4)).toBe(3);
    expect(await commit(2, ja.memberId, "wire-t", 1, 2)).toBe(0);
    // OffsetFetch v1 (per-partition errors), v7 (top-level), v8 (groups).
    const f1 = await other.request<OffsetFetchResponse>(
      9,
      { groupId: "wg", topics: [{ name: "wire-t", partitionIndexes: [1, 2] }] },
      { apiVersion: 1 },
    );
    expect(f1.topics!.map((t) => t.partitions.map((p) => Number(p.committedOffset)))).toEqual([[7, -1]]);
    const f8 = await other.request<OffsetFetchResponse>(
      9,
      {
        groups: [
          { groupId: "wg", topics: null },
          { groupId: "none", topics: null },
        ],
        requireStable: true,
      },
      { apiVersion: 8 },
    );
    expect(f8.groups!.map((g) => [g.groupId, g.errorCode, g.topics.length])).toEqual([
      ["wg", 0, 1],
      ["none", 0, 0],
    ]);
    // Describe / List / Delete / OffsetDelete while members are in.
    const d = await other.request<DescribeGroupsResponse>(
      15,
      { groups: ["wg"], includeAuthorizedOperations: false },
      { apiVersion: 5 },
    );
    expect(d.groups[0]).toMatchObject({ groupState: "Stable", protocolData: "range" });
    expect(d.groups[0]!.members.map((m) => m.clientHost)).toEqual(["/127.0.0.1", "/127.0.0.1"]);
    const l = await other.request<ListGroupsResponse>(
      16,
      { statesFilter: ["Stable"], typesFilter: [] },
      { apiVersion: 5 },
    );
    expect(l.groups.map((g) => [g.groupId, g.groupState, g.groupType])).toEqual([["wg", "Stable", "classic"]]);
    const del = await other.request<DeleteGroupsResponse>(42, { groupsNames: ["wg", "missing"] }, { apiVersion: 2 });
    expect(del.results.map((r) => r.errorCode)).toEqual([68, 69]);
    const od = await other.request<OffsetDeleteResponse>(
      47,
      { groupId: "wg", topics: [{ name: "wire-t", partitions: [{ partitionIndex: 1 }] }] },
      { apiVersion: 0 },
    );
    expect(od.topics[0]!.partitions[0]!.errorCode).toBe(86);
    // Batch leave (v5): a static member by instance id, an unknown one, then the last member.
    const leave = await other.request<LeaveGroupResponse>(
      13,
      {
        groupId: "wg",
        members: [
          { memberId: "", groupInstanceId: "b-1", reason: null },
          { memberId: "zz", groupInstanceId: null, reason: null },
        ],
      },
      { apiVersion: 5 },
    );
    expect(leave.members!.map((m) => m.errorCode)).toEqual([0, 25]);
    const leaveA = await other.request<LeaveGroupResponse>(
      13,
      { groupId: "wg", memberId: ja.memberId },
      { apiVersion: 0 },
    );
    expect(leaveA.errorCode).toBe(0);
    const del2 = await other.request<DeleteGroupsResponse>(42, { groupsNames: ["wg"] }, { apiVersion: 0 });
    expect(del2.results[0]!.errorCode).toBe(0);
    const after = await other.request<OffsetFetchResponse>(
      9,
      { groupId: "wg", topics: null, requireStable: false },
      { apiVersion: 7 },
    );
    expect(after.topics).toEqual([]);
  });

  it("a static member restarting within its session timeout gets its assignment back without a rebalance", async () => {
    const before = await connect("static-1");
    const j = await join(before, 5, "sg", "", { groupInstanceId: "inst-1" });
    expect(j).toMatchObject({ errorCode: 0, generationId: 1 });
    await before.request<SyncGroupResponse>(
      14,
      {
        groupId: "sg",
        generationId: 1,
        memberId: j.memberId,
        groupInstanceId: "inst-1",
        assignments: [{ memberId: j.memberId, assignment: Buffer.from([7]) }],
      },
      { apiVersion: 3 },
    );
    before.close(); // the process "restarts": a new connection and no member id
    const after = await connect("static-1");
    const j2 = await join(after, 5, "sg", "", { groupInstanceId: "inst-1" });
    expect(j2.errorCode).toBe(0);
    expect(j2.generationId).toBe(1); // no new generation
    expect(j2.memberId).not.toBe(j.memberId);
    const s2 = await after.request<SyncGroupResponse>(
      14,
      { groupId: "sg", generationId: 1, memberId: j2.memberId, groupInstanceId: "inst-1", assignments: [] },
      { apiVersion: 3 },
    );
    expect([...s2.assignment]).toEqual([7]);
    const d = await after.request<DescribeGroupsResponse>(15, { groups: ["sg"] }, { apiVersion: 4 });
    expect(d.groups[0]).toMatchObject({ groupState: "Stable" });
    expect(d.groups[0]!.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([[j2.memberId, "inst-1"]]);
    const fenced = await after.request<HeartbeatResponse>(
      12,
      { groupId: "sg", generationId: 1, memberId: j.memberId, groupInstanceId: "inst-1" },
      { apiVersion: 3 },
    );
    expect(fenced.errorCode).toBe(82);
  });
});
